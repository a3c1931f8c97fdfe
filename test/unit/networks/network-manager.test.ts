import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { NetworkManager } from '../../../runtime/networks/network-manager.js';
import { RecordingNetlink, type NetObject } from '../../../runtime/networks/netlink.js';
import { RecordingFirewall, iptablesRestoreText, nftRuleset } from '../../../runtime/networks/firewall.js';
import { bridgeName, macForIPv4, vethName } from '../../../runtime/networks/names.js';
import { HOSTS_BEGIN } from '../../../runtime/networks/hosts-file.js';

/** A netlink fake whose host routes grow as bridges get addresses, so two
 * managers see each other's subnets the way the kernel would show them. */
class FakeKernel extends RecordingNetlink {
  constructor(shared: NetObject[] = []) {
    super();
    this.objects = shared;
  }
  override async run(steps: readonly string[]): Promise<NetObject[]> {
    const out = await super.run(steps);
    for (const s of steps) {
      const m = /^addr (\S+) ([\d.]+)\/(\d+)/.exec(s);
      if (m && m[1].includes('b')) this.objects.push({ type: 'addr', family: 4, address: m[2], prefixlen: Number(m[3]), ifname: m[1] });
    }
    return out;
  }
}

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'tsct-netunit-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const POOL = [{ base: '10.213.0.0/16', size: 24 }];
const A = 'a'.repeat(64);
const B = 'b'.repeat(64);

async function manager(root = tmp(), kernel = new FakeKernel(), fw = new RecordingFirewall()) {
  const warnings: string[] = [];
  const m = new NetworkManager({ root, pools: POOL, linkPrefix: 'tsct', hostLockPath: path.join(root, 'host.lock'), predefined: false, mtu: 1400, warn: (w) => warnings.push(w) }, kernel, fw);
  await m.load();
  return { m, kernel, fw, root, warnings };
}

