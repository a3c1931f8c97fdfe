// Numbers for people the way docker prints them: `2 minutes ago`
// (go-units HumanDuration), `187MB` (decimal units), `"nginx -g daemon…"`.

export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.floor(seconds / 60);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.round(seconds / 3600);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.floor(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.floor(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24 / 30)} months`;
  return `${Math.floor(hours / 24 / 365)} years`;
}

export function humanSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let value = bytes;
  let i = 0;
  while (value >= 1000 && i < units.length - 1) {
    value /= 1000;
    i++;
  }
  // Docker prints 3 significant digits: 7.34MB, 187MB.
  const text = value >= 100 || i === 0 ? String(Math.round(value)) : value.toPrecision(3).replace(/\.?0+$/, '');
  return `${text}${units[i]}`;
}

/** Docker's COMMAND column: quoted, cut to 20 characters with an ellipsis. */
export function quotedCommand(command: string, width = 20): string {
  const chars = [...command];
  const cut = chars.length > width ? `${chars.slice(0, width - 1).join('')}…` : command;
  return JSON.stringify(cut);
}

export function shortId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}
