// Crash safety: a pull killed with SIGKILL mid-download, and debris of every
// kind on disk, leave a store that opens clean and pulls again.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImageStore } from '../../../runtime/images/index.js';
import { buildUnpacker, guard, missing, repoRoot } from './helpers/env.js';
import { Pusher, startRegistry, type TestRegistry } from './helpers/registry.js';
import { gzip, makeTar, zstd } from './helpers/tar.js';

const ok = guard(missing({ root: true, programs: ['docker-registry', 'htpasswd'] }));

describe.runIf(ok)('store recovery', () => {
  let base: string;
  let reg: TestRegistry;

  beforeAll(async () => {
    buildUnpacker();
    base = mkdtempSync(join(tmpdir(), 'tsct-recover-'));
    reg = await startRegistry();
  });
  afterAll(async () => {
    await reg?.stop();
    if (base) rmSync(base, { recursive: true, force: true });
  });

  it('open sweeps debris and forgets images whose content is gone', async () => {
    const root = join(base, 'debris');
    const s = await ImageStore.open(root);
    const good = await s.importRootfs(Readable.from([await makeTar([{ name: 'a', data: 'a' }])]), { ref: 'tsct/good' });
    const gone = await s.importRootfs(Readable.from([await makeTar([{ name: 'b', data: 'b' }])]), { ref: 'tsct/gone' });
    const images = join(root, 'images');
    // a config blob lost, a half-unpacked layer, a partial download, a layer without its marker, a stray blob, a stray short link
    rmSync(join(images, 'blobs/sha256', gone.Id.slice(7)));
    mkdirSync(join(images, 'layers/tmp-0123/diff/etc'), { recursive: true });
    writeFileSync(join(images, 'layers/tmp-0123/diff/etc/half'), 'x');
    writeFileSync(join(images, 'ingest/0a1b2c'), randomBytes(1000));
    mkdirSync(join(images, 'layers', 'f'.repeat(64), 'diff'), { recursive: true });
    writeFileSync(join(images, 'blobs/sha256', 'e'.repeat(64)), 'stray');
    writeFileSync(join(images, 'repositories.json.tmp-abc'), '{"half":');
    const reopened = await ImageStore.open(root);
    expect(reopened.list().map((i) => i.Id)).toEqual([good.Id]);
    expect(reopened.inspect('tsct/gone')).toBeUndefined();
    expect(readdirSync(join(images, 'layers'))).toEqual([good.RootFS.Layers[0].slice(7)]);
    expect(readdirSync(join(images, 'ingest'))).toEqual([]);
    expect(readdirSync(join(images, 'l'))).toHaveLength(1);
    expect(existsSync(join(images, 'blobs/sha256', 'e'.repeat(64)))).toBe(false);
    expect((await reopened.rootfsLayers(good.Id)).map((d) => existsSync(join(d, 'a')))).toEqual([true]);
  });

  it('a pull killed with SIGKILL mid-download leaves nothing that a reopen does not clean', async () => {
    const big = await makeTar([{ name: 'big.bin', data: randomBytes(48 << 20) }]);
    const small = await makeTar([{ name: 'etc/ok', data: 'ok' }]);
    await new Pusher(reg).image('tsct/big', 'latest', [small, big], { compression: 'none', compress: (b, c) => (c === 'gzip' ? gzip(b) : zstd(b)) });
    const root = join(base, 'killed');
    const script = join(base, 'pull-child.mts');
    writeFileSync(
      script,
      `import { ImageStore } from ${JSON.stringify(join(repoRoot, 'runtime/images/index.ts'))};
const s = await ImageStore.open(${JSON.stringify(root)});
await s.pull(${JSON.stringify(`${reg.host}/tsct/big`)}, { auth: { username: ${JSON.stringify(reg.user)}, password: ${JSON.stringify(reg.password)} }, onProgress: (e) => console.log(JSON.stringify(e)) });
`,
    );
    const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let killedAt = '';
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        for (const m of out.matchAll(/"status":"Downloading","progressDetail":\{"current":(\d+),"total":(\d+)/g)) {
          if (!killedAt && Number(m[1]) < Number(m[2]) && Number(m[2]) > 40 << 20) {
            killedAt = `${m[1]}/${m[2]}`;
            child.kill('SIGKILL');
          }
        }
      });
      child.on('close', () => resolve());
      child.stderr?.on('data', (d: Buffer) => process.stderr.write(d));
    });
    expect(killedAt, out.slice(-2000)).not.toBe('');
    expect(out).not.toContain('Status: Downloaded');
    await new Promise((r) => setTimeout(r, 500)); // the orphaned tsc-unpack sees EOF and exits
    const s = await ImageStore.open(root);
    expect(s.list()).toEqual([]);
    expect(readdirSync(join(root, 'images/ingest'))).toEqual([]);
    expect(readdirSync(join(root, 'images/layers')).filter((n) => n.startsWith('tmp-'))).toEqual([]);
    // the small layer may have been committed, but no image refers to it: GC at open removed it
    expect(readdirSync(join(root, 'images/layers'))).toEqual([]);
    const img = await s.pull(`${reg.host}/tsct/big`, { auth: { username: reg.user, password: reg.password } });
    expect(img.RepoTags).toEqual([`${reg.host}/tsct/big:latest`]);
    expect(img.Size).toBe((48 << 20) + 2);
  });
});
