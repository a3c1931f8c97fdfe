import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { chainIds, compressionOfMediaType, detectCompression } from '../../../runtime/images/layer-store.js';
import { applyChanges } from '../../../runtime/images/import.js';
import { MT } from '../../../runtime/images/manifest.js';
import { toImageSummary } from '../../../runtime/images/record.js';
import type { ImageRecord } from '../../../runtime/images/types.js';

const d = (c: string) => 'sha256:' + c.repeat(64);

describe('chain ids (OCI image spec)', () => {
  it('first is the diff id, then sha256(parent + " " + diff)', () => {
    const ids = chainIds([d('a'), d('b'), d('c')]);
    const two = 'sha256:' + createHash('sha256').update(`${d('a')} ${d('b')}`).digest('hex');
    expect(ids[0]).toBe(d('a'));
    expect(ids[1]).toBe(two);
    expect(ids[2]).toBe('sha256:' + createHash('sha256').update(`${two} ${d('c')}`).digest('hex'));
    expect(chainIds([])).toEqual([]);
  });
});

describe('compression', () => {
  it('by magic bytes', () => {
    expect(detectCompression(Buffer.from([0x1f, 0x8b, 8, 0]))).toBe('gzip');
    expect(detectCompression(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]))).toBe('zstd');
    expect(detectCompression(Buffer.from('./\0\0'))).toBe('none');
    expect(detectCompression(Buffer.alloc(0))).toBe('none');
  });
  it('by media type', () => {
    expect(compressionOfMediaType(MT.dockerLayerGzip)).toBe('gzip');
    expect(compressionOfMediaType(MT.ociLayerGzip)).toBe('gzip');
    expect(compressionOfMediaType(MT.ociLayerZstd)).toBe('zstd');
    expect(compressionOfMediaType(MT.ociLayer)).toBe('none');
    expect(compressionOfMediaType('application/vnd.example.weird')).toBeUndefined();
  });
});

describe('docker import --change', () => {
  it('JSON and shell forms, ENV forms, merge order', () => {
    const c = applyChanges({ Env: ['A=0', 'KEEP=1'] }, ['CMD echo hi', 'ENV A 1', 'ENV B=2 C="3 4"', 'EXPOSE 53/udp 80', "LABEL a=b 'c'='d e'", 'VOLUME ["/v1", "/v2"]', 'ONBUILD RUN x']);
    expect(c).toEqual({
      Cmd: ['/bin/sh', '-c', 'echo hi'],
      Env: ['A=1', 'KEEP=1', 'B=2', 'C=3 4'],
      ExposedPorts: { '53/udp': {}, '80/tcp': {} },
      Labels: { a: 'b', c: 'd e' },
      Volumes: { '/v1': {}, '/v2': {} },
      OnBuild: ['RUN x'],
    });
  });
  it('refuses what docker import refuses', () => {
    expect(() => applyChanges({}, ['COPY . /'])).toThrow('COPY is not a valid change command');
    expect(() => applyChanges({}, ['CMD'])).toThrow('invalid change "CMD": expected INSTRUCTION arguments');
  });
});

describe('images/json rows', () => {
  it('Created in unix seconds, labels, sizes', () => {
    const r = {
      Id: d('1'), RepoTags: ['a:b'], RepoDigests: [], Parent: '', Comment: '', Created: '2024-01-02T03:04:05.9Z', Author: '', DockerVersion: '',
      Architecture: 'amd64', Os: 'linux', Size: 10, VirtualSize: 10, Config: { Labels: { x: 'y' } }, RootFS: { Type: 'layers', Layers: [] }, Metadata: { LastTagTime: '' },
    } satisfies ImageRecord;
    expect(toImageSummary(r, 2)).toEqual({ Id: d('1'), ParentId: '', RepoTags: ['a:b'], RepoDigests: [], Created: 1704164645, Size: 10, SharedSize: -1, VirtualSize: 10, Labels: { x: 'y' }, Containers: 2 });
  });
});
