import { describe, expect, it } from 'vitest';
import { errorsOf, printed } from './helpers.js';

describe('networks', () => {
  it('a service without networks joins the implicit default network', () => {
    const out = printed('services:\n  web:\n    image: x\n');
    expect(out.services.web.networks).toEqual({ default: null });
    expect(out.networks).toEqual({ default: { name: 'demo_default', ipam: {} } });
  });

  it('no default network when every service names its own', () => {
    const out = printed('services:\n  web:\n    image: x\n    networks: [front]\nnetworks:\n  front: {}\n');
    expect(out.services.web.networks).toEqual({ front: null });
    expect(out.networks).toEqual({ front: { name: 'demo_front', ipam: {} } });
  });

  it('network_mode host: no networks at all', () => {
    const out = printed('services:\n  web:\n    image: x\n    network_mode: host\n');
    expect(out.services.web.networks).toBeUndefined();
    expect(out.networks).toBeUndefined();
  });

  it('service network options kept: aliases, addresses, priority', () => {
    const out = printed('services:\n  web:\n    image: x\n    networks:\n      front:\n        aliases: [www]\n        ipv4_address: 172.20.0.5\n        priority: 10\nnetworks:\n  front:\n    ipam:\n      config:\n        - subnet: 172.20.0.0/16\n');
    expect(out.services.web.networks).toEqual({ front: { aliases: ['www'], ipv4_address: '172.20.0.5', priority: 10 } });
    expect(out.networks.front).toEqual({ name: 'demo_front', ipam: { config: [{ subnet: '172.20.0.0/16' }] } });
  });

  it('explicit name, external, legacy external name', () => {
    const out = printed(
      'services: {}\nnetworks:\n  a:\n    name: custom\n  b:\n    external: true\n  c:\n    external:\n      name: legacy\n  d:\n    driver: bridge\n    internal: "true"\n    enable_ipv6: false\n    labels: [x=1]\n',
    );
    expect(out.networks).toEqual({
      a: { name: 'custom', ipam: {} },
      b: { name: 'b', ipam: {}, external: true },
      c: { name: 'legacy', ipam: {}, external: true },
      d: { name: 'demo_d', driver: 'bridge', ipam: {}, internal: true, labels: { x: '1' }, enable_ipv6: false },
    });
  });

  it('undefined network', () => {
    expect(errorsOf('services:\n  web:\n    image: x\n    networks: [back]\n')).toEqual(['service "web" refers to undefined network back: invalid compose project']);
  });

  it('network_mode together with networks', () => {
    expect(errorsOf('services:\n  web:\n    image: x\n    network_mode: host\n    networks: [default]\n')).toEqual([
      'service web declares mutually exclusive `network_mode` and `networks`: invalid compose project',
    ]);
  });
});
