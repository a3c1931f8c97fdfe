// Layer unpack throughput on one multi-layer image (>= 50 MiB of Debian
// package files, gzip layers in an OCI layout): the store's unpack (node
// gunzip + diff-id sha256 + chrooted tsc-unpack, layers in parallel, then one
// syncfs) against `umoci raw unpack` (rootfs only) and `umoci unpack` (rootfs
// + mtree manifest) of the same layout. Also the bare native helper against
// GNU tar on the uncompressed tars. Fresh destinations, `sync` before each
// timed run, runs interleaved, median of N.
import { execFile } from 'node:child_process';
import { createReadStream, mkdirSync, mkdtempSync, rmSync, writeFileSync, openSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { spawn } from 'node:child_process';
import { LayerStore, chainIds } from '../runtime/images/layer-store.js';
import { buildUnpacker, missing } from '../test/integration/images/helpers/env.js';
import { debianLayers } from '../test/integration/images/helpers/debian-image.js';
import { sha256 } from '../test/integration/images/helpers/tar.js';
import { stats, timed } from './pull.js';

const run = promisify(execFile);

function writeLayout(dir: string, layers: Buffer[]): { blobs: string[] } {
  mkdirSync(join(dir, 'blobs/sha256'), { recursive: true });
  const put = (b: Buffer) => {
    const d = sha256(b);
    writeFileSync(join(dir, 'blobs/sha256', d.slice(7)), b);
    return { digest: d, size: b.length };
  };
  const gz = layers.map((l) => put(gzipSync(l, { level: 6 })));
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: layers.map((l) => sha256(l)) } }));
  const c = put(config);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...c },
      layers: gz.map((g) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...g })),
    }),
  );
  const m = put(manifest);
  writeFileSync(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  writeFileSync(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...m, annotations: { 'org.opencontainers.image.ref.name': 'bench' } }] }));
  return { blobs: gz.map((g) => join(dir, 'blobs/sha256', g.digest.slice(7))) };
}

function helper(bin: string, dest: string, input: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const fd = openSync(input, 'r');
    const child = spawn(bin, [dest], { stdio: [fd, 'ignore', 'inherit'] });
    closeSync(fd);
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${bin} exited ${code}`))));
  });
}

export default {
  description: 'unpack a multi-layer Debian-files image: tscompose layer store vs umoci (ms, median of N cold runs)',
  async run(args: string[]): Promise<Record<string, unknown>> {
    const n = Number(args[0] ?? 5);
    const why = missing({ root: true, programs: ['umoci'] });
    if (why) return { skipped: why };
    const bin = buildUnpacker();
    const work = mkdtempSync(join(tmpdir(), 'tsct-bench-unpack-'));
    try {
      const img = debianLayers(work, 100, 16);
      const layout = join(work, 'layout');
      const { blobs } = writeLayout(layout, img.layers);
      const tars = img.layers.map((l, i) => {
        const p = join(work, `layer-${i}.tar`);
        writeFileSync(p, l);
        return p;
      });
      const diffIds = img.layers.map((l) => sha256(l));
      const chain = chainIds(diffIds);
      const samples: Record<string, number[]> = { tscompose: [], tscomposeNoSyncfs: [], umociRawUnpack: [], umociUnpack: [], tscUnpackTar: [], gnuTar: [] };
      const cpu: Record<string, number[]> = Object.fromEntries(Object.keys(samples).map((c) => [c, []]));
      let k = 0;
      const fresh = (name: string) => mkdtempSync(join(work, `${name}-${k++}-`));
      const ours = async (sync: boolean) => {
        const store = new LayerStore(join(fresh('store'), 'layers'), bin, true);
        await store.init();
        await Promise.all(chain.map((c, i) => store.unpack(c, diffIds[i], i ? chain[i - 1] : null, createReadStream(blobs[i], { highWaterMark: 1 << 20 }), 'gzip')));
        if (sync) await store.sync();
      };
      const cases: Array<[string, () => Promise<unknown>]> = [
        ['tscompose', () => ours(true)],
        ['tscomposeNoSyncfs', () => ours(false)],
        ['umociRawUnpack', () => run('umoci', ['raw', 'unpack', '--image', `${layout}:bench`, join(fresh('umoci-raw'), 'rootfs')])],
        ['umociUnpack', () => run('umoci', ['unpack', '--image', `${layout}:bench`, join(fresh('umoci'), 'bundle')])],
        [
          'tscUnpackTar',
          async () => {
            for (const t of tars) {
              const d = fresh('native');
              await helper(bin, d, t);
            }
          },
        ],
        [
          'gnuTar',
          async () => {
            for (const t of tars) await run('tar', ['-xf', t, '-C', fresh('gnutar')]);
          },
        ],
      ];
      for (let i = 0; i < n; i++) {
        const order = i % 2 === 0 ? cases : [...cases].reverse();
        for (const [name, fn] of order) {
          const t = await timed(fn);
          samples[name].push(t.ms);
          cpu[name].push(t.cpuMs);
        }
      }
      const st = Object.fromEntries(Object.entries(samples).map(([k2, v]) => [k2, stats(v)]));
      const mib = img.bytes / 1048576;
      const r2 = (x: number) => Math.round(x * 100) / 100;
      const cst = Object.fromEntries(Object.entries(cpu).map(([k2, v]) => [k2, stats(v)]));
      return {
        image: { layers: img.layers.length, files: img.files, uncompressedMiB: Math.round(mib * 10) / 10 },
        runs: n,
        unit: 'ms',
        ...st,
        throughputMiBps: Object.fromEntries(Object.entries(st).map(([k2, v]) => [k2, Math.round((mib / (v.median / 1000)) * 10) / 10])),
        ratio: {
          tscomposeOverUmociRawUnpack: r2(st.tscompose.median / st.umociRawUnpack.median),
          tscomposeOverUmociUnpack: r2(st.tscompose.median / st.umociUnpack.median),
          tscUnpackOverGnuTar: r2(st.tscUnpackTar.median / st.gnuTar.median),
        },
        // On a shared, busy machine the minimum is the steadiest estimate of each tool's own cost.
        ratioOfMinimums: {
          tscomposeOverUmociRawUnpack: r2(st.tscompose.min / st.umociRawUnpack.min),
          tscomposeOverUmociUnpack: r2(st.tscompose.min / st.umociUnpack.min),
          tscUnpackOverGnuTar: r2(st.tscUnpackTar.min / st.gnuTar.min),
        },
        cpu: { note: 'user+system CPU ms of this process and its children (tsc-unpack, umoci, tar), per run', ...cst },
        cpuRatio: {
          tscomposeOverUmociRawUnpack: r2(cst.tscompose.median / cst.umociRawUnpack.median),
        },
        target: 'tscomposeOverUmoci* <= 1 (at least as fast as umoci)',
        note: 'tscompose includes sha256 verification of every layer and a syncfs; umoci and tar neither verify nor sync',
      };
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  },
};
