import { describe, expect, it } from 'vitest';
import { Router, splitVersion } from '../../../runtime/engine/router.js';
import { eventMatches, EventBus } from '../../../runtime/engine/event-bus.js';
import { parseEngineArgs, toArgv } from '../../../runtime/engine/launcher.js';
import { registryBase } from '../../../runtime/engine/routes/auth.js';

describe('Router', () => {
  const r = new Router();
  const h = () => {};
  r.add('GET', '/images/json', h).add('GET', '/images/{name*}/json', h).add('DELETE', '/images/{name*}', h).add('GET', '/containers/{id}/json', h);
  it('matches one segment and greedy names', () => {
    expect(r.match('GET', '/containers/abc/json').params).toEqual({ id: 'abc' });
    expect(r.match('GET', '/images/json').params).toEqual({});
    expect(r.match('GET', '/images/127.0.0.1:5000/team/app:v1/json').params).toEqual({ name: '127.0.0.1:5000/team/app:v1' });
    expect(r.match('DELETE', '/images/library/busybox').params).toEqual({ name: 'library/busybox' });
    expect(r.match('GET', '/images/a%2Fb/json').params).toEqual({ name: 'a/b' });
    expect(r.match('HEAD', '/containers/x/json').route).toBeDefined();
    expect(r.match('POST', '/containers/x/json').route).toBeUndefined();
    expect(r.match('POST', '/containers/x/json').methodMismatch).toBe(true);
    expect(r.match('GET', '/containers/json/extra/x').route).toBeUndefined();
    expect(r.match('GET', '/containers/json/extra/x').methodMismatch).toBe(false);
  });
  it('splits versions', () => {
    expect(splitVersion('/v1.41/containers/json')).toEqual({ version: '1.41', rest: '/containers/json' });
    expect(splitVersion('/containers/json')).toEqual({ version: '1.41', rest: '/containers/json' });
    expect(splitVersion('/v1.45/_ping')).toEqual({ version: '1.45', rest: '/_ping' });
  });
});

describe('EventBus', () => {
  it('filters by type, action, container name and label', () => {
    const bus = new EventBus(10, () => 1_700_000_000_000);
    const ev = bus.publish('container', 'start', 'abc123', { name: 'web', image: 'nginx', 'com.docker.compose.project': 'demo' });
    expect(ev).toMatchObject({ Type: 'container', Action: 'start', status: 'start', id: 'abc123', from: 'nginx', time: 1_700_000_000, timeNano: 1_700_000_000_000_000_000 });
    expect(eventMatches(ev, { type: ['container'], event: ['start'] })).toBe(true);
    expect(eventMatches(ev, { container: ['web'] })).toBe(true);
    expect(eventMatches(ev, { container: ['abc'] })).toBe(true);
    expect(eventMatches(ev, { label: ['com.docker.compose.project=demo'] })).toBe(true);
    expect(eventMatches(ev, { label: ['com.docker.compose.project=other'] })).toBe(false);
    expect(eventMatches(ev, { type: ['image'] })).toBe(false);
    expect(eventMatches(ev, { image: ['nginx'] })).toBe(true);
    expect(bus.history(0)).toHaveLength(1);
    for (let i = 0; i < 20; i++) bus.publish('image', 'pull', `i${i}`);
    expect(bus.history(0)).toHaveLength(10);
  });
});

describe('engine command line', () => {
  it('parses options', () => {
    expect(parseEngineArgs([])).toMatchObject({ action: 'run', root: '/var/lib/tscompose', socketPath: '/run/tscompose/engine.sock' });
    expect(parseEngineArgs(['start', '--root', '/tmp/r', '-H', 'unix:///tmp/e.sock', '--runtime=crun', '--insecure-registry', 'reg:5000']))
      .toMatchObject({ action: 'start', root: '/tmp/r', socketPath: '/tmp/e.sock', runtime: 'crun', insecureRegistries: ['reg:5000'] });
    expect(parseEngineArgs(['--certs-dir', '/srv/certs.d'])).toMatchObject({ certsDir: '/srv/certs.d' });
    expect(toArgv(parseEngineArgs(['--certs-dir', '/srv/certs.d']))).toContain('--certs-dir');
    expect(() => parseEngineArgs(['launch'])).toThrow(/^unknown engine command "launch"/);
    expect(() => parseEngineArgs(['--runtime', 'kata'])).toThrow('--runtime must be tscrun, runc or crun, not "kata"');
    expect(() => parseEngineArgs(['--root'])).toThrow(/^--root needs a value/);
    expect(() => parseEngineArgs(['-H', 'tcp://1.2.3.4:2375'])).toThrow('the engine serves a unix socket; use --tcp for TCP');
    expect(() => parseEngineArgs(['--frobnicate'])).toThrow(/^unknown option --frobnicate/);
  });
});

describe('registry login address', () => {
  it('uses http for loopback and insecure registries, https otherwise', () => {
    expect(registryBase('127.0.0.1:5000')).toBe('http://127.0.0.1:5000');
    expect(registryBase('localhost:5000')).toBe('http://localhost:5000');
    expect(registryBase('reg.example.com')).toBe('https://reg.example.com');
    expect(registryBase('reg.lan:5000', ['reg.lan:5000'])).toBe('http://reg.lan:5000');
    expect(registryBase('https://index.docker.io/v1/')).toBe('https://index.docker.io');
    expect(registryBase('docker.io')).toBe('https://registry-1.docker.io');
  });
});
