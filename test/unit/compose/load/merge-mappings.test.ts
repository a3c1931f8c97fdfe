import { describe, expect, it } from 'vitest';
import { mergeWeb, mergeYaml } from './helpers.js';

describe('merge: default rules', () => {
  it('mappings merge by key, scalars are replaced', () => {
    expect(mergeWeb('image: a\nrestart: always', 'image: b\nuser: root')).toEqual({ image: 'b', restart: 'always', user: 'root' });
  });

  it('nested mappings merge deeply', () => {
    expect(mergeWeb('deploy:\n  resources:\n    limits: {cpus: "1", memory: 1g}', 'deploy:\n  resources:\n    limits: {memory: 2g}\n  replicas: 2')).toEqual({
      deploy: { resources: { limits: { cpus: '1', memory: '2g' } }, replicas: 2 },
    });
  });

  it('plain sequences are appended', () => {
    expect(mergeWeb('group_add: [a]\nsecurity_opt: [x]', 'group_add: [b]')).toEqual({ group_add: ['a', 'b'], security_opt: ['x'] });
  });

  it('a key with no value keeps what came before', () => {
    expect(mergeWeb('image: a\nenvironment: {A: "1"}', 'environment:')).toEqual({ image: 'a', environment: { A: '1' } });
  });

  it('top-level sections merge too, and later files add services', () => {
    expect(mergeYaml('services: {a: {image: x}}\nvolumes: {data: {}}', 'services: {b: {image: y}}\nvolumes: {data: {driver: local}}\nnetworks: {n: {}}')).toEqual({
      services: { a: { image: 'x' }, b: { image: 'y' } },
      volumes: { data: { driver: 'local' } },
      networks: { n: {} },
    });
  });

  it('x- extensions merge like any mapping', () => {
    expect(mergeYaml('x-common: {a: 1, b: 2}', 'x-common: {b: 3}')).toEqual({ 'x-common': { a: 1, b: 3 } });
  });

  it('networks.*.ipam.config merges pools by subnet', () => {
    const merged = mergeYaml(
      'networks:\n  n:\n    ipam:\n      config: [{subnet: 10.0.0.0/24, gateway: 10.0.0.1}]',
      'networks:\n  n:\n    ipam:\n      config: [{subnet: 10.0.0.0/24, gateway: 10.0.0.254}, {subnet: 10.0.1.0/24}]',
    );
    expect(merged).toEqual({
      networks: { n: { ipam: { config: [{ subnet: '10.0.0.0/24', gateway: '10.0.0.254' }, { subnet: '10.0.1.0/24' }] } } },
    });
  });
});
