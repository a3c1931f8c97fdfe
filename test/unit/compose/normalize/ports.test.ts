import { describe, expect, it } from 'vitest';
import { web, errorsOf } from './helpers.js';

const p = (target: number, published?: string, extra: Record<string, unknown> = {}) => ({
  mode: 'ingress',
  ...(extra.host_ip ? { host_ip: extra.host_ip } : {}),
  target,
  ...(published === undefined ? {} : { published }),
  protocol: (extra.protocol as string) ?? 'tcp',
});

describe('ports', () => {
  it.each([
    ['"8080:80"', [p(80, '8080')]],
    ['"80"', [p(80)]],
    ['80', [p(80)]],
    ['"127.0.0.1:8080:80/udp"', [p(80, '8080', { host_ip: '127.0.0.1', protocol: 'udp' })]],
    ['"127.0.0.1::80"', [p(80, undefined, { host_ip: '127.0.0.1' })]],
    ['"8000-8001:80-81"', [p(80, '8000'), p(81, '8001')]],
    ['"8000-8010:80"', [p(80, '8000-8010')]],
    ['"9-10:9-10"', [p(10, '10'), p(9, '9')]],
    ['"[::1]:8080:80"', [p(80, '8080', { host_ip: '::1' })]],
    ['"53:53/UDP"', [p(53, '53', { protocol: 'udp' })]],
  ])('short syntax %s', (spec, expected) => {
    expect(web(`ports: [${spec}]`).ports).toEqual(expected);
  });

  it('long syntax: target a number, published a string, defaults filled', () => {
    expect(web('ports:\n  - target: "80"\n    published: 8080\n    host_ip: 0.0.0.0\n    name: http\n    app_protocol: http').ports).toEqual([
      { name: 'http', mode: 'ingress', host_ip: '0.0.0.0', target: 80, published: '8080', protocol: 'tcp', app_protocol: 'http' },
    ]);
  });

  it('long syntax keeps mode host', () => {
    expect(web('ports:\n  - target: 80\n    mode: host').ports).toEqual([{ mode: 'host', target: 80, protocol: 'tcp' }]);
  });

  it('rejects a bad spec with its path', () => {
    expect(errorsOf('services:\n  web:\n    image: x\n    ports: ["80:abc"]\n')).toEqual([
      'services.web.ports: invalid container port "abc" in port "80:abc"',
    ]);
  });

  it('rejects ranges of different sizes', () => {
    expect(errorsOf('services:\n  web:\n    image: x\n    ports: ["8000-8002:80-81"]\n')).toEqual([
      'services.web.ports: invalid port "8000-8002:80-81": the container and host port ranges differ in size',
    ]);
  });
});
