// The seam to the kernel's network objects. `Netlink.run(steps)` runs one
// batch of tsc-net steps (native/net/README.md) and returns the listed
// objects; connecting a container is one batch, so one process spawn.
// `TscNetNetlink` drives native/build/tsc-net; `RecordingNetlink` records the
// batches for unit tests of the logic above it.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NetlinkError, NetworkError } from './errors.js';

export interface LinkInfo { type: 'link'; index: number; name: string; up: boolean; mtu?: number; master?: string; mac?: string; kind?: string }
export interface AddrInfo { type: 'addr'; family: 4 | 6; address: string; prefixlen: number; ifname: string }
export interface RouteInfo { type: 'route'; family: 4 | 6; dst: string; prefixlen: number; table: number; gateway?: string; ifname?: string }
export type NetObject = LinkInfo | AddrInfo | RouteInfo;

export interface Netlink {
  /** Runs the steps in order; the first failure throws a NetlinkError naming the step. */
  run(steps: readonly string[]): Promise<NetObject[]>;
  /**
   * Whether a link of this name is in the host's namespace, without a
   * process: the host end of a veth goes with its container's netns, and a
   * `del` for it would be a spawn for nothing. Absent: assume it is.
   */
  linkExists?(name: string): boolean;
}

/** Finds native/build/tsc-net from the checkout or the installed package. */
export function tscNetPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const p = join(dir, 'native', 'build', 'tsc-net');
    if (existsSync(p)) return p;
    dir = dirname(dir);
  }
  return resolve(dirname(fileURLToPath(import.meta.url)), '../../native/build/tsc-net');
}

interface Answer { ok: boolean; step?: number; line?: string; error?: string; errno?: number; results: NetObject[] }

/** A word of a step may not hold blanks or line breaks (the request is line-based). */
export function checkWord(w: string, what: string): string {
  if (!w || /[\s#]/.test(w)) throw new NetworkError(`${what} "${w}" cannot be used in a network step: it is empty or holds blanks or '#'`);
  return w;
}

export class TscNetNetlink implements Netlink {
  /** `timeoutMs`: a batch is a few netlink calls; one that hangs (a stuck
   * kernel lock) is killed and reported rather than holding the engine's lock. */
  constructor(private readonly binary = tscNetPath(), private readonly timeoutMs = 30_000) {}

  linkExists(name: string): boolean {
    return existsSync(join('/sys/class/net', name));
  }

  run(steps: readonly string[]): Promise<NetObject[]> {
    if (!existsSync(this.binary)) return Promise.reject(new NetworkError(`the netlink helper ${this.binary} is missing: build it with \`make -C native\``));
    return new Promise((resolvePromise, reject) => {
      const child = spawn(this.binary, [], { stdio: ['pipe', 'pipe', 'pipe'], timeout: this.timeoutMs, killSignal: 'SIGKILL' });
      let out = '';
      let err = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
      child.on('error', (e) => reject(new NetworkError(`cannot run ${this.binary}: ${e.message}`)));
      child.on('close', (code) => {
        let answer: Answer;
        try {
          answer = JSON.parse(out) as Answer;
        } catch {
          const why = child.signalCode ? `was killed by ${child.signalCode}${child.signalCode === 'SIGKILL' ? ` (no answer within ${this.timeoutMs} ms?)` : ''}` : `exited with ${code}`;
          reject(new NetworkError(`${this.binary} ${why} and gave no answer${err ? `: ${err.trim()}` : ''}; steps: ${steps.join('; ')}`));
          return;
        }
        if (answer.ok) resolvePromise(answer.results);
        else reject(new NetlinkError(`network setup failed at \`${answer.line ?? '?'}\`: ${answer.error ?? 'unknown error'}`, answer.line ?? '', answer.errno ?? 0));
      });
      child.stdin.on('error', () => undefined); // its exit is reported by `close`
      child.stdin.end(steps.join('\n') + '\n');
    });
  }
}

/** Records batches; answers list steps from `objects`, fails a step matching `failOn`. */
export class RecordingNetlink implements Netlink {
  readonly batches: string[][] = [];
  objects: NetObject[] = [];
  failOn?: RegExp;

  async run(steps: readonly string[]): Promise<NetObject[]> {
    this.batches.push([...steps]);
    const bad = this.failOn ? steps.find((s) => this.failOn!.test(s)) : undefined;
    if (bad) throw new NetlinkError(`network setup failed at \`${bad}\`: recorded failure: Operation not permitted`, bad, 1);
    const out: NetObject[] = [];
    for (const s of steps) {
      if (s === 'links') out.push(...this.objects.filter((o) => o.type === 'link'));
      if (s === 'addrs') out.push(...this.objects.filter((o) => o.type === 'addr'));
      if (s === 'routes') out.push(...this.objects.filter((o) => o.type === 'route'));
    }
    return out;
  }
}
