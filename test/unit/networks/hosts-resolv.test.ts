import { describe, expect, it } from 'vitest';
import { hostsFileText, parseExtraHost, replaceSection, HOSTS_BEGIN, HOSTS_END } from '../../../runtime/networks/hosts-file.js';
import { resolvConfText } from '../../../runtime/networks/resolv-conf.js';
import { hostsEntriesFor, renderHosts } from '../../../runtime/networks/hosts-store.js';
import type { StoredContainer, StoredNetwork, StoredEndpoint } from '../../../runtime/networks/types.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const C = 'c'.repeat(64);

function ep(id: string, name: string, ip: string, seq: number, extra: Partial<StoredEndpoint> = {}): StoredEndpoint {
  return { endpointId: `ep-${id.slice(0, 4)}`, containerId: id, containerName: name, aliases: [], ip, mac: '', veth: '', ifname: 'eth0', state: 'ready', seq, ...extra };
}

function net(id: string, gateway: string, endpoints: StoredEndpoint[]): StoredNetwork {
  return {
    id, name: id, created: '', driver: 'bridge', internal: false, attachable: false, enableIPv6: false, labels: {}, options: {}, ipamOptions: {},
    ipam: { subnet: gateway.replace(/\.1$/, '.0/24'), gateway, addresses: {} }, bridge: 'x', mtu: 1500, predefined: false,
    endpoints: Object.fromEntries(endpoints.map((e) => [e.containerId, e])),
  };
}

describe('hosts file text', () => {
  it('is Docker\'s head, extra hosts, then the marked peer section', () => {
    expect(hostsFileText([{ ip: '10.213.0.1', names: ['gw'] }], [{ ip: '10.213.0.2', names: ['web', 'web', 'proj-web-1'] }])).toBe(
      [
        '127.0.0.1\tlocalhost',
        '::1\tlocalhost ip6-localhost ip6-loopback',
        'fe00::0\tip6-localnet',
        'ff00::0\tip6-mcastprefix',
        'ff02::1\tip6-allnodes',
        'ff02::2\tip6-allrouters',
        '10.213.0.1\tgw',
        HOSTS_BEGIN,
        '10.213.0.2\tweb proj-web-1',
        HOSTS_END,
        '',
      ].join('\n'),
    );
  });

  it('replaces only the section between the markers', () => {
    const before = `127.0.0.1\tlocalhost\n1.2.3.4\tmine\n${HOSTS_BEGIN}\n10.0.0.9\told\n${HOSTS_END}\n5.6.7.8\tafter\n`;
    expect(replaceSection(before, [], [{ ip: '10.0.0.3', names: ['new'] }])).toBe(`127.0.0.1\tlocalhost\n1.2.3.4\tmine\n${HOSTS_BEGIN}\n10.0.0.3\tnew\n${HOSTS_END}\n5.6.7.8\tafter\n`);
    expect(replaceSection('garbage\n', [], [])).toBe(hostsFileText([], []));
  });

  it('parses extra_hosts in both forms, IPv6 and host-gateway', () => {
    expect(parseExtraHost('db:10.1.2.3', undefined)).toEqual({ ip: '10.1.2.3', names: ['db'] });
    expect(parseExtraHost('db=10.1.2.3', undefined)).toEqual({ ip: '10.1.2.3', names: ['db'] });
    expect(parseExtraHost('v6:fd00::1', undefined)).toEqual({ ip: 'fd00::1', names: ['v6'] });
    expect(parseExtraHost('v6=[fd00::1]', undefined)).toEqual({ ip: 'fd00::1', names: ['v6'] });
    expect(parseExtraHost('host.docker.internal:host-gateway', '10.213.0.1')).toEqual({ ip: '10.213.0.1', names: ['host.docker.internal'] });
    expect(() => parseExtraHost('nohost', undefined)).toThrow('invalid extra_hosts entry "nohost": expected host:ip or host=ip');
    expect(() => parseExtraHost('h:host-gateway', undefined)).toThrow('uses host-gateway, but the container has no network with a gateway');
  });
});

