import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { acquireLock, EngineLockedError, lockHolder, lockPath } from '../../../runtime/engine/lock-file.js';
import { ensureEngine } from '../../../runtime/engine/launcher.js';

const dirs: string[] = [];
const fresh = (): string => { const d = mkdtempSync(join(tmpdir(), 'tsct-lock-')); dirs.push(d); return d; };
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });

describe('engine lock file', () => {
  it('holds the root for one engine and names the holder', () => {
    const root = fresh();
    const release = acquireLock(root);
    expect(readFileSync(lockPath(root), 'utf8')).toBe(`${process.pid}\n`);
    expect(lockHolder(root)).toBe(process.pid);
    expect(() => acquireLock(root)).toThrow(new EngineLockedError(root, process.pid).message);
    expect(() => acquireLock(root)).toThrow(`another engine is running on ${root} (pid ${process.pid})`);
    release();
    expect(lockHolder(root)).toBeUndefined();
    acquireLock(root)();
  });

  it('takes over the lock of an engine that died', async () => {
    const root = fresh();
    const child = spawn(process.execPath, ['-e', '0']);
    const pid = child.pid!;
    await new Promise((r) => child.on('exit', r));
    writeFileSync(lockPath(root), `${pid}\n`);
    expect(lockHolder(root)).toBeUndefined();
    const release = acquireLock(root);
    expect(lockHolder(root)).toBe(process.pid);
    release();
  });
});

describe('ensureEngine', () => {
  it('does not start an engine for a DOCKER_HOST that is not ours', async () => {
    const dir = fresh();
    const saved = { d: process.env.DOCKER_HOST, t: process.env.TSCOMPOSE_HOST };
    try {
      delete process.env.TSCOMPOSE_HOST;
      process.env.DOCKER_HOST = `unix://${join(dir, 'docker.sock')}`;
      await expect(ensureEngine()).rejects.toThrow(`nothing answers on unix://${join(dir, 'docker.sock')} (DOCKER_HOST); start that engine, or unset DOCKER_HOST to use tscompose's own`);
    } finally {
      if (saved.d === undefined) delete process.env.DOCKER_HOST; else process.env.DOCKER_HOST = saved.d;
      if (saved.t !== undefined) process.env.TSCOMPOSE_HOST = saved.t;
    }
  });

  it('only checks a TCP host', async () => {
    expect(await ensureEngine({ host: 'tcp://127.0.0.1:1' })).toBe('tcp://127.0.0.1:1');
  });
});
