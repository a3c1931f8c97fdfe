import { describe, expect, it } from 'vitest';
import { mergeWeb } from './helpers.js';

describe('merge: volumes, devices, secrets, configs by target', () => {
  it('a volume with the same target replaces the earlier one', () => {
    expect(mergeWeb('volumes: ["data:/data", "./logs:/logs"]', 'volumes: ["other:/data:ro"]')).toEqual({ volumes: ['other:/data:ro', './logs:/logs'] });
  });
  it('short and long syntax compare by target', () => {
    expect(mergeWeb('volumes: ["data:/data"]', 'volumes: [{type: tmpfs, target: /data}, "/cache"]')).toEqual({
      volumes: [{ type: 'tmpfs', target: '/data' }, '/cache'],
    });
  });
  it('devices by container path', () => {
    expect(mergeWeb('devices: ["/dev/a:/dev/x"]', 'devices: ["/dev/b:/dev/x", "/dev/c"]')).toEqual({ devices: ['/dev/b:/dev/x', '/dev/c'] });
  });
  it('secrets by target (short form mounts at /run/secrets/<name>)', () => {
    expect(mergeWeb('secrets: [db, api]', 'secrets: [{source: db2, target: db}]')).toEqual({ secrets: [{ source: 'db2', target: 'db' }, 'api'] });
  });
  it('configs by target (short form mounts at /<name>)', () => {
    expect(mergeWeb('configs: [app]', 'configs: [{source: other, target: /app}, {source: app, target: /etc/app}]')).toEqual({
      configs: [{ source: 'other', target: '/app' }, { source: 'app', target: '/etc/app' }],
    });
  });
});
