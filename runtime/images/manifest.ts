// Manifests and indexes (Docker schema2 and OCI), and choosing the one for
// a platform from a manifest list.
import { InvalidImageError, NoMatchingPlatformError } from './errors.js';

export const MT = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerSchema1: 'application/vnd.docker.distribution.manifest.v1+json',
  dockerSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerLayerForeign: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
} as const;

/** What we ask registries for, best first. */
export const MANIFEST_ACCEPT = [MT.ociIndex, MT.dockerList, MT.ociManifest, MT.dockerManifest].join(', ');

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: Platform & { 'os.version'?: string; 'os.features'?: string[] };
  annotations?: Record<string, string>;
  urls?: string[];
}

export interface ImageManifest {
  schemaVersion: 2;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

export interface ImageIndex {
  schemaVersion: 2;
  mediaType?: string;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
}

export type AnyManifest = { kind: 'index'; index: ImageIndex } | { kind: 'manifest'; manifest: ImageManifest };

const ARCH_OF_NODE: Record<string, Platform> = {
  x64: { os: 'linux', architecture: 'amd64' },
  arm64: { os: 'linux', architecture: 'arm64', variant: 'v8' },
  arm: { os: 'linux', architecture: 'arm', variant: 'v7' },
  ia32: { os: 'linux', architecture: '386' },
  ppc64: { os: 'linux', architecture: 'ppc64le' },
  s390x: { os: 'linux', architecture: 's390x' },
  riscv64: { os: 'linux', architecture: 'riscv64' },
};

export function hostPlatform(): Platform {
  return { ...(ARCH_OF_NODE[process.arch] ?? { os: 'linux', architecture: process.arch }) };
}

/** `linux/arm64/v8`, `linux/amd64` → Platform; empty → host. */
export function parsePlatform(s: string | undefined): Platform {
  if (!s) return hostPlatform();
  const parts = s.toLowerCase().split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => !p)) {
    throw new InvalidImageError(`invalid platform "${s}": expected os/arch[/variant], e.g. linux/amd64`);
  }
  const p: Platform = { os: parts[0], architecture: parts[1] === 'x86_64' ? 'amd64' : parts[1] === 'aarch64' ? 'arm64' : parts[1] };
  if (parts[2]) p.variant = parts[2];
  else if (p.architecture === 'arm64') p.variant = 'v8';
  return p;
}

export function platformString(p: Platform): string {
  return `${p.os}/${p.architecture}${p.variant ? '/' + p.variant : ''}`;
}

function variantOf(p: Platform): string | undefined {
  if (p.variant) return p.variant;
  if (p.architecture === 'arm64') return 'v8';
  return undefined;
}

/**
 * The manifest of `index` for `want`: os and architecture must match; for
 * variants an exact match wins, then one without a variant (arm64's is v8 by
 * default), as containerd's platform matcher. Attestation entries
 * (`unknown/unknown`) never match.
 */
export function selectManifest(index: ImageIndex, want: Platform): Descriptor {
  const candidates = index.manifests.filter(
    (m) =>
      (m.mediaType === MT.dockerManifest || m.mediaType === MT.ociManifest || m.mediaType === undefined) &&
      m.platform &&
      m.platform.os === want.os &&
      m.platform.architecture === want.architecture,
  );
  const wantVariant = variantOf(want);
  const exact = candidates.find((m) => variantOf(m.platform!) === wantVariant);
  const loose = candidates.find((m) => !m.platform!.variant);
  const pick = exact ?? loose ?? (wantVariant === undefined ? candidates[0] : undefined);
  if (!pick) {
    throw new NoMatchingPlatformError(`no matching manifest for ${platformString(want)} in the manifest list entries`);
  }
  return pick;
}

/** Parses a manifest body by media type (header, then the body's own `mediaType`, then its shape). */
export function parseManifest(body: Buffer, contentType: string | undefined, what: string): AnyManifest {
  let obj: Record<string, unknown>;
  try {
    obj = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
  } catch {
    throw new InvalidImageError(`${what}: manifest is not valid JSON`);
  }
  const ct = (contentType ?? '').split(';')[0].trim();
  const mt = (typeof obj.mediaType === 'string' ? obj.mediaType : '') || ct;
  if (mt === MT.dockerSchema1 || mt === MT.dockerSchema1Signed || obj.schemaVersion === 1) {
    throw new InvalidImageError(`${what}: Docker schema 1 manifests are not supported (deprecated since 2017); re-push the image with a current client`);
  }
  if (obj.schemaVersion !== 2) throw new InvalidImageError(`${what}: unsupported manifest schemaVersion ${String(obj.schemaVersion)}`);
  if (mt === MT.dockerList || mt === MT.ociIndex || (!mt && Array.isArray(obj.manifests))) {
    if (!Array.isArray(obj.manifests)) throw new InvalidImageError(`${what}: index has no "manifests" list`);
    return { kind: 'index', index: obj as unknown as ImageIndex };
  }
  if (mt === MT.dockerManifest || mt === MT.ociManifest || (!mt && obj.config)) {
    const m = obj as unknown as ImageManifest;
    if (!m.config || typeof m.config.digest !== 'string' || !Array.isArray(m.layers)) {
      throw new InvalidImageError(`${what}: manifest lacks "config" or "layers"`);
    }
    return { kind: 'manifest', manifest: m };
  }
  throw new InvalidImageError(`${what}: unsupported manifest media type "${mt}"`);
}
