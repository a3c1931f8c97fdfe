// `docker import`: a rootfs tar as a one-layer image, with Dockerfile-like
// `changes` applied to its config.
import { createReadStream } from 'node:fs';
import { InvalidImageError } from './errors.js';
import { hostPlatform, parsePlatform } from './manifest.js';
import { parseReference, tagKey } from './reference.js';
import { peekCompression } from './stream-util.js';
import type { ImageStore } from './image-store.js';
import type { ImageConfig, ImageConfigBlob, ImportOptions } from './types.js';
import type { Readable } from 'node:stream';

export async function importRootfs(store: ImageStore, input: Readable, opts: ImportOptions): Promise<string> {
  const ref = opts.ref ? parseReference(opts.ref) : undefined;
  if (ref?.digest) throw new InvalidImageError('cannot import to a digest reference; give repo[:tag]');
  const config = applyChanges({}, opts.changes ?? []);
  const { compression, stream } = await peekCompression(input);
  // Stored first (the blob is what `docker save` writes back), then unpacked from disk.
  const blob = await store.content.putStream(stream, undefined, 'imported layer', (n) =>
    opts.onProgress?.({ status: 'Importing', progressDetail: { current: n }, id: '' }),
  );
  const unpinBlob = store.pin([blob.digest]);
  try {
    const layer = await store.layers.unpackBase(createReadStream(store.content.path(blob.digest), { highWaterMark: 1 << 20 }), compression, {
      blob: { digest: blob.digest, compression },
    });
    const unpinLayer = store.pin([layer.chainId]);
    try {
      await store.layers.sync();
      const platform = opts.platform ? parsePlatform(opts.platform) : hostPlatform();
      const now = new Date().toISOString();
      const cfg: ImageConfigBlob = {
        architecture: platform.architecture,
        ...(platform.variant ? { variant: platform.variant } : {}),
        os: platform.os,
        created: now,
        comment: opts.message || 'Imported from -',
        config,
        rootfs: { type: 'layers', diff_ids: [layer.diffId] },
        history: [{ created: now, comment: opts.message || 'Imported from -' }],
      };
      const id = await store.content.putBuffer(Buffer.from(JSON.stringify(cfg)));
      await store.registerImage(id, { tags: ref ? [tagKey(ref)] : [] });
      opts.onProgress?.({ status: id });
      return id;
    } finally {
      unpinLayer();
    }
  } finally {
    unpinBlob();
  }
}

function splitArgs(rest: string): string[] {
  const t = rest.trim();
  if (t.startsWith('[')) {
    try {
      const v = JSON.parse(t) as unknown;
      if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
    } catch {
      /* shell form */
    }
  }
  return ['/bin/sh', '-c', t];
}

function unquote(s: string): string {
  return s.length >= 2 && ((s[0] === '"' && s.endsWith('"')) || (s[0] === "'" && s.endsWith("'"))) ? s.slice(1, -1) : s;
}

/** `key=value key2="v 2"` or legacy `key value`. */
function keyValues(rest: string, what: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const t = rest.trim();
  if (!/^[^\s=]+=/.test(t)) {
    const m = /^(\S+)\s+(.*)$/.exec(t);
    if (!m) throw new InvalidImageError(`${what} needs key=value`);
    return [[m[1], m[2]]];
  }
  const re = /("(?:[^"\\]|\\.)*"|'[^']*'|[^\s=]+)=("(?:[^"\\]|\\.)*"|'[^']*'|\S*)/g;
  for (const m of t.matchAll(re)) out.push([unquote(m[1]), unquote(m[2]).replace(/\\(.)/g, '$1')]);
  return out;
}

/**
 * Applies `docker import --change` lines (CMD, ENTRYPOINT, ENV, EXPOSE,
 * LABEL, ONBUILD, STOPSIGNAL, USER, VOLUME, WORKDIR). Others are an error,
 * as in Docker.
 */
export function applyChanges(base: ImageConfig, changes: string[]): ImageConfig {
  const c: ImageConfig = { ...base };
  for (const line of changes) {
    const m = /^\s*(\w+)\s+([\s\S]*)$/.exec(line);
    if (!m) throw new InvalidImageError(`invalid change "${line}": expected INSTRUCTION arguments`);
    const ins = m[1].toUpperCase();
    const rest = m[2];
    switch (ins) {
      case 'CMD':
        c.Cmd = splitArgs(rest);
        break;
      case 'ENTRYPOINT':
        c.Entrypoint = splitArgs(rest);
        break;
      case 'ENV': {
        const env = [...(c.Env ?? [])];
        for (const [k, v] of keyValues(rest, 'ENV')) {
          const i = env.findIndex((e) => e.startsWith(k + '='));
          if (i >= 0) env[i] = `${k}=${v}`;
          else env.push(`${k}=${v}`);
        }
        c.Env = env;
        break;
      }
      case 'LABEL':
        c.Labels = { ...(c.Labels ?? {}), ...Object.fromEntries(keyValues(rest, 'LABEL')) };
        break;
      case 'EXPOSE': {
        const ports = { ...(c.ExposedPorts ?? {}) };
        for (const p of rest.trim().split(/\s+/)) ports[p.includes('/') ? p : `${p}/tcp`] = {};
        c.ExposedPorts = ports;
        break;
      }
      case 'VOLUME': {
        const vols = { ...(c.Volumes ?? {}) };
        const list = rest.trim().startsWith('[') ? (JSON.parse(rest) as string[]) : rest.trim().split(/\s+/);
        for (const v of list) vols[v] = {};
        c.Volumes = vols;
        break;
      }
      case 'WORKDIR':
        c.WorkingDir = rest.trim();
        break;
      case 'USER':
        c.User = rest.trim();
        break;
      case 'STOPSIGNAL':
        c.StopSignal = rest.trim();
        break;
      case 'ONBUILD':
        c.OnBuild = [...(c.OnBuild ?? []), rest.trim()];
        break;
      default:
        throw new InvalidImageError(`${ins} is not a valid change command`);
    }
  }
  return c;
}
