// The pure parts of the container lifecycle: config merge, user resolution,
// json-file logs, /etc files, overlay options, signals, ps parsing, status text.

import { describe, expect, it } from 'vitest';
import { commandOf, mergeEnv, mergeImageConfig } from '../../../runtime/containers/merge-config.js';
import { parseGroup, parsePasswd, resolveUser } from '../../../runtime/containers/user.js';
import { logTimestamp, parseTimeParam, timestampSeconds } from '../../../runtime/containers/json-log.js';
import { hostsFileContent, resolvConfContent } from '../../../runtime/containers/etc-files.js';
import { overlayOptions, rootfsPaths } from '../../../runtime/containers/rootfs.js';
import { describeExitCode, normalizeSignal, parseSize } from '../../../runtime/containers/container-manager.js';
import { filterPsOutput } from '../../../runtime/containers/top.js';
import { humanDuration, newState, statusText } from '../../../runtime/containers/container-record.js';
import { runtimeMessage } from '../../../runtime/containers/oci-runtime.js';

describe('mergeImageConfig (Docker rules)', () => {
  const image = { Entrypoint: ['/docker-entrypoint.sh'], Cmd: ['nginx', '-g', 'daemon off;'], Env: ['PATH=/usr/bin', 'NGINX=1'], WorkingDir: '/srv', User: 'www', Labels: { a: '1' }, ExposedPorts: { '80/tcp': {} }, StopSignal: 'SIGQUIT' };
  it('fills what the user left out', () => {
    const m = mergeImageConfig({ Image: 'nginx', Env: ['NGINX=2', 'X=y'] }, image);
    expect(m).toMatchObject({ Entrypoint: ['/docker-entrypoint.sh'], Cmd: ['nginx', '-g', 'daemon off;'], WorkingDir: '/srv', User: 'www', StopSignal: 'SIGQUIT' });
    expect(m.Env).toEqual(['PATH=/usr/bin', 'NGINX=2', 'X=y']);
    expect(m.Labels).toEqual({ a: '1' });
  });
  it('a user Cmd replaces the image Cmd and keeps its Entrypoint', () => {
    expect(mergeImageConfig({ Cmd: ['sh'] }, image)).toMatchObject({ Entrypoint: ['/docker-entrypoint.sh'], Cmd: ['sh'] });
  });
  it('a user Entrypoint drops the image Cmd', () => {
    expect(mergeImageConfig({ Entrypoint: ['/bin/echo'] }, image)).toMatchObject({ Entrypoint: ['/bin/echo'], Cmd: null });
  });
  it('an empty Entrypoint ([""]) clears the image entrypoint', () => {
    const m = mergeImageConfig({ Entrypoint: [''], Cmd: ['ls'] }, image);
    expect(m.Entrypoint).toEqual([]);
    expect(commandOf(m)).toEqual({ path: 'ls', args: [] });
  });
  it('path and args', () => {
    expect(commandOf({ Entrypoint: ['/e'], Cmd: ['a', 'b'] })).toEqual({ path: '/e', args: ['a', 'b'] });
    expect(() => commandOf({ Cmd: [] })).toThrow('No command specified');
  });
  it('merges env by key', () => {
    expect(mergeEnv(['A=1', 'B=2', 'C'], ['B=3', 'C=4'])).toEqual(['A=1', 'B=3', 'C=4']);
  });
});

describe('resolveUser', () => {
  const passwd = parsePasswd('root:x:0:0:root:/root:/bin/sh\napp:x:1000:1001::/home/app:/bin/sh\n# comment\n');
  const groups = parseGroup('root:x:0:\nstaff:x:50:app,other\napp:x:1001:\naudio:x:29:\n');
  it('resolves names, numbers and groups', () => {
    // The primary group is a supplementary one too, as dockerd 20.10 sends it to runc.
    expect(resolveUser('', passwd, groups)).toEqual({ uid: 0, gid: 0, additionalGids: [0] });
    expect(resolveUser('app', passwd, groups)).toEqual({ uid: 1000, gid: 1001, additionalGids: [1001, 50] });
    expect(resolveUser('1000:audio', passwd, groups)).toEqual({ uid: 1000, gid: 29, additionalGids: [29, 50] });
    expect(resolveUser('4242', passwd, groups)).toEqual({ uid: 4242, gid: 0, additionalGids: [0] });
    expect(resolveUser('4242:4343', passwd, groups)).toEqual({ uid: 4242, gid: 4343, additionalGids: [4343] });
    expect(resolveUser('root', passwd, groups, ['audio', '99'])).toEqual({ uid: 0, gid: 0, additionalGids: [0, 29, 99] });
  });
  it('names a missing user or group like Docker', () => {
    expect(() => resolveUser('ghost', passwd, groups)).toThrow('unable to find user ghost: no matching entries in passwd file');
    expect(() => resolveUser('app:ghosts', passwd, groups)).toThrow('unable to find group ghosts: no matching entries in group file');
  });
});

describe('json-file logs', () => {
  it('writes nanosecond timestamps and reads them back', () => {
    const t = logTimestamp(new Date('2024-05-06T07:08:09.123Z'), 456);
    expect(t).toBe('2024-05-06T07:08:09.123000456Z');
    expect(timestampSeconds(t)).toBeCloseTo(1714979289.123000456, 6);
  });
  it('parses since/until like Docker', () => {
    const now = Date.parse('2024-01-01T00:10:00Z');
    expect(parseTimeParam('1700000000.5', now)).toBe(1700000000.5);
    expect(parseTimeParam('10m', now)).toBe(now / 1000 - 600);
    expect(parseTimeParam('1h30m', now)).toBe(now / 1000 - 5400);
    expect(parseTimeParam('2024-01-01T00:00:00Z', now)).toBe(Date.parse('2024-01-01T00:00:00Z') / 1000);
    expect(() => parseTimeParam('soon', now)).toThrow('invalid time "soon": use unix seconds, RFC 3339 or a duration like 10m');
  });
});

