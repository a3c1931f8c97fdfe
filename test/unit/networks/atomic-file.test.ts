import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { settleWrites, writeFileAtomicAsync } from '../../../runtime/networks/atomic-file.js';

describe('writeFileAtomicAsync', () => {
  let dir = '';
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('lands writes of one path in call order: the file ends as the last call said, no temp file left', async () => {
    dir = mkdtempSync(join(tmpdir(), 'tsct-atomic-'));
    const file = join(dir, 'sub', 'rec.json');
    const writes = Array.from({ length: 20 }, (_, i) => writeFileAtomicAsync(file, `${i}\n`));
    await Promise.all(writes);
    expect(readFileSync(file, 'utf8')).toBe('19\n');
    expect(readdirSync(join(dir, 'sub'))).toEqual(['rec.json']);
  });

  it('settleWrites waits for the writes under a folder, also failed ones', async () => {
    dir = mkdtempSync(join(tmpdir(), 'tsct-atomic-'));
    const ok = writeFileAtomicAsync(join(dir, 'a.json'), 'a\n');
    const bad = writeFileAtomicAsync(join(dir, 'missing', 'b.json'), 'b\n', 0o644, false);
    await settleWrites(dir);
    await expect(ok).resolves.toBeUndefined();
    await expect(bad).rejects.toThrow(/ENOENT/);
    expect(readFileSync(join(dir, 'a.json'), 'utf8')).toBe('a\n');
  });

  it('with makeDir false, does not bring back a folder removed meanwhile', async () => {
    dir = mkdtempSync(join(tmpdir(), 'tsct-atomic-'));
    const gone = join(dir, 'container');
    await writeFileAtomicAsync(join(gone, 'c.json'), '1\n');
    rmSync(gone, { recursive: true });
    await expect(writeFileAtomicAsync(join(gone, 'c.json'), '2\n', 0o600, false)).rejects.toThrow(/ENOENT/);
    expect(existsSync(gone)).toBe(false);
  });
});
