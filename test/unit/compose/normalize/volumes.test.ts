import { describe, expect, it } from 'vitest';
import { errorsOf, printed, web } from './helpers.js';

describe('service volumes', () => {
  it('relative bind, read-only', () => {
    expect(web('volumes: ["./data:/data:ro"]').volumes).toEqual([
      { type: 'bind', source: '/proj/data', target: '/data', read_only: true, bind: { create_host_path: true } },
    ]);
  });

  it('home-relative bind', () => {
    expect(web('volumes: ["~/cache:/cache"]').volumes[0].source).toBe('/home/me/cache');
  });

  it('parent-relative bind with propagation and selinux', () => {
    expect(web('volumes: ["../x:/x:rw,z,rshared"]').volumes).toEqual([
      { type: 'bind', source: '/x', target: '/x', bind: { selinux: 'z', propagation: 'rshared', create_host_path: true } },
    ]);
  });

  it('named volume', () => {
    const out = printed('services:\n  web:\n    image: x\n    volumes: ["data:/var/lib/data:nocopy"]\nvolumes:\n  data: {}\n');
    expect(out.services.web.volumes).toEqual([{ type: 'volume', source: 'data', target: '/var/lib/data', volume: { nocopy: true } }]);
    expect(out.volumes).toEqual({ data: { name: 'demo_data' } });
  });

  it('anonymous volume, target cleaned', () => {
    expect(web('volumes: ["/cache/"]').volumes).toEqual([{ type: 'volume', target: '/cache', volume: {} }]);
  });

  it('long syntax bind: relative source made absolute, create_host_path only with a bind block', () => {
    expect(web('volumes:\n  - type: bind\n    source: ./site\n    target: /usr/share/nginx/html\n    read_only: "true"').volumes).toEqual([
      { type: 'bind', source: '/proj/site', target: '/usr/share/nginx/html', read_only: true },
    ]);
    expect(web('volumes:\n  - type: bind\n    source: /a\n    target: /b\n    bind:\n      propagation: rslave').volumes[0].bind).toEqual({
      propagation: 'rslave',
      create_host_path: true,
    });
  });

  it('tmpfs mount: size in bytes', () => {
    expect(web('volumes:\n  - type: tmpfs\n    target: /tmp\n    tmpfs:\n      size: 64m\n      mode: "1777"').volumes).toEqual([
      { type: 'tmpfs', target: '/tmp', tmpfs: { size: '67108864', mode: 1023 } },
    ]);
  });

  it('undefined named volume is an error', () => {
    expect(errorsOf('services:\n  web:\n    image: x\n    volumes: ["data:/d"]\n')).toEqual([
      'service "web" refers to undefined volume data: invalid compose project',
    ]);
  });

  it('two mounts on one target', () => {
    expect(errorsOf('services:\n  web:\n    image: x\n    volumes: ["/a:/d", "/b:/d"]\n')).toEqual([
      'services.web.volumes[1]: target /d already mounted as services.web.volumes[0]',
    ]);
  });

  it('too many colons', () => {
    expect(errorsOf('services:\n  web:\n    image: x\n    volumes: ["/a:/b:ro:x"]\n')).toEqual([
      'services.web.volumes: invalid volume "/a:/b:ro:x": too many colons',
    ]);
  });

  it('volumes_from adds a dependency that does not restart', () => {
    const out = printed('services:\n  web:\n    image: x\n    volumes_from: ["data:ro"]\n  data:\n    image: y\n');
    expect(out.services.web.depends_on).toEqual({ data: { condition: 'service_started', required: true } });
  });
});

describe('volume edge cases', () => {
  it('a long bind without source', () => {
    expect(errorsOf('services:\n  web:\n    image: x\n    volumes:\n      - type: bind\n        target: /a\n')).toEqual([
      'services.web.volumes: invalid mount config for type "bind": field Source must not be empty',
    ]);
  });

  it('a local volume bound to a relative host directory', () => {
    const out = printed('services: {}\nvolumes:\n  v:\n    driver: local\n    driver_opts:\n      type: none\n      o: bind\n      device: ./data\n');
    expect(out.volumes.v).toEqual({ name: 'demo_v', driver: 'local', driver_opts: { type: 'none', o: 'bind', device: '/proj/data' } });
  });
});
