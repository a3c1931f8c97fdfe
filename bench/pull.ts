// Pull of a multi-layer image (>= 50 MiB of Debian package files) from a
// local registry (Debian's docker-registry on 127.0.0.1, basic auth): our
// store's pull (download + verify + unpack, ready for overlay) against
// `skopeo copy docker://… dir:…` (download + verify only), both cold (fresh
// destination each run), runs interleaved; and, for the same end state as
// ours, skopeo to an OCI layout followed by `umoci raw unpack` of it.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { ImageStore } from '../runtime/images/index.js';
import { buildUnpacker, missing } from '../test/integration/images/helpers/env.js';
import { debianLayers } from '../test/integration/images/helpers/debian-image.js';
import { Pusher, startRegistry } from '../test/integration/images/helpers/registry.js';
import { zstd } from '../test/integration/images/helpers/tar.js';

const run = promisify(execFile);

export interface Stats {
  runs: number[];
  median: number;
  min: number;
  max: number;
}

export function stats(xs: number[]): Stats {
  const s = [...xs].sort((a, b) => a - b);
  const r = (n: number) => Math.round(n * 10) / 10;
  return { runs: xs.map(r), median: r(s[Math.floor(s.length / 2)]), min: r(s[0]), max: r(s[s.length - 1]) };
}

/**
 * Timed after a `sync`, so that writeback of the previous run is not charged
 * to this one. Outputs are deleted only at the end: on this machine's ext4
 * (mounted with `discard`) a large rm stalls later writes for seconds.
 */
async function timed(fn: () => Promise<unknown>): Promise<number> {
  await run('sync');
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

export default {
  description: 'pull a multi-layer Debian-files image from a local registry: tscompose store vs skopeo copy (ms, median of N cold runs)',
  async run(args: string[]): Promise<Record<string, unknown>> {
    const n = Number(args[0] ?? 5);
    const why = missing({ root: true, programs: ['docker-registry', 'htpasswd', 'skopeo', 'umoci', 'zstd'] });
    if (why) return { skipped: why };
    buildUnpacker();
    const work = mkdtempSync(join(tmpdir(), 'tsct-bench-pull-'));
    const reg = await startRegistry();
    try {
      const img = debianLayers(work, 100, 16);
      const push = new Pusher(reg);
      const compress = (b: Buffer, c: 'gzip' | 'zstd') => (c === 'gzip' ? gzipSync(b, { level: 6 }) : zstd(b));
      const pushed = await push.image('bench/debian', 'gzip', img.layers, { compress, compression: 'gzip' });
      await push.image('bench/debian', 'zstd', img.layers, { compress, compression: 'zstd' });
      const compressedBytes = img.layers.reduce((n0, l) => n0 + compress(l, 'gzip').length, 0);
      const creds = `${reg.user}:${reg.password}`;
      const auth = { username: reg.user, password: reg.password };

      const ours: number[] = [];
      const oursNotDurable: number[] = [];
      const oursZstd: number[] = [];
      const skopeo: number[] = [];
      const skopeoUmoci: number[] = [];
      for (let i = 0; i < n; i++) {
        const order = i % 2 === 0 ? ['ours', 'skopeo'] : ['skopeo', 'ours'];
        for (const who of order) {
          const dest = mkdtempSync(join(work, `${who}-`));
          if (who === 'ours') {
            ours.push(await timed(async () => (await ImageStore.open(dest)).pull(`${reg.host}/bench/debian:gzip`, { auth })));
          } else {
            skopeo.push(await timed(() => run('skopeo', ['copy', '-q', '--src-creds', creds, '--src-tls-verify=false', `docker://${reg.host}/bench/debian:gzip`, `dir:${join(dest, 'x')}`])));
          }
        }
        const nd = mkdtempSync(join(work, 'nodurable-'));
        oursNotDurable.push(await timed(async () => (await ImageStore.open(nd, { durable: false })).pull(`${reg.host}/bench/debian:gzip`, { auth })));
        const z = mkdtempSync(join(work, 'zstd-'));
        oursZstd.push(await timed(async () => (await ImageStore.open(z)).pull(`${reg.host}/bench/debian:zstd`, { auth })));
        const u = mkdtempSync(join(work, 'umoci-'));
        skopeoUmoci.push(
          await timed(async () => {
            await run('skopeo', ['copy', '-q', '--src-creds', creds, '--src-tls-verify=false', `docker://${reg.host}/bench/debian:gzip`, `oci:${join(u, 'layout')}:t`]);
            await run('umoci', ['raw', 'unpack', '--image', `${join(u, 'layout')}:t`, join(u, 'rootfs')]);
          }),
        );
      }
      const o = stats(ours);
      const s = stats(skopeo);
      const su = stats(skopeoUmoci);
      return {
        image: {
          layers: img.layers.length,
          files: img.files,
          uncompressedMiB: Math.round((img.bytes / 1048576) * 10) / 10,
          gzipMiB: Math.round((compressedBytes / 1048576) * 10) / 10,
          manifest: pushed.manifestDigest,
        },
        runs: n,
        unit: 'ms',
        tscompose: o,
        tscomposeNotDurable: stats(oursNotDurable),
        tscomposeZstd: stats(oursZstd),
        skopeoCopyDir: s,
        skopeoOciPlusUmociRawUnpack: su,
        ratio: {
          tscomposeOverSkopeo: Math.round((o.median / s.median) * 100) / 100,
          tscomposeNotDurableOverSkopeo: Math.round((stats(oursNotDurable).median / s.median) * 100) / 100,
          tscomposeOverSkopeoPlusUmoci: Math.round((o.median / su.median) * 100) / 100,
        },
        // On a shared, busy machine the minimum is the steadiest estimate of each tool's own cost.
        ratioOfMinimums: {
          tscomposeOverSkopeo: Math.round((o.min / s.min) * 100) / 100,
          tscomposeNotDurableOverSkopeo: Math.round((stats(oursNotDurable).min / s.min) * 100) / 100,
          tscomposeOverSkopeoPlusUmoci: Math.round((o.min / su.min) * 100) / 100,
        },
        target: 'tscomposeOverSkopeo <= 1 (at least as fast as skopeo copy, though ours also unpacks)',
      };
    } finally {
      await reg.stop();
      rmSync(work, { recursive: true, force: true });
    }
  },
};