describe('NetworkManager with a recorded kernel', () => {
  it('creates a bridge network: Docker shape, one batch, firewall applied', async () => {
    const { m, kernel, fw } = await manager();
    const rec = await m.create({ Name: 'proj_default', Labels: { 'com.docker.compose.project': 'proj' }, Attachable: true });
    expect(rec).toMatchObject({
      Name: 'proj_default', Scope: 'local', Driver: 'bridge', EnableIPv6: false, Internal: false, Attachable: true, Containers: {},
      IPAM: { Driver: 'default', Options: null, Config: [{ Subnet: '10.213.0.0/24', Gateway: '10.213.0.1' }] },
      Labels: { 'com.docker.compose.project': 'proj' }, Options: {},
    });
    expect(rec.Id).toMatch(/^[0-9a-f]{64}$/);
    const br = bridgeName('tsct', rec.Id);
    expect(br).toHaveLength(15);
    expect(kernel.batches).toEqual([['addrs', 'routes'], [`bridge ${br} mtu 1400 may-exist`, `mac ${br} 02:42:0a:d5:00:01`, `addr ${br} 10.213.0.1/24 may-exist`, `up ${br}`], ['sysctl net.ipv4.ip_forward 1']]);
    expect(fw.applied).toEqual([[{ bridge: br, subnet: '10.213.0.0/24', internal: false }]]);
  });

  it('refuses duplicates, bad names, unknown drivers with Docker\'s messages', async () => {
    const { m } = await manager();
    await m.create({ Name: 'n' });
    await expect(m.create({ Name: 'n' })).rejects.toMatchObject({ statusCode: 409, message: 'network with name n already exists' });
    await expect(m.create({ Name: 'bad name' })).rejects.toMatchObject({ statusCode: 400, message: 'invalid network name "bad name": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed' });
    await expect(m.create({ Name: 'o', Driver: 'overlay' })).rejects.toMatchObject({ statusCode: 400, message: 'network driver "overlay" is not supported: use bridge (the default)' });
    await expect(m.create({ Name: 'h', Driver: 'host' })).rejects.toMatchObject({ statusCode: 409, message: 'only one instance of "host" network is allowed' });
    expect(() => m.inspect('nope')).toThrow('network nope not found');
  });

  it('connects in one batch: veth born in the netns as eth0, mac from the ip, default route', async () => {
    const { m, kernel, root } = await manager();
    const net = await m.create({ Name: 'n' });
    kernel.batches.length = 0;
    const hosts = path.join(root, 'hosts-a');
    const ep = await m.connect('n', { containerId: A, containerName: 'proj-web-1', serviceName: 'web', netnsPath: '/proc/42/ns/net', aliases: ['www'], hosts: { path: hosts, hostname: 'aaaaaaaaaaaa' } });
    expect(ep).toMatchObject({ IPAddress: '10.213.0.2', IPPrefixLen: 24, Gateway: '10.213.0.1', MacAddress: '02:42:0a:d5:00:02', NetworkID: net.Id, Aliases: ['www'] });
    const veth = vethName('tsct', ep.EndpointID);
    const br = bridgeName('tsct', net.Id);
    expect(kernel.batches).toEqual([
      [
        `bridge ${br} mtu 1400 may-exist`,
        `mac ${br} 02:42:0a:d5:00:01`,
        `addr ${br} 10.213.0.1/24 may-exist`,
        `up ${br}`,
        `veth ${veth} eth0 netns /proc/42/ns/net mtu 1400`,
        `master ${veth} ${br}`,
        `up ${veth}`,
        'netns /proc/42/ns/net',
        'up lo',
        'mac eth0 02:42:0a:d5:00:02',
        'addr eth0 10.213.0.2/24',
        'up eth0',
        'route default via 10.213.0.1',
        'netns host',
      ],
    ]);
    expect(readFileSync(hosts, 'utf8')).toContain(`${HOSTS_BEGIN}\n10.213.0.2\taaaaaaaaaaaa proj-web-1 web www\n`);
    expect(m.inspect('n').Containers[A]).toEqual({ Name: 'proj-web-1', EndpointID: ep.EndpointID, MacAddress: macForIPv4('10.213.0.2'), IPv4Address: '10.213.0.2/24', IPv6Address: '' });
    // A second network: eth1, and no second default route.
    await m.create({ Name: 'n2' });
    kernel.batches.length = 0;
    await m.connect('n2', { containerId: A, containerName: 'proj-web-1', netnsPath: '/proc/42/ns/net' });
    expect(kernel.batches[0]).toContain('addr eth1 10.213.1.2/24');
    expect(kernel.batches[0]!.some((s) => s.startsWith('route'))).toBe(false);
    expect(Object.keys(m.endpointsOf(A))).toEqual(['n', 'n2']);
  });

  it('rewrites peers\' hosts files in place on join and leave', async () => {
    const { m, root } = await manager();
    await m.create({ Name: 'n' });
    const ha = path.join(root, 'ha');
    const hb = path.join(root, 'hb');
    writeFileSync(ha, '');
    const inode = statSync(ha).ino;
    await m.connect('n', { containerId: A, containerName: 'a1', netnsPath: '/x', hosts: { path: ha } });
    await m.connect('n', { containerId: B, containerName: 'b1', serviceName: 'b', netnsPath: '/y', hosts: { path: hb } });
    expect(readFileSync(ha, 'utf8')).toContain('10.213.0.3\tb1 b bbbbbbbbbbbb\n');
    await m.disconnect('n', B);
    expect(readFileSync(ha, 'utf8')).not.toContain('b1');
    expect(readFileSync(hb, 'utf8')).not.toContain('a1');
    // Rejoin: a new address (not the freed one), and the peer sees it.
    const ep = await m.connect('n', { containerId: B, containerName: 'b1', netnsPath: '/y' });
    expect(ep.IPAddress).toBe('10.213.0.4');
    expect(readFileSync(ha, 'utf8')).toContain('10.213.0.4\tb1 b bbbbbbbbbbbb\n');
    expect(statSync(ha).ino).toBe(inode);
  });

  it('refuses to remove a network in use (409), removes the bridge otherwise', async () => {
    const { m, kernel } = await manager();
    const net = await m.create({ Name: 'n' });
    await m.connect('n', { containerId: A, containerName: 'a1', netnsPath: '/x' });
    await expect(m.remove('n')).rejects.toMatchObject({ statusCode: 409, message: `error while removing network: network n id ${net.Id} has active endpoints (a1)` });
    await m.releaseContainer(A);
    kernel.batches.length = 0;
    await m.remove(net.Id.slice(0, 8));
    expect(kernel.batches).toEqual([[`del ${bridgeName('tsct', net.Id)} missing-ok`]]);
    expect(m.list()).toEqual([]);
  });

  it('undoes a failed connect: veth deleted, address freed, nothing persisted', async () => {
    const { m, kernel } = await manager();
    await m.create({ Name: 'n' });
    kernel.failOn = /^addr eth0/;
    await expect(m.connect('n', { containerId: A, containerName: 'a1', netnsPath: '/x' })).rejects.toThrow(/network setup failed at `addr eth0 10\.213\.0\.2\/24`/);
    expect(kernel.batches.at(-1)![0]).toMatch(/^del tsctv\w+ missing-ok$/);
    expect(m.inspect('n').Containers).toEqual({});
    kernel.failOn = undefined;
    expect((await m.connect('n', { containerId: A, containerName: 'a1', netnsPath: '/x' })).IPAddress).toBe('10.213.0.3');
  });

  it('never hands out an address twice under concurrent connects', async () => {
    const { m } = await manager();
    await m.create({ Name: 'n' });
    const ids = Array.from({ length: 40 }, (_, i) => i.toString(16).padStart(64, '0'));
    const eps = await Promise.all(ids.map((id, i) => m.connect('n', { containerId: id, containerName: `c${i}`, netnsPath: '/x' })));
    expect(new Set(eps.map((e) => e.IPAddress)).size).toBe(40);
  });

  it('two engines (roots) sharing the host lock never pick the same subnet', async () => {
    const shared: NetObject[] = [];
    const lockRoot = tmp();
    const mk = async () => {
      const root = tmp();
      const m = new NetworkManager({ root, pools: POOL, linkPrefix: 'tsct', hostLockPath: path.join(lockRoot, 'host.lock'), predefined: false, mtu: 1500 }, new FakeKernel(shared), new RecordingFirewall());
      await m.load();
      return m;
    };
    const [m1, m2] = await Promise.all([mk(), mk()]);
    const recs = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? m1 : m2).create({ Name: `n${i}` })));
    const subnets = recs.map((r) => r.IPAM.Config[0]!.Subnet);
    expect(new Set(subnets).size).toBe(10);
  });

  it('persists and reloads; reconcile drops endpoints of dead containers and recreates missing bridges', async () => {
    const root = tmp();
    const { m, kernel } = await manager(root);
    const net = await m.create({ Name: 'n', Labels: { x: 'y' } });
    await m.connect('n', { containerId: A, containerName: 'a1', netnsPath: '/x' });
    const epB = await m.connect('n', { containerId: B, containerName: 'b1', netnsPath: '/y' });
    const again = await manager(root, kernel);
    expect(again.m.inspect('n')).toEqual(m.inspect('n'));
    kernel.objects = [{ type: 'link', index: 9, name: vethName('tsct', epB.EndpointID), up: true }];
    kernel.batches.length = 0;
    const r = await again.m.reconcile(new Set([B]));
    expect(r.removedEndpoints).toBe(1);
    const br = bridgeName('tsct', net.Id);
    expect(kernel.batches[1]).toEqual([`bridge ${br} mtu 1400 may-exist`, `mac ${br} 02:42:0a:d5:00:01`, `addr ${br} 10.213.0.1/24 may-exist`, `up ${br}`]);
    expect(Object.keys(again.m.inspect('n').Containers)).toEqual([B]);
  });

  it('lists with Docker\'s filters', async () => {
    const { m } = await manager();
    await m.create({ Name: 'proj_front', Labels: { 'com.docker.compose.project': 'proj', tier: 'front' } });
    await m.create({ Name: 'proj_back', Labels: { 'com.docker.compose.project': 'proj' }, Internal: true });
    await m.create({ Name: 'other' });
    const names = (f: Record<string, string[]>) => m.list(f).map((n) => n.Name).sort();
    expect(names({ label: ['com.docker.compose.project=proj'] })).toEqual(['proj_back', 'proj_front']);
    expect(names({ label: ['tier'] })).toEqual(['proj_front']);
    expect(names({ name: ['proj'] })).toEqual(['proj_back', 'proj_front']);
    expect(names({ type: ['custom'], dangling: ['true'] })).toEqual(['other', 'proj_back', 'proj_front']);
    expect(() => m.list({ bogus: ['1'] })).toThrow("invalid filter 'bogus'");
    expect(await m.prune({ label: ['tier=front'] })).toEqual(['proj_front']);
    expect(await m.prune({ 'label!': ['com.docker.compose.project'], until: [String(Date.now() / 1000 + 60)] })).toEqual(['other']);
    expect(await m.prune({ until: ['1h'] })).toEqual([]);
    await expect(m.prune({ until: ['soon'] })).rejects.toThrow('invalid until filter "soon": expected a timestamp, a date or a duration like 24h');
    await expect(m.prune({ driver: ['bridge'] })).rejects.toThrow("invalid filter 'driver'");
  });

  it('host and none networks exist and cannot be removed', async () => {
    const root = tmp();
    const kernel = new FakeKernel();
    const m = new NetworkManager({ root, pools: POOL, linkPrefix: 'tsct', hostLockPath: path.join(root, 'l'), mtu: 1500 }, kernel, new RecordingFirewall());
    await m.load();
    expect(m.list().map((n) => [n.Name, n.Driver])).toEqual([['bridge', 'bridge'], ['host', 'host'], ['none', 'null']]);
    await expect(m.remove('host')).rejects.toMatchObject({ statusCode: 409, message: 'host is a pre-defined network and cannot be removed' });
    kernel.batches.length = 0;
    const ep = await m.connect('none', { containerId: A, containerName: 'a', netnsPath: '/proc/1/ns/net' });
    expect(ep.IPAddress).toBe('');
    expect(kernel.batches).toEqual([['netns /proc/1/ns/net', 'up lo', 'netns host']]);
  });
});

