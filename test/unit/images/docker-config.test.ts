import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { authKeyHost, credentialsFromConfig, decodeRegistryAuthHeader, loadDockerCredentials } from '../../../runtime/images/docker-config.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('docker config.json credentials', () => {
  const cfg = JSON.stringify({
    auths: {
      'https://index.docker.io/v1/': { auth: b64('hubuser:hub:pass') },
      '127.0.0.1:5000': { auth: b64('alice:secret') },
      'https://registry.example.com/v2/': { username: 'u', password: 'p' },
      'ghcr.io': { identitytoken: 'tok' },
      'broken.example': { auth: b64('nocolon') },
    },
    credsStore: 'desktop',
  });
  it('normalizes keys', () => {
    expect(authKeyHost('https://index.docker.io/v1/')).toBe('index.docker.io');
    expect(authKeyHost('HTTP://Host:5000/')).toBe('host:5000');
  });
  it('decodes the base64 auth field (passwords may hold colons)', () => {
    expect(credentialsFromConfig(cfg, 'docker.io')).toEqual({ username: 'hubuser', password: 'hub:pass' });
    expect(credentialsFromConfig(cfg, '127.0.0.1:5000')).toEqual({ username: 'alice', password: 'secret' });
  });
  it('username/password and identity tokens', () => {
    expect(credentialsFromConfig(cfg, 'registry.example.com')).toEqual({ username: 'u', password: 'p' });
    expect(credentialsFromConfig(cfg, 'ghcr.io')).toEqual({ identitytoken: 'tok' });
  });
  it('nothing for unknown hosts, broken entries or bad JSON', () => {
    expect(credentialsFromConfig(cfg, 'quay.io')).toBeUndefined();
    expect(credentialsFromConfig(cfg, 'broken.example')).toBeUndefined();
    expect(credentialsFromConfig('{', 'docker.io')).toBeUndefined();
  });
  it('reads <home>/.docker/config.json', () => {
    const home = mkdtempSync(join(tmpdir(), 'tsct-cfg-'));
    try {
      mkdirSync(join(home, '.docker'));
      writeFileSync(join(home, '.docker', 'config.json'), cfg);
      expect(loadDockerCredentials('127.0.0.1:5000', home)).toEqual({ username: 'alice', password: 'secret' });
      expect(loadDockerCredentials('127.0.0.1:5000', join(home, 'none'))).toBeUndefined();
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
  it('X-Registry-Auth header (base64url JSON)', () => {
    const h = Buffer.from(JSON.stringify({ username: 'a', password: 'b?>', serveraddress: 'r' })).toString('base64url');
    expect(decodeRegistryAuthHeader(h)).toEqual({ username: 'a', password: 'b?>', serveraddress: 'r' });
    expect(decodeRegistryAuthHeader(Buffer.from('{"identitytoken":"t"}').toString('base64'))).toEqual({ identitytoken: 't' });
    expect(decodeRegistryAuthHeader('e30=')).toBeUndefined();
    expect(decodeRegistryAuthHeader('!!!')).toBeUndefined();
    expect(decodeRegistryAuthHeader(undefined)).toBeUndefined();
  });
});
