import { describe, expect, it } from 'vitest';
import { mergeWeb } from './helpers.js';

describe('merge: environment, labels and other key=value attributes', () => {
  it('environment: list and mapping forms merge by key', () => {
    expect(mergeWeb('environment: [A=1, B=2, C]', 'environment: {B: "3", D: null}')).toEqual({ environment: { A: '1', B: '3', C: null, D: null } });
  });
  it('environment: later list wins', () => {
    expect(mergeWeb('environment: {A: "1"}', 'environment: [A=2, E=x=y]')).toEqual({ environment: { A: '2', E: 'x=y' } });
  });
  it('labels', () => {
    expect(mergeWeb('labels: [com.x=1]', 'labels: {com.y: "2"}')).toEqual({ labels: { 'com.x': '1', 'com.y': '2' } });
  });
  it('annotations and sysctls', () => {
    expect(mergeWeb('annotations: {a: "1"}\nsysctls: [net.core.somaxconn=1024]', 'annotations: [a=2]\nsysctls: {net.ipv4.ip_forward: 1}')).toEqual({
      annotations: { a: '2' },
      sysctls: { 'net.core.somaxconn': '1024', 'net.ipv4.ip_forward': 1 },
    });
  });
  it('build.args', () => {
    expect(mergeWeb('build:\n  context: .\n  args: [A=1]', 'build:\n  args: {B: "2"}')).toEqual({ build: { context: '.', args: { A: '1', B: '2' } } });
  });
  it('extra_hosts: entries appended, exact repeats dropped', () => {
    expect(mergeWeb('extra_hosts: ["a:1.1.1.1"]', 'extra_hosts: {b: 2.2.2.2}\n')).toEqual({ extra_hosts: ['a:1.1.1.1', 'b=2.2.2.2'] });
    expect(mergeWeb('extra_hosts: ["a=1.1.1.1"]', 'extra_hosts: ["a=1.1.1.1", "a=3.3.3.3"]')).toEqual({ extra_hosts: ['a=1.1.1.1', 'a=3.3.3.3'] });
  });
  it('ulimits: a limit given again is replaced whole', () => {
    expect(mergeWeb('ulimits:\n  nofile: {soft: 1, hard: 2}\n  nproc: 5', 'ulimits:\n  nofile: {soft: 3}')).toEqual({
      ulimits: { nofile: { soft: 3 }, nproc: 5 },
    });
  });
});