describe('IPv6 networks', () => {
  it('gives an EnableIPv6 network a ULA /64, the bridge its ::1, endpoints ::2.. with nodad and a v6 default route', async () => {
    const root = tmp();
    const kernel = new FakeKernel();
    const m = new NetworkManager({ root, pools: POOL, linkPrefix: 'tsct', hostLockPath: path.join(root, 'l'), predefined: false, mtu: 1500, ipv6Available: () => true }, kernel, new RecordingFirewall());
    await m.load();
    const rec = await m.create({ Name: 'v6', EnableIPv6: true });
    expect(rec.EnableIPv6).toBe(true);
    const v6 = rec.IPAM.Config[1]!;
    expect(v6.Subnet).toMatch(/^fd[0-9a-f]{2}:[0-9a-f]{1,4}:[0-9a-f]{1,4}::\/64$/);
    expect(v6.Gateway).toBe(v6.Subnet.replace('::/64', '::1'));
    const br = bridgeName('tsct', rec.Id);
    expect(kernel.batches[1]).toContain(`addr ${br} ${v6.Gateway}/64 may-exist nodad`);
    kernel.batches.length = 0;
    const ep = await m.connect('v6', { containerId: A, containerName: 'a', netnsPath: '/x' });
    expect(ep).toMatchObject({ GlobalIPv6Address: v6.Subnet.replace('::/64', '::2'), GlobalIPv6PrefixLen: 64, IPv6Gateway: v6.Gateway });
    expect(kernel.batches[0]).toEqual(expect.arrayContaining([`addr eth0 ${ep.GlobalIPv6Address}/64 nodad`, `route default via ${v6.Gateway}`, 'route default via 10.213.0.1']));
    expect(m.inspect('v6').Containers[A]!.IPv6Address).toBe(`${ep.GlobalIPv6Address}/64`);
  });

  it('honours a given IPv6 subnet and static address; refuses IPv6 without enable_ipv6; falls back with a warning without host IPv6', async () => {
    const root = tmp();
    const warnings: string[] = [];
    let v6ok = true;
    const m = new NetworkManager({ root, pools: POOL, linkPrefix: 'tsct', hostLockPath: path.join(root, 'l'), predefined: false, mtu: 1500, ipv6Available: () => v6ok, warn: (w) => warnings.push(w) }, new FakeKernel(), new RecordingFirewall());
    await m.load();
    const rec = await m.create({ Name: 'v6', EnableIPv6: true, IPAM: { Config: [{ Subnet: '10.213.77.0/24' }, { Subnet: 'fd00:dead:beef::/64', Gateway: 'fd00:dead:beef::fe' }] } });
    expect(rec.IPAM.Config).toEqual([{ Subnet: '10.213.77.0/24', Gateway: '10.213.77.1' }, { Subnet: 'fd00:dead:beef::/64', Gateway: 'fd00:dead:beef::fe' }]);
    const ep = await m.connect('v6', { containerId: A, containerName: 'a', netnsPath: '/x', ipv6Address: 'fd00:dead:beef::99' });
    expect(ep.GlobalIPv6Address).toBe('fd00:dead:beef::99');
    expect(ep.IPAMConfig).toEqual({ IPv6Address: 'fd00:dead:beef::99' });
    await expect(m.connect('v6', { containerId: B, containerName: 'b', netnsPath: '/y', ipv6Address: 'fd00:dead:beef::99' })).rejects.toMatchObject({ statusCode: 409 });
    await expect(m.create({ Name: 'bad', IPAM: { Config: [{ Subnet: 'fd00:1::/64' }] } })).rejects.toThrow('network bad: an IPv6 subnet needs enable_ipv6: true');
    await expect(m.create({ Name: 'clash', EnableIPv6: true, IPAM: { Config: [{ Subnet: 'fd00:dead:beef:0:1::/80' }] } })).rejects.toMatchObject({ statusCode: 409 });
    v6ok = false;
    const plain = await m.create({ Name: 'nov6', EnableIPv6: true });
    expect(plain.EnableIPv6).toBe(false);
    expect(plain.IPAM.Config).toHaveLength(1);
    expect(warnings).toEqual(['network nov6: enable_ipv6 is ignored: IPv6 is disabled on this host (net.ipv6.conf.all.disable_ipv6)']);
  });
});

