import { describe, expect, it } from 'vitest';
import { errorsOf, printed } from './helpers.js';

const service = (attrs: string, env: Record<string, string> = {}) =>
  printed(`services:\n  app:\n${attrs.split('\n').map((l) => `    ${l}`).join('\n')}\n`, { environment: env }).services.app;

describe('build', () => {
  it('string form: absolute context, default Dockerfile', () => {
    expect(service('build: ./app').build).toEqual({ context: '/proj/app', dockerfile: 'Dockerfile' });
  });

  it('long form: args resolved from the environment or dropped, labels as map', () => {
    expect(service('build:\n  context: .\n  dockerfile: Dockerfile.dev\n  args: ["A=1", "FROM_ENV", "MISSING"]\n  labels: ["x=y"]\n  target: dev', { FROM_ENV: 'e' }).build).toEqual({
      context: '/proj',
      dockerfile: 'Dockerfile.dev',
      args: { A: '1', FROM_ENV: 'e' },
      labels: { x: 'y' },
      target: 'dev',
    });
  });

  it('no context means the project directory; dockerfile_inline has no default dockerfile', () => {
    expect(service('build:\n  dockerfile_inline: "FROM busybox"').build).toEqual({ context: '/proj', dockerfile_inline: 'FROM busybox' });
  });

  it('remote contexts stay as written', () => {
    expect(service('build: https://github.com/docker/app.git#main').build.context).toBe('https://github.com/docker/app.git#main');
  });

  it('shm_size in bytes', () => {
    expect(service('build:\n  context: .\n  shm_size: 2gb').build.shm_size).toBe('2147483648');
  });

  it('image with build: both kept', () => {
    expect(service('image: me/app:1\nbuild: .')).toMatchObject({ image: 'me/app:1', build: { context: '/proj' } });
  });

  it('neither image nor build', () => {
    expect(errorsOf('services:\n  app:\n    command: x\n')).toEqual(['service "app" has neither an image nor a build context specified: invalid compose project']);
  });
});