describe('/etc files', () => {
  it('hosts', () => {
    expect(hostsFileContent('web', '10.0.0.2', ['db:10.0.0.3'])).toBe('127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n10.0.0.3\tdb\n10.0.0.2\tweb\n');
  });
  it('resolv.conf without loopback resolvers', () => {
    expect(resolvConfContent('nameserver 127.0.0.53\noptions edns0\nsearch lan\n')).toBe('options edns0\nsearch lan\nnameserver 8.8.8.8\nnameserver 8.8.4.4\n');
    expect(resolvConfContent('nameserver 192.168.1.1\n')).toBe('nameserver 192.168.1.1\n');
    expect(resolvConfContent('nameserver 192.168.1.1\nsearch lan\n', ['1.1.1.1'], ['corp'], ['ndots:2'])).toBe('nameserver 1.1.1.1\nsearch corp\noptions ndots:2\n');
  });
});

describe('overlay options', () => {
  const paths = rootfsPaths('/var/lib/tscompose/containers/abc');
  it('puts the init layer on top of the image layers, relative to the state root', () => {
    expect(overlayOptions('/var/lib/tscompose', paths, ['/var/lib/tscompose/images/l/A', '/var/lib/tscompose/images/l/B']))
      .toBe('lowerdir=containers/abc/init:images/l/B:images/l/A,upperdir=containers/abc/upper,workdir=containers/abc/work');
  });
  it('refuses more layers than one page of options holds, and separators in paths', () => {
    const many = Array.from({ length: 200 }, (_, i) => `/var/lib/tscompose/images/layers/${String(i).padStart(64, '0')}/diff`);
    expect(() => overlayOptions('/var/lib/tscompose', paths, many)).toThrow(/the image has too many layers \(200\) for one overlay mount/);
    expect(() => overlayOptions('/var/lib/tscompose', paths, ['/x:y'])).toThrow("layer path /x:y contains ':' or ',' and cannot be an overlay lower dir");
  });
});

describe('signals, sizes, exit codes', () => {
  it('normalizes signals', () => {
    expect(normalizeSignal('term')).toBe('SIGTERM');
    expect(normalizeSignal('SIGKILL')).toBe('SIGKILL');
    expect(normalizeSignal('9')).toBe('SIGKILL');
    expect(normalizeSignal('SIGRTMIN+3')).toBe('SIGRTMIN+3');
    expect(() => normalizeSignal('NOPE')).toThrow('Invalid signal: NOPE');
    expect(() => normalizeSignal('99')).toThrow('Invalid signal: 99');
  });
  it('parses log sizes', () => {
    expect(parseSize('10m')).toBe(10 * 1024 * 1024);
    expect(parseSize('1.5k')).toBe(1536);
    expect(parseSize(undefined)).toBeUndefined();
    expect(() => parseSize('ten')).toThrow('invalid log-opt max-size: "ten"');
  });
  it('says exit codes in words', () => {
    expect(describeExitCode(137)).toBe('137 (killed)');
    expect(describeExitCode(127)).toBe('127 (command not found)');
    expect(describeExitCode(0)).toBe('0');
  });
  it('keeps the runtime\'s own message', () => {
    expect(runtimeMessage('time="2024" level=error msg="container \\"x\\" does not exist"')).toBe('container "x" does not exist');
    expect(runtimeMessage('plain failure')).toBe('plain failure');
  });
});

describe('top and status', () => {
  it('keeps the container\'s rows of ps', () => {
    const out = 'UID PID PPID C STIME TTY TIME CMD\nroot 1 0 0 10:00 ? 00:00:01 /sbin/init\nroot 42 41 0 10:01 ? 00:00:00 sleep 100 now\n';
    expect(filterPsOutput(out, [42])).toEqual({
      Titles: ['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD'],
      Processes: [['root', '42', '41', '0', '10:01', '?', '00:00:00', 'sleep 100 now']],
    });
    expect(() => filterPsOutput('USER COMMAND\nroot x\n', [1])).toThrow("Couldn't find PID field in ps output");
  });
  it('writes docker ps statuses', () => {
    expect(humanDuration(0.2)).toBe('Less than a second');
    expect(humanDuration(45)).toBe('45 seconds');
    expect(humanDuration(90)).toBe('About a minute');
    expect(humanDuration(3 * 3600)).toBe('3 hours');
    const now = Date.parse('2024-01-01T01:00:00Z');
    expect(statusText({ ...newState(), Status: 'running', StartedAt: '2024-01-01T00:55:00Z' }, now)).toBe('Up 5 minutes');
    expect(statusText({ ...newState(), Status: 'exited', ExitCode: 137, FinishedAt: '2024-01-01T00:59:58Z' }, now)).toBe('Exited (137) 2 seconds ago');
    expect(statusText(newState(), now)).toBe('Created');
    expect(statusText({ ...newState(), Status: 'running', StartedAt: '2024-01-01T00:59:00Z', Health: { Status: 'healthy', FailingStreak: 0, Log: [] } }, now)).toBe('Up About a minute (healthy)');
    expect(statusText({ ...newState(), Status: 'running', StartedAt: '2024-01-01T00:59:59Z', Health: { Status: 'starting', FailingStreak: 0, Log: [] } }, now)).toBe('Up 1 second (health: starting)');
  });
});
