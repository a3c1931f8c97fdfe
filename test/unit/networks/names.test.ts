import { describe, expect, it } from 'vitest';
import { bridgeName, firewallTableName, isValidNetworkName, macForIPv4, vethName, newId } from '../../../runtime/networks/names.js';
import { checkWord, RecordingNetlink } from '../../../runtime/networks/netlink.js';
import { parseLink, parseLinks } from '../../../runtime/networks/links.js';
import { NetworkManager } from '../../../runtime/networks/network-manager.js';
import { RecordingFirewall } from '../../../runtime/networks/firewall.js';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

describe('names', () => {
  it('fits interface names in 15 bytes with the owner prefix', () => {
    const id = 'f1e2d3c4b5a69788'.repeat(4);
    expect(bridgeName('tsc', id)).toBe('tscbf1e2d3c4b5a');
    expect(vethName('tsc', id)).toBe('tscvf1e2d3c4b5a');
    expect(bridgeName('tsct12ab', id)).toBe('tsct12abbf1e2d3');
    expect(bridgeName('tsct12ab', id)).toHaveLength(15);
  });

  it('derives the MAC from the IPv4 address as Docker does', () => {
    expect(macForIPv4('172.17.0.2')).toBe('02:42:ac:11:00:02');
    expect(macForIPv4('10.213.255.254')).toBe('02:42:0a:d5:ff:fe');
  });

  it('gives 64-hex ids and one firewall table per state root', () => {
    expect(newId()).toMatch(/^[0-9a-f]{64}$/);
    expect(firewallTableName('/var/lib/tscompose')).toMatch(/^tscompose_[0-9a-f]{10}$/);
    expect(firewallTableName('/a')).not.toBe(firewallTableName('/b'));
  });

  it('validates network names like Docker', () => {
    expect(isValidNetworkName('proj_default')).toBe(true);
    expect(isValidNetworkName('my-net.1')).toBe(true);
    expect(isValidNetworkName('_x')).toBe(false);
    expect(isValidNetworkName('a b')).toBe(false);
  });
});

describe('request validation', () => {
  it('refuses words that would break the line-based request', () => {
    expect(checkWord('/proc/1/ns/net', 'path')).toBe('/proc/1/ns/net');
    expect(() => checkWord('/tmp/a b', 'network namespace path')).toThrow('network namespace path "/tmp/a b" cannot be used in a network step: it is empty or holds blanks or \'#\'');
    expect(() => checkWord('x\nup eth0', 'path')).toThrow(/cannot be used in a network step/);
  });

  it('checks connect requests before touching anything', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'tsct-names-'));
    try {
      const kernel = new RecordingNetlink();
      const m = new NetworkManager({ root, pools: [{ base: '10.213.0.0/16', size: 24 }], linkPrefix: 'tsct', hostLockPath: path.join(root, 'l'), predefined: false, mtu: 1500 }, kernel, new RecordingFirewall());
      await m.load();
      await m.create({ Name: 'n' });
      const n = kernel.batches.length;
      await expect(m.connect('n', { containerId: 'a'.repeat(64), containerName: '/x', netnsPath: '/proc/1/ns/net x' })).rejects.toThrow('network namespace path "/proc/1/ns/net x" cannot be used');
      await expect(m.connect('n', { containerId: 'nothex', containerName: '/x', netnsPath: '/p' })).rejects.toThrow('container id "nothex" is not 12 to 64 hex digits');
      await expect(m.connect('n', { containerId: 'a'.repeat(64), containerName: '/x', netnsPath: '/p', aliases: ['a b'] })).rejects.toThrow('network alias "a b" is empty or holds blanks');
      await expect(m.connect('n', { containerId: 'a'.repeat(64), containerName: '/x', netnsPath: '/p', ipv4Address: '10.9.9.9' })).rejects.toMatchObject({ statusCode: 400 });
      await expect(m.connect('nope', { containerId: 'a'.repeat(64), containerName: '/x', netnsPath: '/p' })).rejects.toMatchObject({ statusCode: 404, message: 'network nope not found' });
      expect(kernel.batches.length).toBe(n);
      expect(m.inspect('n').Containers).toEqual({});
      const ep = await m.connect('n', { containerId: 'a'.repeat(64), containerName: '/x', netnsPath: '/p' });
      expect(m.inspect('n').Containers['a'.repeat(64)]!.Name).toBe('x');
      expect(ep.IPAddress).toBe('10.213.0.2');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('links', () => {
  it('reads the API form, the inspect form and a bare name', () => {
    expect(parseLinks(['proj-db-1:database', '/proj-db-1:/proj-web-1/db', 'cache'])).toEqual([
      { target: 'proj-db-1', alias: 'database' },
      { target: 'proj-db-1', alias: 'db' },
      { target: 'cache', alias: 'cache' },
    ]);
    expect(parseLinks(null)).toEqual([]);
    expect(() => parseLink('a:b:c')).toThrow('invalid link "a:b:c": expected CONTAINER or CONTAINER:ALIAS');
    expect(() => parseLink(':x')).toThrow(/invalid link/);
  });
});
