import { describe, expect, it } from 'vitest';
import { mergeWeb } from './helpers.js';

describe('merge: depends_on, networks, build, logging', () => {
  it('depends_on: list and mapping forms merge into a mapping', () => {
    expect(mergeWeb('depends_on: [db]', 'depends_on:\n  db: {condition: service_healthy}\n  cache: {condition: service_started}')).toEqual({
      depends_on: {
        db: { condition: 'service_healthy', required: true },
        cache: { condition: 'service_started' },
      },
    });
  });
  it('depends_on: a list adds services with the defaults', () => {
    expect(mergeWeb('depends_on: {db: {condition: service_healthy}}', 'depends_on: [cache]')).toEqual({
      depends_on: { db: { condition: 'service_healthy' }, cache: { condition: 'service_started', required: true } },
    });
  });
  it('networks: list and mapping forms merge', () => {
    expect(mergeWeb('networks: [front]', 'networks:\n  back: {aliases: [x]}\n  front: {priority: 5}')).toEqual({
      networks: { front: { priority: 5 }, back: { aliases: ['x'] } },
    });
  });
  it('networks: aliases are unique', () => {
    expect(mergeWeb('networks: {n: {aliases: [a]}}', 'networks: {n: {aliases: [a, b]}}')).toEqual({ networks: { n: { aliases: ['a', 'b'] } } });
  });
  it('build: a string is the context', () => {
    expect(mergeWeb('build: ./app', 'build: {dockerfile: Dev.Dockerfile}')).toEqual({ build: { context: './app', dockerfile: 'Dev.Dockerfile' } });
  });
  it('logging: same driver merges options', () => {
    expect(mergeWeb('logging: {driver: json-file, options: {max-size: 1m}}', 'logging: {options: {max-file: "3"}}')).toEqual({
      logging: { driver: 'json-file', options: { 'max-size': '1m', 'max-file': '3' } },
    });
  });
  it('logging: another driver replaces everything', () => {
    expect(mergeWeb('logging: {driver: json-file, options: {max-size: 1m}}', 'logging: {driver: syslog}')).toEqual({ logging: { driver: 'syslog' } });
  });
});
