import { describe, expect, it } from 'vitest';
import { portKey } from '../../../../compose/load/merge.js';
import { mergeWeb } from './helpers.js';

describe('merge: ports', () => {
  it('appends new ports', () => {
    expect(mergeWeb('ports: ["80:80"]', 'ports: ["443:443"]')).toEqual({ ports: ['80:80', '443:443'] });
  });
  it('the same host ip, published port, target and protocol is one port (later wins, in place)', () => {
    expect(mergeWeb('ports: ["8080:80", "9000:9000"]', 'ports: [{target: 80, published: "8080", app_protocol: http}]')).toEqual({
      ports: [{ target: 80, published: '8080', app_protocol: 'http' }, '9000:9000'],
    });
  });
  it('a different protocol is a different port', () => {
    expect(mergeWeb('ports: ["53:53"]', 'ports: ["53:53/udp"]')).toEqual({ ports: ['53:53', '53:53/udp'] });
  });
  it('a different host ip is a different port', () => {
    expect(mergeWeb('ports: ["127.0.0.1:80:80"]', 'ports: ["80:80"]')).toEqual({ ports: ['127.0.0.1:80:80', '80:80'] });
  });
  it('duplicates inside one file collapse', () => {
    expect(mergeWeb('ports: ["80:80", "80:80", 3000]')).toEqual({ ports: ['80:80', 3000] });
  });
  it.each([
    ['80', '||80/tcp'],
    ['8080:80', '|8080|80/tcp'],
    ['0.0.0.0:8080:80/udp', '|8080|80/udp'],
    ['[::1]:8080:80', '::1|8080|80/tcp'],
    ['127.0.0.1::80', '127.0.0.1||80/tcp'],
  ])('key of %s is %s', (port, key) => {
    expect(portKey(port)).toBe(key);
  });
});
