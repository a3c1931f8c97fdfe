// The OCI runtime seam: tscrun, runc or crun, driven through the command line
// they share (`--root R start|kill|delete|pause|resume|state ID`).

import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { RuntimeFailureError } from './errors.js';

export interface OciState { id: string; pid: number; status: 'creating' | 'created' | 'running' | 'paused' | 'stopped'; bundle?: string }

/** What the engine asks of an OCI runtime once the monitor has created the container. */
export interface OciRuntime {
  readonly name: string;
  readonly path: string;
  /** Its state folder (`--root`), private to this engine. */
  readonly root: string;
  start(id: string): Promise<void>;
  kill(id: string, signal: string, all?: boolean): Promise<void>;
  /**
   * `umountRootfs`: tscrun also unmounts the container's root filesystem
   * (`delete --umount-rootfs`); other runtimes leave it, the caller unmounts
   * what is still mounted.
   */
  delete(id: string, force?: boolean, umountRootfs?: boolean): Promise<void>;
  pause(id: string): Promise<void>;
  resume(id: string): Promise<void>;
  state(id: string): Promise<OciState | undefined>;
}

function run(path: string, args: string[], timeoutMs = 30_000): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(path, args, { timeout: timeoutMs, maxBuffer: 4 << 20 }, (err, stdout, stderr) => {
      if (err) {
        const e = err as NodeJS.ErrnoException & { code?: number | string };
        const text = (stderr || e.message).toString().trim();
        reject(Object.assign(new Error(text), { exitCode: typeof e.code === 'number' ? e.code : undefined }));
      } else resolve({ stdout: stdout.toString(), stderr: stderr.toString() });
    });
  });
}

/** runc and crun print errors as `time=... level=error msg="..."` or plain text; keep the message. */
export function runtimeMessage(text: string): string {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  const last = lines.reverse().find((l) => /level=error|error/i.test(l)) ?? lines[0] ?? text;
  const m = /msg="((?:[^"\\]|\\.)*)"/.exec(last);
  return m ? m[1].replace(/\\"/g, '"') : last;
}

export class CliOciRuntime implements OciRuntime {
  constructor(readonly name: string, readonly path: string, readonly root: string) {}

  private async call(stage: string, args: string[]): Promise<string> {
    try {
      return (await run(this.path, ['--root', this.root, ...args])).stdout;
    } catch (err) {
      const e = err as Error & { exitCode?: number };
      throw new RuntimeFailureError(`${this.name} ${stage} failed: ${runtimeMessage(e.message)}`, stage, e.exitCode);
    }
  }
  async start(id: string): Promise<void> { await this.call('start', ['start', id]); }
  async kill(id: string, signal: string, all = false): Promise<void> { await this.call('kill', ['kill', ...(all ? ['--all'] : []), id, signal]); }
  async delete(id: string, force = false, umountRootfs = false): Promise<void> {
    // runc, crun and tscrun keep a container's state in <root>/<id>: nothing there, nothing to delete (saves an exec per start).
    if (!existsSync(join(this.root, id))) return;
    const flags = force ? ['--force'] : [];
    if (this.name !== 'tscrun') return void (await this.call('delete', ['delete', ...flags, id]));
    if (umountRootfs) flags.push('--umount-rootfs');
    await this.deleteTogether(id, flags);
  }

  /** tscrun deletes asked for while one of its `delete` processes runs, by flags: the next process takes them all. */
  private readonly queuedDeletes = new Map<string, Set<string>>();
  private readonly runningDeletes = new Map<string, Promise<void>>();
  private readonly nextDeletes = new Map<string, Promise<void>>();

  /**
   * tscrun takes several IDs: containers that exit together (a `down` of 50)
   * are deleted by a few processes instead of one each, which a big engine
   * process forks one after the other. The first of a quiet moment starts at
   * once. A failure fails the batch (its callers tolerate it: the container
   * is going anyway).
   */
  private deleteTogether(id: string, flags: string[]): Promise<void> {
    const key = flags.join(' ');
    const queued = this.queuedDeletes.get(key);
    if (queued) {
      queued.add(id);
      return this.nextDeletes.get(key)!;
    }
    const ids = new Set([id]);
    this.queuedDeletes.set(key, ids);
    const before = this.runningDeletes.get(key) ?? Promise.resolve();
    const next = before.catch(() => undefined).then(async () => {
      this.queuedDeletes.delete(key);
      this.nextDeletes.delete(key);
      await this.call('delete', ['delete', ...flags, ...ids]);
    });
    this.nextDeletes.set(key, next);
    this.runningDeletes.set(key, next);
    const forget = (): void => { if (this.runningDeletes.get(key) === next) this.runningDeletes.delete(key); };
    next.then(forget, forget);
    return next;
  }
  async pause(id: string): Promise<void> { await this.call('pause', ['pause', id]); }
  async resume(id: string): Promise<void> { await this.call('resume', ['resume', id]); }
  async state(id: string): Promise<OciState | undefined> {
    try {
      const out = await run(this.path, ['--root', this.root, 'state', id]);
      return JSON.parse(out.stdout) as OciState;
    } catch {
      return undefined;
    }
  }
}
