import { afterEach, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { withFileLock } from '../../../runtime/networks/file-lock.js';

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'tsct-lock-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('withFileLock', () => {
  it('serializes callers in one process and removes the file after', async () => {
    const lock = path.join(tmp(), 'x.lock');
    let inside = 0;
    let max = 0;
    await Promise.all(
      Array.from({ length: 20 }, () =>
        withFileLock(lock, async () => {
          inside++;
          max = Math.max(max, inside);
          await new Promise((r) => setTimeout(r, 1));
          inside--;
        }),
      ),
    );
    expect(max).toBe(1);
    expect(existsSync(lock)).toBe(false);
  });

  it('takes over a lock left by a dead process', async () => {
    const lock = path.join(tmp(), 'x.lock');
    writeFileSync(lock, '999999999\n');
    expect(await withFileLock(lock, () => 42)).toBe(42);
  });

  it('times out naming the live holder', async () => {
    const lock = path.join(tmp(), 'x.lock');
    writeFileSync(lock, '1\n');
    await expect(withFileLock(lock, () => 1, 50)).rejects.toThrow(new RegExp(`for the lock ${lock.replace(/[.]/g, '\\.')} held by pid 1; if no tscompose process is running, remove the file`));
  });

  it('excludes other processes: 3 processes x 15 increments of a shared counter', async () => {
    const dir = tmp();
    const counter = path.join(dir, 'count');
    writeFileSync(counter, '0');
    const lockModule = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../runtime/networks/file-lock.ts');
    const script = path.join(dir, 'worker.mts');
    writeFileSync(
      script,
      `import { withFileLock } from ${JSON.stringify(lockModule)};
import { readFileSync, writeFileSync } from 'node:fs';
for (let i = 0; i < 15; i++) {
  await withFileLock(${JSON.stringify(path.join(dir, 'c.lock'))}, async () => {
    const n = Number(readFileSync(${JSON.stringify(counter)}, 'utf8'));
    await new Promise((r) => setTimeout(r, 1));
    writeFileSync(${JSON.stringify(counter)}, String(n + 1));
  });
}
`,
    );
    const run = promisify(execFile);
    await Promise.all([1, 2, 3].map(() => run(process.execPath, ['--import', 'tsx', script])));
    expect(readFileSync(counter, 'utf8')).toBe('45');
  }, 30_000);
});
