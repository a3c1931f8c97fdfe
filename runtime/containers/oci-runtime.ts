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
  delete(id: string, force?: boolean): Promise<void>;
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
  async delete(id: string, force = false): Promise<void> {
    // runc, crun and tscrun keep a container's state in <root>/<id>: nothing there, nothing to delete (saves an exec per start).
    if (!existsSync(join(this.root, id))) return;
    await this.call('delete', ['delete', ...(force ? ['--force'] : []), id]);
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
