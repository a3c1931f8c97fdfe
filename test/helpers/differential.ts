// Differential runs: the same bundle under two OCI runtimes, the probe's report
// normalized for what legitimately differs between two containers (ids, bundle
// paths, namespace inode numbers, pipe inodes), then compared as data.
import { readdirSync, readlinkSync, statSync } from 'node:fs';
import { baseSpec, writeBundle, type Bundle, type OciSpec } from './bundle.js';
import { uniqueName } from './names.js';
import { OciRuntime, probeLines, type ProcResult, type RuntimeName, runtimeBinary } from './oci-runtime.js';

export const PROBE = '/bin/tsc-probe';

/** Anything a case prepared on the host (a netns to join, a dir to bind). */
export type CaseCtx = Record<string, string>;

export interface DiffCase {
  name: string;
  /** The container's argv; a list starting without '/' is probe arguments
   * (unless rawArgs). */
  args: string[];
  /** Use args as the argv as they are (e.g. a command found through PATH). */
  rawArgs?: boolean;
  mutate?: (spec: OciSpec, ctx: CaseCtx) => void;
  /** Edits the private rootfs copy before the run (symlinks, files). */
  prepare?: (bundle: Bundle, ctx: CaseCtx) => void;
  /** Host-side setup once per case, before either runtime runs it. */
  setup?: () => Promise<CaseCtx> | CaseCtx;
  /** Sanity checks on runc's observation: the bundle really exercises the feature. */
  check?: (obs: Observation, ctx: CaseCtx) => void;
  /** Sends signals etc. while the container runs (given the runtime's pid). */
  during?: (rt: OciRuntime, id: string, runtimePid: number) => Promise<void>;
  timeoutMs?: number;
}

export interface Observation {
  runtime: RuntimeName;
  exit: number | null;
  lines: Array<Record<string, unknown>>;
  stderr: string;
  /** lines[0] as a record, for checks. */
  report: Record<string, any>;
}

export function argvOf(c: DiffCase): string[] {
  return c.rawArgs || c.args[0]?.startsWith('/') ? c.args : [PROBE, ...c.args];
}

export async function observe(rt: OciRuntime, c: DiffCase, ctx: CaseCtx): Promise<Observation> {
  const id = uniqueName();
  const spec = baseSpec(argvOf(c));
  c.mutate?.(spec, ctx);
  const bundle = writeBundle(spec, { containerId: id });
  c.prepare?.(bundle, ctx);
  let during: Promise<unknown> | undefined;
  const r: ProcResult = await rt.run(id, bundle.dir, {
    timeoutMs: c.timeoutMs ?? 30_000,
    onSpawn: (pid) => {
      // Settled into a value here, rethrown below: no unhandled rejection
      // while the run is still going.
      if (c.during) during = c.during(rt, id, pid).then(() => undefined, (e: unknown) => e);
    },
  });
  const duringError = await during;
  if (duringError) throw duringError;
  if (r.timedOut) throw new Error(`${rt.name} run ${id} timed out; stderr: ${r.stderr}`);
  const raw = { runtime: rt.name, exit: r.code, lines: probeLines(r.stdout), stderr: r.stderr };
  const lines = normalizeLines(raw.lines, { id, bundle: bundle.dir, ctx });
  return { ...raw, lines, report: (lines[0] ?? {}) as Record<string, any> };
}

const hostNs = (() => {
  const m = new Map<string, string>();
  for (const n of readdirSync('/proc/self/ns')) {
    try {
      m.set(readlinkSync(`/proc/self/ns/${n}`), 'host');
    } catch {
      /* not readable */
    }
  }
  return m;
})();

/** `net:[4026531840]` of a namespace file (ip netns, /proc/PID/ns/*). */
export function nsIdOf(path: string, type: string): string {
  return `${type}:[${statSync(path).ino}]`;
}

export function normalizeLines(
  lines: Array<Record<string, unknown>>,
  opts: { id: string; bundle: string; ctx: CaseCtx },
): Array<Record<string, unknown>> {
  const joined = new Map<string, string>();
  for (const [k, v] of Object.entries(opts.ctx)) if (k.startsWith('nsid:')) joined.set(v, `joined ${k.slice(5)}`);
  let text = JSON.stringify(lines);
  text = text.split(opts.bundle).join('<bundle>').split(opts.id).join('<id>');
  // Host paths and names a case made (bind sources, netns names) differ per run.
  const named = Object.entries(opts.ctx).filter(([k, v]) => !k.startsWith('nsid:') && v.length >= 6);
  named.sort((a, b) => b[1].length - a[1].length);
  for (const [k, v] of named) text = text.split(v).join(`<${k}>`);
  const out = JSON.parse(text) as Array<Record<string, any>>;
  for (const l of out) {
    if (l.ns) {
      for (const [k, v] of Object.entries(l.ns as Record<string, string>)) {
        l.ns[k] = hostNs.get(v) ?? joined.get(v) ?? 'new';
      }
    }
    // Outside a pid namespace the numbers are host pids, different every run.
    for (const k of ['pid', 'ppid']) if (typeof l[k] === 'number' && l[k] > 1) l[k] = '<host pid>';
    if (l.fds) {
      for (const [k, v] of Object.entries(l.fds as Record<string, string>)) {
        // 0-2 are whatever the runtime's stdio plumbing is (runc: its own pipes,
        // crun: the caller's); the leak check is about every other fd.
        l.fds[k] = Number(k) <= 2 ? 'stdio' : v.replace(/^(pipe|socket|anon_inode):\[\d+\]$/, '$1');
      }
    }
    // Order of unrelated mounts is an implementation detail; mounts stacked on
    // one target keep their relative order (a stable sort).
    if (Array.isArray(l.mounts)) {
      (l.mounts as Array<{ target: string }>).sort((a, b) => (a.target < b.target ? -1 : a.target > b.target ? 1 : 0));
    }
  }
  return out;
}

export function tscrunAvailable(): boolean {
  return runtimeBinary('tscrun') !== undefined;
}

/** Strict mode runs the known gaps too, to see which ones tscrun has closed. */
export const STRICT = process.env.TSCRUN_STRICT === '1';

export type { ProcResult, RuntimeName };
