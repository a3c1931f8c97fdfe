// Docker's JSON progress lines (the `images/create` and `images/load`
// streams), throttled so a fast local pull does not emit one line per chunk.
import type { PullProgress } from './types.js';

const THROTTLE_MS = 100;

/** `[=====>     ] 1.2MB/4.5MB`, as the docker CLI shows when it has no TTY. */
export function progressBar(current: number, total: number): string {
  const width = 50;
  if (total <= 0) return `${humanSize(current)}`;
  const filled = Math.max(0, Math.min(width, Math.floor((current / total) * width)));
  const bar = '='.repeat(Math.max(0, filled - 1)) + (filled > 0 ? (filled === width ? '=' : '>') : '') + ' '.repeat(width - filled);
  return `[${bar}] ${humanSize(current)}/${humanSize(total)}`;
}

/** Decimal units as Docker's go-units HumanSize: `1.23MB`, `512B`. */
export function humanSize(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  let v = n;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i === 0 ? v : Number(v.toPrecision(3))}${units[i]}`;
}

export class ProgressReporter {
  private readonly last = new Map<string, number>();
  constructor(private readonly sink?: (ev: PullProgress) => void) {}

  status(status: string, id?: string): void {
    if (!this.sink) return;
    this.sink(id === undefined ? { status } : { status, id });
  }

  bytes(status: string, id: string, current: number, total: number, force = false): void {
    if (!this.sink) return;
    const now = Date.now();
    const key = `${status}:${id}`;
    if (!force && now - (this.last.get(key) ?? 0) < THROTTLE_MS && current < total) return;
    this.last.set(key, now);
    this.sink({ status, progressDetail: { current, total }, progress: progressBar(current, total), id });
  }
}
