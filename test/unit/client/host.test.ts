import { describe, expect, it } from 'vitest';
import { parseEngineHost, resolveEngineHost } from '../../../runtime/client/host.js';

describe('engine host', () => {
  it('parses the address forms', () => {
    expect(parseEngineHost('unix:///run/tscompose/engine.sock')).toEqual({ kind: 'unix', socketPath: '/run/tscompose/engine.sock', display: 'unix:///run/tscompose/engine.sock' });
    expect(parseEngineHost('/var/run/docker.sock')).toMatchObject({ kind: 'unix', socketPath: '/var/run/docker.sock' });
    expect(parseEngineHost('tcp://127.0.0.1:2375')).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 2375, display: 'tcp://127.0.0.1:2375' });
    expect(parseEngineHost('tcp://[::1]:2376')).toMatchObject({ kind: 'tcp', host: '::1', port: 2376 });
    expect(parseEngineHost('tcp://engine')).toMatchObject({ port: 2375 });
  });

  it('explains what is wrong', () => {
    expect(() => parseEngineHost('')).toThrow('engine host is empty: use unix:///path/to/socket or tcp://host:port');
    expect(() => parseEngineHost('unix://relative.sock')).toThrow('invalid engine host "unix://relative.sock": a unix socket path must be absolute (unix:///run/x.sock)');
    expect(() => parseEngineHost('ssh://me@box')).toThrow('engine host "ssh://me@box": ssh:// is not supported; use unix:// or tcp://');
    expect(() => parseEngineHost('tcp://h:99999')).toThrow('invalid engine host "tcp://h:99999": port 99999 is out of range');
    expect(() => parseEngineHost('localhost:2375')).toThrow('invalid engine host "localhost:2375": use unix:///path/to/socket or tcp://host:port');
  });

  it('takes --host, then TSCOMPOSE_HOST, then DOCKER_HOST, then the default socket', () => {
    const env = { TSCOMPOSE_HOST: 'unix:///a.sock', DOCKER_HOST: 'unix:///b.sock' };
    expect(resolveEngineHost('unix:///x.sock', env).display).toBe('unix:///x.sock');
    expect(resolveEngineHost(undefined, env).display).toBe('unix:///a.sock');
    expect(resolveEngineHost(undefined, { DOCKER_HOST: 'unix:///b.sock' }).display).toBe('unix:///b.sock');
    expect(resolveEngineHost(undefined, {}).display).toBe('unix:///run/tscompose/engine.sock');
  });
});