describe('nftables ruleset', () => {
  it('isolates bridges, keeps internal networks inside, masquerades the rest (golden)', () => {
    expect(nftRuleset('tscompose_x', [{ bridge: 'tscb1', subnet: '10.213.0.0/24', subnet6: 'fd12:3456:789a::/64', internal: false }, { bridge: 'tscb2', subnet: '10.213.1.0/24', internal: true }], 'tscb*')).toBe(
      `table inet tscompose_x
delete table inet tscompose_x
table inet tscompose_x {
  chain forward {
    type filter hook forward priority filter - 1; policy accept;
    iifname "tscb1" oifname "tscb*" oifname != "tscb1" drop
    iifname "tscb2" oifname != "tscb2" drop
    oifname "tscb2" iifname != "tscb2" drop
  }
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    ip saddr 10.213.0.0/24 oifname != "tscb1" masquerade
    ip6 saddr fd12:3456:789a::/64 oifname != "tscb1" masquerade
  }
}
`,
    );
  });
});

describe('iptables fallback', () => {
  it('replaces its two chains at once with iptables-restore --noflush (golden)', () => {
    expect(iptablesRestoreText('TSCx', [{ bridge: 'tscb1', subnet: '10.213.0.0/24', internal: false }, { bridge: 'tscb2', subnet: '10.213.1.0/24', internal: true }], 'tscb*')).toBe(
      `*filter
:TSCxF - [0:0]
-A TSCxF -i tscb1 -o tscb1 -j RETURN
-A TSCxF -i tscb1 -o tscb+ -j DROP
-A TSCxF -i tscb2 -o tscb2 -j RETURN
-A TSCxF -i tscb2 -j DROP
-A TSCxF -o tscb2 -j DROP
COMMIT
*nat
:TSCxN - [0:0]
-A TSCxN -s 10.213.0.0/24 ! -o tscb1 -j MASQUERADE
COMMIT
`,
    );
  });
});
