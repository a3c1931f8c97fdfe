import { describe, expect, it } from 'vitest';
import { ProgressReporter, humanSize, progressBar } from '../../../runtime/images/progress.js';
import type { PullProgress } from '../../../runtime/images/types.js';

describe('progress events', () => {
  it('have Docker JSON shapes', () => {
    const ev: PullProgress[] = [];
    const p = new ProgressReporter((e) => ev.push(e));
    p.status('Pulling from library/busybox', 'latest');
    p.status('Pulling fs layer', '0123456789ab');
    p.bytes('Downloading', '0123456789ab', 500, 1000);
    p.bytes('Downloading', '0123456789ab', 600, 1000); // throttled
    p.bytes('Downloading', '0123456789ab', 1000, 1000); // the last one always shows
    p.status('Pull complete', '0123456789ab');
    p.status('Digest: sha256:' + 'a'.repeat(64));
    expect(ev).toEqual([
      { status: 'Pulling from library/busybox', id: 'latest' },
      { status: 'Pulling fs layer', id: '0123456789ab' },
      { status: 'Downloading', progressDetail: { current: 500, total: 1000 }, progress: progressBar(500, 1000), id: '0123456789ab' },
      { status: 'Downloading', progressDetail: { current: 1000, total: 1000 }, progress: progressBar(1000, 1000), id: '0123456789ab' },
      { status: 'Pull complete', id: '0123456789ab' },
      { status: 'Digest: sha256:' + 'a'.repeat(64) },
    ]);
    for (const e of ev) expect(JSON.parse(JSON.stringify(e))).toEqual(e);
  });
  it('bars and sizes as the docker CLI prints them', () => {
    expect(progressBar(0, 100)).toBe('[' + ' '.repeat(50) + '] 0B/100B');
    expect(progressBar(50, 100)).toBe('[' + '='.repeat(24) + '>' + ' '.repeat(25) + '] 50B/100B');
    expect(progressBar(100, 100)).toBe('[' + '='.repeat(50) + '] 100B/100B');
    expect(humanSize(1_234_567)).toBe('1.23MB');
    expect(humanSize(999)).toBe('999B');
    expect(humanSize(2_000)).toBe('2kB');
  });
});
