// Durations and byte sizes as compose-go reads and prints them: durations are
// Go duration strings ("1m30s", "500ms"; "d" and "w" accepted on input like
// str2duration), byte sizes are numbers of bytes ("64m" -> 67108864, binary
// multiples like docker's go-units RAMInBytes).

const NS_PER: Record<string, number> = {
  ns: 1,
  us: 1e3,
  'µs': 1e3,
  'μs': 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
  d: 86400e9,
  w: 604800e9,
};

export class UnitError extends Error {}

/** Parses "1m30s", "1.5h", "10" (seconds are not assumed: a bare number is an error, like Go). */
export function parseDuration(input: string | number): number {
  const text = String(input).trim();
  if (text === '0') return 0;
  const m = /^([-+])?((?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h|d|w))+$/.exec(text);
  if (!m) throw new UnitError(`invalid duration ${JSON.stringify(text)}: use a number with a unit, like "10s", "1m30s" or "500ms"`);
  let total = 0;
  for (const part of text.replace(/^[-+]/, '').matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h|d|w)/g)) {
    total += Number(part[1]) * NS_PER[part[2]];
  }
  return Math.round(m[1] === '-' ? -total : total);
}

/** Go's time.Duration.String() for a count of nanoseconds. */
export function formatDuration(ns: number): string {
  if (ns === 0) return '0s';
  const sign = ns < 0 ? '-' : '';
  let n = Math.abs(ns);
  if (n < 1e9) {
    const [unit, size] = n < 1e3 ? ['ns', 1] : n < 1e6 ? ['µs', 1e3] : ['ms', 1e6];
    return `${sign}${trimFraction(n / (size as number))}${unit}`;
  }
  const hours = Math.floor(n / 3600e9);
  n -= hours * 3600e9;
  const minutes = Math.floor(n / 60e9);
  n -= minutes * 60e9;
  const seconds = trimFraction(n / 1e9);
  if (hours > 0) return `${sign}${hours}h${minutes}m${seconds}s`;
  if (minutes > 0) return `${sign}${minutes}m${seconds}s`;
  return `${sign}${seconds}s`;
}

function trimFraction(value: number): string {
  // Go prints up to 9 fractional digits and drops trailing zeros.
  return value.toFixed(9).replace(/\.?0+$/, '');
}

/** Normalizes a duration to Go's spelling: "90s" -> "1m30s". */
export function canonicalDuration(input: string | number): string {
  return formatDuration(parseDuration(input));
}

const BYTE_UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

/** "64m", "1g", "1gb", "512k", "1.5GiB", 1024 -> bytes. */
export function parseBytes(input: string | number): number {
  if (typeof input === 'number') return input;
  const m = /^(\d+(?:\.\d+)*) ?([kmgtp])?i?b?$/i.exec(input.trim());
  if (!m) throw new UnitError(`invalid size ${JSON.stringify(input)}: use a number of bytes or a size like "64m", "1g", "512k"`);
  return Math.trunc(Number(m[1]) * BYTE_UNITS[(m[2] ?? '').toLowerCase()]);
}
