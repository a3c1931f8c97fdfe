import { describe, expect, it } from 'vitest';
import { MT, parseManifest, parsePlatform, selectManifest, type ImageIndex } from '../../../runtime/images/manifest.js';
import { InvalidImageError, NoMatchingPlatformError } from '../../../runtime/images/errors.js';

const d = (n: number) => 'sha256:' + String(n).repeat(64).slice(0, 64);
const index: ImageIndex = {
  schemaVersion: 2,
  mediaType: MT.ociIndex,
  manifests: [
    { mediaType: MT.ociManifest, digest: d(1), size: 1, platform: { os: 'linux', architecture: 'arm', variant: 'v6' } },
    { mediaType: MT.ociManifest, digest: d(2), size: 1, platform: { os: 'linux', architecture: 'arm', variant: 'v7' } },
    { mediaType: MT.ociManifest, digest: d(3), size: 1, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
    { mediaType: MT.ociManifest, digest: d(4), size: 1, platform: { os: 'windows', architecture: 'amd64' } },
    { mediaType: MT.ociManifest, digest: d(5), size: 1, platform: { os: 'linux', architecture: 'amd64' } },
    { mediaType: MT.ociManifest, digest: d(6), size: 1, platform: { os: 'unknown', architecture: 'unknown' }, annotations: { 'vnd.docker.reference.type': 'attestation-manifest' } },
  ],
};

describe('selectManifest', () => {
  it('picks os/arch, ignoring other OSes and attestations', () => {
    expect(selectManifest(index, parsePlatform('linux/amd64')).digest).toBe(d(5));
    expect(selectManifest(index, parsePlatform('linux/x86_64')).digest).toBe(d(5));
  });
  it('matches variants exactly, arm64 defaulting to v8', () => {
    expect(selectManifest(index, parsePlatform('linux/arm/v7')).digest).toBe(d(2));
    expect(selectManifest(index, parsePlatform('linux/arm/v6')).digest).toBe(d(1));
    expect(selectManifest(index, parsePlatform('linux/arm64')).digest).toBe(d(3));
    expect(selectManifest(index, parsePlatform('linux/aarch64')).digest).toBe(d(3));
  });
  it('arm64 entries without a variant still match', () => {
    const i: ImageIndex = { schemaVersion: 2, manifests: [{ mediaType: MT.dockerManifest, digest: d(7), size: 1, platform: { os: 'linux', architecture: 'arm64' } }] };
    expect(selectManifest(i, parsePlatform('linux/arm64')).digest).toBe(d(7));
  });
  it('no match names the platform as Docker does', () => {
    expect(() => selectManifest(index, parsePlatform('linux/s390x'))).toThrow(NoMatchingPlatformError);
    expect(() => selectManifest(index, parsePlatform('linux/s390x'))).toThrow('no matching manifest for linux/s390x in the manifest list entries');
  });
  it('bad platform strings', () => {
    expect(() => parsePlatform('linux')).toThrow('invalid platform "linux": expected os/arch[/variant], e.g. linux/amd64');
  });
});

describe('parseManifest', () => {
  const m = { schemaVersion: 2, mediaType: MT.dockerManifest, config: { mediaType: MT.dockerConfig, digest: d(1), size: 2 }, layers: [] };
  it('by body mediaType, header, or shape', () => {
    expect(parseManifest(Buffer.from(JSON.stringify(m)), undefined, 'x').kind).toBe('manifest');
    const { mediaType: _drop, ...bare } = m;
    expect(parseManifest(Buffer.from(JSON.stringify(bare)), MT.ociManifest, 'x').kind).toBe('manifest');
    expect(parseManifest(Buffer.from(JSON.stringify({ schemaVersion: 2, manifests: [] })), undefined, 'x').kind).toBe('index');
    expect(parseManifest(Buffer.from(JSON.stringify(index)), MT.ociIndex, 'x').kind).toBe('index');
  });
  it('refuses schema 1 and garbage with reasons', () => {
    expect(() => parseManifest(Buffer.from(JSON.stringify({ schemaVersion: 1 })), MT.dockerSchema1Signed, 'img')).toThrow(/schema 1 manifests are not supported/);
    expect(() => parseManifest(Buffer.from('nope'), undefined, 'img')).toThrow(InvalidImageError);
    expect(() => parseManifest(Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MT.dockerManifest })), undefined, 'img')).toThrow('img: manifest lacks "config" or "layers"');
  });
});
