import { describe, expect, it } from 'vitest';
import { mergeWeb, mergeYaml } from './helpers.js';

describe('merge: !reset and !override', () => {
  it('!reset removes a value set before', () => {
    expect(mergeWeb('image: a\nports: ["80:80"]', 'ports: !reset []')).toEqual({ image: 'a' });
  });
  it('!reset null on a scalar', () => {
    expect(mergeWeb('image: a\nuser: root', 'user: !reset null')).toEqual({ image: 'a' });
  });
  it('!reset on one key of a mapping', () => {
    expect(mergeWeb('environment: {A: "1", B: "2"}', 'environment:\n  B: !reset')).toEqual({ environment: { A: '1' } });
  });
  it('!reset on a whole service', () => {
    expect(mergeYaml('services: {a: {image: x}, b: {image: y}}', 'services:\n  b: !reset {}')).toEqual({ services: { a: { image: 'x' } } });
  });
  it('!override replaces instead of merging', () => {
    expect(mergeWeb('ports: ["80:80", "443:443"]\nenvironment: {A: "1"}', 'ports: !override ["8080:80"]\nenvironment: !override {B: "2"}')).toEqual({
      ports: ['8080:80'],
      environment: { B: '2' },
    });
  });
  it('!override of a nested mapping', () => {
    expect(mergeWeb('deploy: {resources: {limits: {cpus: "1", memory: 1g}}}', 'deploy:\n  resources: !override\n    limits: {memory: 2g}')).toEqual({
      deploy: { resources: { limits: { memory: '2g' } } },
    });
  });
  it('tags in the first file are removed, not kept', () => {
    expect(mergeWeb('image: x\nports: !reset []\ncommand: !override [a]')).toEqual({ image: 'x', command: ['a'] });
  });
});