describe('hosts store', () => {
  const n1 = net('n1', '10.213.0.1', [
    ep(A, 'proj-web-1', '10.213.0.2', 1, { serviceName: 'web', aliases: ['www'] }),
    ep(B, 'proj-db-1', '10.213.0.3', 2, { serviceName: 'db' }),
  ]);
  const n2 = net('n2', '10.213.1.1', [ep(B, 'proj-db-1', '10.213.1.2', 3, { serviceName: 'db', aliases: ['database'] }), ep(C, 'proj-admin-1', '10.213.1.3', 4)]);
  const containers = new Map<string, StoredContainer>([
    [A, { containerId: A, containerName: 'proj-web-1', links: [{ target: 'proj-db-1', alias: 'mysql' }], hosts: { hostname: 'webhost', domainname: 'example.test', extraHosts: ['gw:host-gateway'] } }],
    [B, { containerId: B, containerName: 'proj-db-1', links: [], hosts: {} }],
    [C, { containerId: C, containerName: 'proj-admin-1', links: [], hosts: {} }],
  ]);

  it('lists itself then each peer of each shared network, never peers of other networks', () => {
    expect(hostsEntriesFor(A, [n1, n2], containers)).toEqual([
      { ip: '10.213.0.2', names: ['webhost.example.test', 'webhost', 'proj-web-1', 'web', 'www', 'aaaaaaaaaaaa'] },
      { ip: '10.213.0.3', names: ['proj-db-1', 'db', 'bbbbbbbbbbbb', 'mysql'] },
    ]);
    expect(hostsEntriesFor(B, [n1, n2], containers).map((e) => `${e.ip} ${e.names.join(' ')}`)).toEqual([
      '10.213.0.3 bbbbbbbbbbbb proj-db-1 db bbbbbbbbbbbb',
      '10.213.0.2 proj-web-1 web www aaaaaaaaaaaa',
      '10.213.1.2 bbbbbbbbbbbb proj-db-1 db database bbbbbbbbbbbb',
      '10.213.1.3 proj-admin-1 cccccccccccc',
    ]);
  });

  it('renders the whole file with host-gateway from the first network', () => {
    expect(renderHosts(A, [n1, n2], containers, undefined)).toBe(
      [
        '127.0.0.1\tlocalhost',
        '::1\tlocalhost ip6-localhost ip6-loopback',
        'fe00::0\tip6-localnet',
        'ff00::0\tip6-mcastprefix',
        'ff02::1\tip6-allnodes',
        'ff02::2\tip6-allrouters',
        '10.213.0.1\tgw',
        HOSTS_BEGIN,
        '10.213.0.2\twebhost.example.test webhost proj-web-1 web www aaaaaaaaaaaa',
        '10.213.0.3\tproj-db-1 db bbbbbbbbbbbb mysql',
        HOSTS_END,
        '',
      ].join('\n'),
    );
  });

  it('ignores pending endpoints (kernel objects not there yet)', () => {
    const pending = net('n3', '10.213.2.1', [ep(A, 'proj-web-1', '10.213.2.2', 5), ep(C, 'proj-admin-1', '10.213.2.3', 6, { state: 'pending' })]);
    expect(hostsEntriesFor(A, [pending], containers).map((e) => e.ip)).toEqual(['10.213.2.2']);
  });
});

describe('resolv.conf', () => {
  const host = '# generated\nnameserver 127.0.0.53\nnameserver 10.255.255.53\nnameserver ::1\nsearch corp.example\noptions edns0 trust-ad\n';

  it('drops loopback resolvers and keeps the rest', () => {
    expect(resolvConfText(host)).toBe('# generated\nsearch corp.example\noptions edns0 trust-ad\nnameserver 10.255.255.53\n');
  });

  it('falls back to Google DNS when only loopback resolvers are left, as Docker does', () => {
    expect(resolvConfText('nameserver 127.0.0.53\noptions edns0\n')).toBe('options edns0\nnameserver 8.8.8.8\nnameserver 8.8.4.4\n');
    expect(resolvConfText('', { ipv6: true })).toBe('\nnameserver 8.8.8.8\nnameserver 8.8.4.4\nnameserver 2001:4860:4860::8888\nnameserver 2001:4860:4860::8844\n'.slice(1));
  });

  it('dns, dns_search and dns_opt replace the host\'s lines of their kind', () => {
    expect(resolvConfText(host, { dns: ['1.1.1.1', '9.9.9.9'], dnsSearch: ['a.test', 'b.test'], dnsOptions: ['ndots:2', 'timeout:1'] })).toBe(
      '# generated\nnameserver 1.1.1.1\nnameserver 9.9.9.9\nsearch a.test b.test\noptions ndots:2 timeout:1\n',
    );
  });
});

describe('writeInPlace', () => {
  it('keeps the inode and cuts a longer old content to the new length', async () => {
    const { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } = await import('node:fs');
    const os = await import('node:os');
    const path = await import('node:path');
    const { writeInPlace } = await import('../../../runtime/networks/hosts-store.js');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tsct-inplace-'));
    try {
      const f = path.join(dir, 'hosts');
      writeFileSync(f, 'a much longer old content\n'.repeat(10));
      const ino = statSync(f).ino;
      writeInPlace(f, 'short\n');
      expect(readFileSync(f, 'utf8')).toBe('short\n');
      expect(statSync(f).ino).toBe(ino);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
