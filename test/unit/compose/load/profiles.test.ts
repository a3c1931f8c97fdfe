import { describe, expect, it } from 'vitest';
import { activeProfiles, applyProfiles } from '../../../../compose/load/profiles.js';
import { thrown } from './helpers.js';

const model = {
  services: {
    web: { image: 'web', depends_on: { db: { condition: 'service_started' }, debug: { condition: 'service_started', required: false } } },
    db: { image: 'db' },
    debug: { image: 'debug', profiles: ['debug'] },
    docs: { image: 'docs', profiles: ['docs', 'all'] },
  },
};

describe('profiles', () => {
  it('--profile wins over COMPOSE_PROFILES, which is comma separated', () => {
    expect(activeProfiles(['a'], { COMPOSE_PROFILES: 'b' })).toEqual(['a']);
    expect(activeProfiles([], { COMPOSE_PROFILES: 'b, c,,' })).toEqual(['b', 'c']);
    expect(activeProfiles(undefined, {})).toEqual([]);
  });

  it('services without profiles are always on; the others are disabled and kept aside', () => {
    const result = applyProfiles(model, []);
    expect(Object.keys(result.model['services'] as object)).toEqual(['web', 'db']);
    expect(Object.keys(result.disabledServices)).toEqual(['debug', 'docs']);
  });

  it('an optional dependency on a disabled service is dropped', () => {
    const result = applyProfiles(model, []);
    expect((result.model['services'] as Record<string, Record<string, unknown>>)['web']!['depends_on']).toEqual({ db: { condition: 'service_started' } });
  });

  it('an active profile enables its services', () => {
    const result = applyProfiles(model, ['all']);
    expect(Object.keys(result.model['services'] as object)).toEqual(['web', 'db', 'docs']);
  });

  it('* enables every profile', () => {
    expect(Object.keys(applyProfiles(model, ['*']).model['services'] as object)).toEqual(['web', 'db', 'debug', 'docs']);
  });

  it('a service named on the command line enables its profiles', () => {
    const result = applyProfiles(model, [], ['docs']);
    expect(result.profiles).toEqual(['docs', 'all']);
    expect(Object.keys(result.model['services'] as object)).toEqual(['web', 'db', 'docs']);
  });

  it('a required dependency on a disabled service is an error saying how to fix it', () => {
    const bad = { services: { app: { depends_on: ['tools'] }, tools: { profiles: ['dev', 'ci'] } } };
    expect(thrown(() => applyProfiles(bad, [])).message).toBe(
      'service "app" depends on service "tools", which is disabled by profiles: enable it with --profile dev or --profile ci, or mark the dependency required: false',
    );
  });
});
