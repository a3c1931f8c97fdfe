// The image config side of build steps, pure: a state's config blob and id,
// ENV lookups, EXPOSE ports, HEALTHCHECK options (Go durations).

import { createHash } from 'node:crypto';
import type { ImageConfig, ImageConfigBlob } from '../images/index.js';
import type { BuildState, HistoryEntry } from './build-cache.js';
import type { Instruction } from './dockerfile-parser.js';

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

export function envValue(env: readonly string[] | undefined, name: string): string | undefined {
  for (const e of env ?? []) {
    const i = e.indexOf('=');
    if ((i < 0 ? e : e.slice(0, i)) === name) return i < 0 ? '' : e.slice(i + 1);
  }
  return undefined;
}

/** The config blob of the image a state is. */
export function blobOf(state: BuildState): ImageConfigBlob {
  return {
    architecture: state.architecture,
    os: state.os,
    ...(state.variant ? { variant: state.variant } : {}),
    created: state.created,
    ...(state.author ? { author: state.author } : {}),
    config: state.config,
    rootfs: { type: 'layers', diff_ids: [...state.diffIds] },
    history: state.history as HistoryEntry[],
  };
}

export function stateId(state: BuildState): string {
  return `sha256:${sha256(JSON.stringify(blobOf(state)))}`;
}

/** `80`, `80/udp`, `8000-8002/tcp` → `80/tcp`, ... */
export function exposedPorts(word: string, fail: (reason: string) => never): string[] {
  const m = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/i.exec(word);
  if (!m) fail(`invalid containerPort: ${word}`);
  const lo = Number(m![1]);
  const hi = m![2] ? Number(m![2]) : lo;
  if (lo < 1 || hi > 65535 || hi < lo) fail(`invalid port range: ${word}`);
  const proto = (m![3] ?? 'tcp').toLowerCase();
  const out: string[] = [];
  for (let p = lo; p <= hi; p++) out.push(`${p}/${proto}`);
  return out;
}

/** Go durations as Docker takes them (`30s`, `1m30s`, `500ms`) in nanoseconds. */
export function parseDuration(text: string): number | undefined {
  if (text === '0') return 0;
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  const unit: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
  let total = 0;
  let pos = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    total += Number(m[1]) * unit[m[2]];
    pos = re.lastIndex;
  }
  return pos === text.length && pos > 0 ? Math.round(total) : undefined;
}

export function healthcheckOf(ins: Instruction, fail: (reason: string) => never): NonNullable<ImageConfig['Healthcheck']> {
  const m = /^(\S+)\s*([\s\S]*)$/.exec(ins.args.trim())!;
  if (m[1].toUpperCase() === 'NONE') return { Test: ['NONE'] };
  const rest = m[2].trim();
  let test: string[];
  try {
    const v = rest.startsWith('[') ? (JSON.parse(rest) as unknown) : undefined;
    test = Array.isArray(v) && v.every((x) => typeof x === 'string') ? ['CMD', ...(v as string[])] : ['CMD-SHELL', rest];
  } catch {
    test = ['CMD-SHELL', rest];
  }
  const hc: NonNullable<ImageConfig['Healthcheck']> = { Test: test };
  const dur = (flag: string, field: 'Interval' | 'Timeout' | 'StartPeriod' | 'StartInterval'): void => {
    const v = ins.flags[flag];
    if (v === undefined) return;
    const ns = parseDuration(v);
    if (ns === undefined) fail(`invalid --${flag}=${v}: give a duration like 30s or 1m30s`);
    if (ns! !== 0 && ns! < 1e6) fail(`--${flag} cannot be less than 1ms`);
    hc[field] = ns;
  };
  dur('interval', 'Interval');
  dur('timeout', 'Timeout');
  dur('start-period', 'StartPeriod');
  dur('start-interval', 'StartInterval');
  if (ins.flags.retries !== undefined) {
    if (!/^\d+$/.test(ins.flags.retries)) fail(`invalid --retries=${ins.flags.retries}: give a whole number`);
    hc.Retries = Number(ins.flags.retries);
  }
  return hc;
}

