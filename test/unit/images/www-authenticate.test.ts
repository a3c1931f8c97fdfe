import { describe, expect, it } from 'vitest';
import { parseWwwAuthenticate } from '../../../runtime/images/www-authenticate.js';

describe('parseWwwAuthenticate', () => {
  it('Docker Hub bearer challenge', () => {
    expect(parseWwwAuthenticate('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull"')).toEqual([
      { scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/nginx:pull' } },
    ]);
  });
  it('basic challenge of distribution htpasswd', () => {
    expect(parseWwwAuthenticate('Basic realm="test-registry"')).toEqual([{ scheme: 'basic', params: { realm: 'test-registry' } }]);
  });
  it('several challenges, token values, escapes, spaces and odd case', () => {
    const r = parseWwwAuthenticate('BASIC realm="a \\"q\\" b" , Bearer realm=https://x/t, service=svc,error="insufficient_scope"');
    expect(r).toEqual([
      { scheme: 'basic', params: { realm: 'a "q" b' } },
      { scheme: 'bearer', params: { realm: 'https://x/t', service: 'svc', error: 'insufficient_scope' } },
    ]);
  });
  it('commas inside quoted scopes', () => {
    expect(parseWwwAuthenticate('Bearer realm="r",scope="repository:a:pull,push"')[0].params.scope).toBe('repository:a:pull,push');
  });
  it('empty and scheme-only headers', () => {
    expect(parseWwwAuthenticate('')).toEqual([]);
    expect(parseWwwAuthenticate('Basic')).toEqual([{ scheme: 'basic', params: {} }]);
  });
});
