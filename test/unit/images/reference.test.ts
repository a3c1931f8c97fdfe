import { describe, expect, it } from 'vitest';
import { familiarString, parseReference, referenceString } from '../../../runtime/images/reference.js';
import { InvalidReferenceError } from '../../../runtime/images/errors.js';

const HEX = 'a'.repeat(64);

describe('parseReference: Docker Hub normalization', () => {
  it.each([
    ['nginx', 'docker.io', 'library/nginx', 'latest', 'registry-1.docker.io'],
    ['nginx:1.25', 'docker.io', 'library/nginx', '1.25', 'registry-1.docker.io'],
    ['bitnami/redis', 'docker.io', 'bitnami/redis', 'latest', 'registry-1.docker.io'],
    ['docker.io/nginx', 'docker.io', 'library/nginx', 'latest', 'registry-1.docker.io'],
    ['index.docker.io/library/nginx:x', 'docker.io', 'library/nginx', 'x', 'registry-1.docker.io'],
    ['localhost/app', 'localhost', 'app', 'latest', 'localhost'],
    ['localhost:5000/app:v1', 'localhost:5000', 'app', 'v1', 'localhost:5000'],
    ['127.0.0.1:5000/team/app', '127.0.0.1:5000', 'team/app', 'latest', '127.0.0.1:5000'],
    ['[::1]:5000/app', '[::1]:5000', 'app', 'latest', '[::1]:5000'],
    ['ghcr.io/o/r/deep:t', 'ghcr.io', 'o/r/deep', 't', 'ghcr.io'],
    ['Registry.Example.com/app', 'Registry.Example.com', 'app', 'latest', 'Registry.Example.com'],
    ['a_b__c-d---e.f/x', 'a_b__c-d---e.f', 'x', 'latest', 'a_b__c-d---e.f'],
  ])('%s', (input, domain, path, tag, host) => {
    const r = parseReference(input);
    expect(r).toMatchObject({ domain, path, tag, registryHost: host, name: `${domain}/${path}` });
  });

  it('digests: no default tag, tag kept beside a digest', () => {
    expect(parseReference(`nginx@sha256:${HEX}`)).toMatchObject({ tag: undefined, digest: `sha256:${HEX}` });
    const both = parseReference(`nginx:1@sha256:${HEX}`);
    expect(both).toMatchObject({ tag: '1', digest: `sha256:${HEX}` });
    expect(referenceString(both)).toBe(`docker.io/library/nginx:1@sha256:${HEX}`);
    expect(familiarString(both)).toBe(`nginx:1@sha256:${HEX}`);
  });

  it('familiar strings drop docker.io and library/', () => {
    expect(familiarString(parseReference('docker.io/library/nginx'))).toBe('nginx:latest');
    expect(familiarString(parseReference('docker.io/org/app:v'))).toBe('org/app:v');
    expect(familiarString(parseReference('127.0.0.1:5000/library/app'))).toBe('127.0.0.1:5000/library/app:latest');
  });
});

describe('parseReference: errors as Docker words them', () => {
  it.each([
    ['Nginx', 'invalid reference format: repository name must be lowercase'],
    ['docker.io/Library/nginx', 'invalid reference format: repository name must be lowercase'],
    ['localhost:5000/App:v1', 'invalid reference format: repository name must be lowercase'],
    ['', 'invalid reference format'],
    ['nginx:', 'invalid reference format'],
    [':tag', 'invalid reference format'],
    ['nginx::1', 'invalid reference format'],
    ['-nginx', 'invalid reference format'],
    ['nginx/', 'invalid reference format'],
    ['a//b', 'invalid reference format'],
    ['nginx:' + 'x'.repeat(129), 'invalid reference format'],
    ['nginx:-tag', 'invalid reference format'],
    ['nginx@sha256:abc', 'invalid reference format'],
    ['nginx@md5:' + HEX, 'unsupported digest algorithm: md5'],
    ['nginx@sha256:' + 'a'.repeat(63), 'invalid checksum digest length'],
    [HEX, `invalid repository name (${HEX}), cannot specify 64-byte hexadecimal strings`],
    ['a/' + 'b'.repeat(260), 'repository name must not be more than 255 characters'],
  ])('%j', (input, message) => {
    expect(() => parseReference(input)).toThrow(InvalidReferenceError);
    expect(() => parseReference(input)).toThrow(message);
    try {
      parseReference(input);
    } catch (e) {
      expect((e as Error).message).toBe(message);
      expect((e as InvalidReferenceError).statusCode).toBe(400);
    }
  });
});
