import { describe, expect, test } from 'vitest';
import { canonicalJson, configHash, HASH_EXCLUDED_KEYS } from '../../../../compose/plan/hash.js';
import type { ServiceConfig } from '../../../../compose/types.js';

const base: ServiceConfig = {
  image: 'nginx:1.27',
  command: ['nginx', '-g', 'daemon off;'],
  environment: { A: '1', B: null },
  ports: [{ mode: 'ingress', target: 80, published: '8080', protocol: 'tcp' }],
  networks: { default: null },
  deploy: { replicas: 2, resources: { limits: { memory: 1024 } } },
};

describe('configHash', () => {
  test('is a SHA-256 hex digest, stable across calls', () => {
    expect(configHash(base)).toMatch(/^[0-9a-f]{64}$/);
    expect(configHash(base)).toBe(configHash(structuredClone(base)));
  });

  test('does not depend on key order, at any depth', () => {
    const reordered: ServiceConfig = {
      deploy: { resources: { limits: { memory: 1024 } }, replicas: 2 },
      networks: { default: null },
      ports: [{ protocol: 'tcp', published: '8080', target: 80, mode: 'ingress' }],
      environment: { B: null, A: '1' },
      command: ['nginx', '-g', 'daemon off;'],
      image: 'nginx:1.27',
    };
    expect(configHash(reordered)).toBe(configHash(base));
  });

  test('an undefined member hashes like an absent one', () => {
    expect(configHash({ ...base, user: undefined })).toBe(configHash(base));
  });

  test.each([
    ['build', { build: { context: './other' } }],
    ['pull_policy', { pull_policy: 'always' }],
    ['scale', { scale: 5 }],
    ['deploy.replicas', { deploy: { ...base.deploy, replicas: 9 } }],
    ['depends_on', { depends_on: { db: { condition: 'service_healthy', required: true } } }],
    ['profiles', { profiles: ['debug'] }],
    ['name', { name: 'web' }],
    ['x-* extensions', { 'x-note': 'hello' }],
  ] as [string, Partial<ServiceConfig>][])('changing %s does not change it', (_field, change) => {
    expect(configHash({ ...base, ...change } as ServiceConfig)).toBe(configHash(base));
  });

  test.each([
    ['image', { image: 'nginx:1.28' }],
    ['command', { command: ['nginx'] }],
    ['entrypoint', { entrypoint: ['/bin/sh', '-c'] }],
    ['environment value', { environment: { A: '2', B: null } }],
    ['environment unset vs empty', { environment: { A: '1', B: '' } }],
    ['ports', { ports: [{ mode: 'ingress', target: 80, published: '8081', protocol: 'tcp' }] }],
    ['volumes', { volumes: [{ type: 'bind', source: '/srv', target: '/data' }] }],
    ['networks', { networks: { default: null, back: null } }],
    ['labels', { labels: { a: 'b' } }],
    ['healthcheck', { healthcheck: { test: ['CMD', 'true'] } }],
    ['restart', { restart: 'always' }],
    ['deploy.resources', { deploy: { replicas: 2, resources: { limits: { memory: 2048 } } } }],
    ['container_name', { container_name: 'web' }],
    ['user', { user: '1000' }],
    ['working_dir', { working_dir: '/app' }],
    ['stop_signal', { stop_signal: 'SIGINT' }],
    ['network_mode', { network_mode: 'host' }],
    ['links', { links: ['db'] }],
    ['volumes_from', { volumes_from: ['db'] }],
    ['cap_add', { cap_add: ['NET_ADMIN'] }],
    ['tty', { tty: true }],
    ['an unknown key', { gpus: 'all' }],
  ] as [string, Partial<ServiceConfig>][])('changing %s changes it', (_field, change) => {
    expect(configHash({ ...base, ...change } as ServiceConfig)).not.toBe(configHash(base));
  });

  test('command order matters (lists are not sorted)', () => {
    expect(configHash({ ...base, command: ['daemon off;', '-g', 'nginx'] })).not.toBe(configHash(base));
  });

  test('lists the excluded fields', () => {
    expect(HASH_EXCLUDED_KEYS).toEqual(['build', 'pull_policy', 'scale', 'depends_on', 'profiles', 'name']);
  });
});

describe('canonicalJson', () => {
  test('sorts keys, keeps array order, drops undefined members', () => {
    expect(canonicalJson({ b: [3, 1, { d: 1, c: undefined, a: null }], a: 'x' })).toBe('{"a":"x","b":[3,1,{"a":null,"d":1}]}');
  });
});
