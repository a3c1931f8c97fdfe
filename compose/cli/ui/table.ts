// Aligned text tables like docker's: columns separated by three spaces,
// padded to the widest cell, header in capitals, no trailing spaces.

export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const render = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i])))
      .join('   ')
      .trimEnd();
  return [render(headers), ...rows.map(render)].map((l) => `${l}\n`).join('');
}
