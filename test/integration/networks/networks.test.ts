// The network layer on the real kernel: bridges, veths, hosts files seen from
// inside the namespaces, isolation between networks, the port proxy, and a
// host left as it was found. Everything is named with a unique tsct prefix
// and uses subnets of 10.213.0.0/16 only.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IptablesFirewall, NetworkManager, PortProxy, portSpecs, type NetworkRecord } from '../../../runtime/networks/index.js';
import { tscNetPath } from '../../../runtime/networks/netlink.js';
import { firewallTableName, macForIPv4 } from '../../../runtime/networks/names.js';
import { runCleanups, onCleanup } from '../../helpers/cleanup.js';
import { requireEnv } from '../../helpers/require-root.js';
import { tempDir } from '../../helpers/tmp.js';
import { hostNetworkSnapshot, startFakeContainer, type FakeContainer } from './fake-container.js';

const gate = requireEnv({ root: true, binaries: ['unshare', 'nsenter', 'busybox', 'ip'], paths: [tscNetPath()] }, 'network integration tests');

describe.skipIf(gate.skip)('networks on the real kernel', () => {
  const prefix = `tsct${randomBytes(2).toString('hex')}`;
  let dir: string;
  let m: NetworkManager;
  const proxy = new PortProxy();
  let before: Record<string, string[]>;
  let ipForward: string;
  const warnings: string[] = [];
  let front: NetworkRecord;
  let back: NetworkRecord;
  const cs: Record<string, FakeContainer> = {};
  const id = (n: string) => (n.repeat(64)).slice(0, 64);

  const ours = (snap: Record<string, string[]>) =>
    // Only what this manager makes: links, addresses and routes carry the prefix; its nft table is named after its root.
    // (Other engines on the same test pool may be running at the same time.)
    Object.fromEntries(Object.entries(snap).map(([k, v]) => [k, v.filter((l) => l.includes(prefix) || (dir !== undefined && l.includes(firewallTableName(path.join(dir, 'root')))))]));

  beforeAll(async () => {
    ipForward = readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim();
    before = await hostNetworkSnapshot();
    dir = tempDir('net');
    m = new NetworkManager({ root: path.join(dir, 'root'), pools: [{ base: '10.213.0.0/16', size: 24 }], linkPrefix: prefix, hostLockPath: path.join(dir, 'ipam.lock'), predefined: false, warn: (w) => warnings.push(w) });
    await m.load();
    onCleanup('destroy test networks', () => m.destroyAll());
    onCleanup('restore ip_forward', () => writeFileSync('/proc/sys/net/ipv4/ip_forward', ipForward));
    front = await m.create({ Name: `${prefix}_front`, Labels: { 'com.docker.compose.project': prefix } });
    back = await m.create({ Name: `${prefix}_back` });
    for (const [key, name] of [['a', 'proj-web-1'], ['b', 'proj-db-1'], ['c', 'other-app-1']] as const) {
      cs[key] = await startFakeContainer(dir, id(key), name);
      const c = cs[key]!;
      onCleanup(`stop ${name}`, () => c.stop());
    }
  });

  afterAll(async () => {
    await proxy.closeAll();
    await runCleanups();
  });

  const lookup = async (c: FakeContainer, name: string) => {
    const r = await c.exec(['busybox', 'ping', '-c1', '-W2', name]);
    return { ok: r.code === 0, ip: /PING \S+ \(([\d.]+)\)/.exec(r.stdout)?.[1] };
  };

  it('connects two containers that reach each other by IP and by name, in one tsc-net batch each', async () => {
    const t0 = Date.now();
    const ea = await m.connect(front.Id, { containerId: cs.a!.id, containerName: 'proj-web-1', serviceName: 'web', netnsPath: cs.a!.netnsPath, aliases: ['www'], hosts: { path: cs.a!.hostsPath, hostname: 'webhost', extraHosts: ['host.docker.internal:host-gateway'] } });
    const eb = await m.connect(front.Id, { containerId: cs.b!.id, containerName: 'proj-db-1', serviceName: 'db', netnsPath: cs.b!.netnsPath, links: [{ target: 'proj-web-1', alias: 'legacyweb' }], hosts: { path: cs.b!.hostsPath } });
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(ea.IPAddress).toMatch(/^10\.213\.\d+\.2$/);
    // the bridge keeps a MAC of its own (set, not taken from its lowest port), so the gateway's MAC never changes under the containers
    const brDir = `/sys/class/net/${`${prefix}b${front.Id}`.slice(0, 15)}`;
    expect(readFileSync(`${brDir}/addr_assign_type`, 'utf8').trim()).toBe('3');
    expect(readFileSync(`${brDir}/address`, 'utf8').trim()).toBe(macForIPv4(ea.Gateway));
    expect((await cs.a!.exec(['busybox', 'ping', '-c1', '-W2', eb.IPAddress])).code).toBe(0);
    expect(await lookup(cs.a!, 'db')).toEqual({ ok: true, ip: eb.IPAddress });
    expect(await lookup(cs.a!, 'proj-db-1')).toEqual({ ok: true, ip: eb.IPAddress });
    expect(await lookup(cs.b!, 'www')).toEqual({ ok: true, ip: ea.IPAddress });
    expect(await lookup(cs.b!, 'legacyweb')).toEqual({ ok: true, ip: ea.IPAddress });
    expect(await lookup(cs.b!, cs.a!.id.slice(0, 12))).toEqual({ ok: true, ip: ea.IPAddress });
    expect(await lookup(cs.a!, 'host.docker.internal')).toEqual({ ok: true, ip: ea.Gateway });
    // Inside: eth0 with the MAC and MTU we set, lo up, default route via the gateway.
    const link = (await cs.a!.exec(['ip', '-o', 'link', 'show', 'eth0'])).stdout;
    expect(link).toContain(ea.MacAddress);
    expect((await cs.a!.exec(['ip', 'route'])).stdout).toContain(`default via ${ea.Gateway} dev eth0`);
    expect((await cs.a!.exec(['ip', '-o', 'link', 'show', 'lo'])).stdout).toMatch(/UP/);
  });

  it('lets no traffic cross between two networks', async () => {
    const ec = await m.connect(back.Id, { containerId: cs.c!.id, containerName: 'other-app-1', netnsPath: cs.c!.netnsPath, hosts: { path: cs.c!.hostsPath } });
    const a = m.endpointOf(front.Id, cs.a!.id)!;
    expect((await cs.c!.exec(['busybox', 'ping', '-c1', '-W1', a.IPAddress])).code).not.toBe(0);
    expect((await cs.a!.exec(['busybox', 'ping', '-c1', '-W1', ec.IPAddress])).code).not.toBe(0);
    expect(readFileSync(cs.c!.hostsPath, 'utf8')).not.toContain('proj-web-1');
  });

  it('rewrites peers\' hosts files in place when a peer leaves and rejoins with a new IP', async () => {
    const inode = statSync(cs.a!.hostsPath).ino;
    const old = m.endpointOf(front.Id, cs.b!.id)!.IPAddress;
    await m.releaseContainer(cs.b!.id);
    await cs.b!.stop();
    // (A failed lookup would wait for the host's DNS server, unreachable here: read the file.)
    expect(readFileSync(cs.a!.hostsPath, 'utf8')).not.toMatch(/\bdb\b/);
    cs.b = await startFakeContainer(dir, id('b'), 'proj-db-1');
    const b2 = cs.b;
    onCleanup('stop proj-db-1 (2)', () => b2.stop());
    const eb = await m.connect(front.Id, { containerId: cs.b.id, containerName: 'proj-db-1', serviceName: 'db', netnsPath: cs.b.netnsPath, hosts: { path: cs.b.hostsPath } });
    expect(eb.IPAddress).not.toBe(old);
    expect(await lookup(cs.a!, 'db')).toEqual({ ok: true, ip: eb.IPAddress });
    expect(statSync(cs.a!.hostsPath).ino).toBe(inode);
  });

  it('serves 1,000 sequential and 100 concurrent HTTP requests through a published port on 127.0.0.1', async () => {
    const www = path.join(dir, 'www');
    mkdirSync(www, { recursive: true });
    writeFileSync(path.join(www, 'index.html'), 'hello from the netns\n');
    cs.b!.spawnServer(['busybox', 'httpd', '-f', '-p', '8080', '-h', www]);
    const ip = m.endpointOf(front.Id, cs.b!.id)!.IPAddress;
    const [pub] = await proxy.publish(cs.b!.id, portSpecs({ '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: '0' }] }, ip));
    const get = () =>
      new Promise<string>((resolve, reject) => {
        const req = http.get({ host: '127.0.0.1', port: pub!.hostPort, path: '/', agent: false }, (res) => {
          let body = '';
          res.setEncoding('utf8').on('data', (d: string) => (body += d)).on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`status ${res.statusCode}`))));
        });
        req.on('error', reject);
        req.setTimeout(5000, () => req.destroy(new Error('timeout')));
      });
    // httpd needs a moment to listen inside the namespace.
    for (let i = 0; ; i++) {
      try {
        await get();
        break;
      } catch (e) {
        if (i > 50) throw e;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    let errors = 0;
    for (let i = 0; i < 1000; i++) if ((await get().catch(() => '')) !== 'hello from the netns\n') errors++;
    expect(errors).toBe(0);
    const bodies = await Promise.all(Array.from({ length: 100 }, () => get().catch((e: Error) => e.message)));
    expect(bodies.filter((b) => b !== 'hello from the netns\n')).toEqual([]);
    await proxy.unpublish(cs.b!.id);
  }, 120_000);

  it('keeps outbound NAT and isolation in one nft table of its own', async () => {
    if (!existsSync('/usr/sbin/nft')) return expect(m.natStatus().enabled).toBe(false);
    const table = execFileSync('nft', ['list', 'ruleset']).toString();
    const br = (n: NetworkRecord) => `${prefix}b${n.Id}`.slice(0, 15);
    expect(table).toContain(`ip saddr ${front.IPAM.Config[0]!.Subnet} oifname != "${br(front)}" masquerade`);
    expect(table).toContain(`iifname "${br(back)}" oifname "${prefix}b*" oifname != "${br(back)}" drop`);
    expect(warnings).toEqual([]);
  });

  it('refuses to remove a network in use, then removes everything it made', async () => {
    await expect(m.remove(front.Id)).rejects.toMatchObject({ statusCode: 409 });
    for (const c of Object.values(cs)) await m.releaseContainer(c.id);
    await m.remove(front.Id);
    await m.remove(back.Id);
    for (const c of Object.values(cs)) await c.stop();
    expect(ours(await hostNetworkSnapshot())).toEqual(ours(before));
  });
});

describe.skipIf(gate.skip)('tsc-net requests', () => {
  const net = (input: string) => {
    try {
      return { code: 0, out: JSON.parse(execFileSync(tscNetPath(), { input }).toString()) as Record<string, unknown> };
    } catch (e) {
      const x = e as { status: number; stdout: Buffer };
      return { code: x.status, out: JSON.parse(x.stdout.toString()) as Record<string, unknown> };
    }
  };

  it('refuses a malformed request before running anything (exit 2), naming the line', () => {
    expect(net('up lo\nfrobnicate x\n')).toEqual({ code: 2, out: { ok: false, step: 2, line: 'frobnicate x', error: 'line 2: unknown step `frobnicate`: Invalid argument', errno: 22, results: [] } });
    expect(net('veth onlyone\n').out.error).toBe('line 1: usage: veth HOST PEER [netns PATH] [mtu N]: Invalid argument');
    expect(net('links\ndel tsc')).toEqual({ code: 2, out: { ok: false, step: 0, line: '', error: 'the request does not end with a newline (cut short?); nothing was run: Invalid argument', errno: 22, results: [] } });
  });

  it('names the step, the object and strerror when the kernel refuses', () => {
    const ghost = `tsct${randomBytes(4).toString('hex')}`;
    expect(net(`# comment\n\ndel ${ghost} missing-ok\nmtu ${ghost} 1400\n`)).toEqual({
      code: 1,
      out: { ok: false, step: 4, line: `mtu ${ghost} 1400`, error: `line 4: find link \`${ghost}\`: No such device`, errno: 19, results: [] },
    });
    expect(net('addr lo 10.213.0.1\n').out.error).toBe('line 1: address `10.213.0.1` needs a prefix length (like 10.0.0.1/24): Invalid argument');
    expect(net('netns /nonexistent/ns\n').out.error).toBe('line 1: open network namespace `/nonexistent/ns`: No such file or directory');
    expect(net('sysctl kernel.hostname x\n').out.error).toBe('line 1: sysctl `kernel.hostname` is not a net.* key: Invalid argument');
    // The kernel's own reason (extended ACK) comes along when it gives one.
    expect(net(`bridge ${ghost} mtu 20\n`).out.error).toBe(`line 1: create bridge \`${ghost}\` (kernel: mtu less than device minimum): Invalid argument`);
  });

  it('lists links, addresses and routes', () => {
    const r = net('links\naddrs\nroutes\n');
    expect(r.code).toBe(0);
    const objs = r.out.results as Array<{ type: string; name?: string; address?: string }>;
    expect(objs.some((o) => o.type === 'link' && o.name === 'lo')).toBe(true);
    expect(objs.some((o) => o.type === 'addr' && o.address === '127.0.0.1')).toBe(true);
  });
});

const iptGate = requireEnv({ root: true, binaries: ['iptables', 'iptables-restore', 'nft'] }, 'the iptables fallback test');

describe.skipIf(iptGate.skip)('iptables fallback', () => {
  it('installs its chains and jumps once, and removes them all', async () => {
    const tables = () => execFileSync('nft', ['list', 'tables']).toString();
    const hadTables = tables();
    const chain = `TSCT${randomBytes(3).toString('hex')}`;
    const fw = new IptablesFirewall(chain, 'tsctzz*');
    try {
      const nets = [{ bridge: 'tsctzzb1', subnet: '10.213.250.0/24', internal: false }];
      await fw.apply(nets);
      await fw.apply(nets);
      const filter = execFileSync('iptables', ['-S']).toString();
      expect(filter.split('\n').filter((l) => l === `-A FORWARD -j ${chain}F`)).toHaveLength(1);
      expect(filter).toContain(`-A ${chain}F -i tsctzzb1 -o tsctzz+ -j DROP`);
      expect(execFileSync('iptables', ['-t', 'nat', '-S']).toString()).toContain(`-A ${chain}N -s 10.213.250.0/24 ! -o tsctzzb1 -j MASQUERADE`);
    } finally {
      await fw.clear();
      // iptables-nft made the base tables if the host had none: take them away again when empty.
      for (const t of ['filter', 'nat'])
        if (!hadTables.includes(`table ip ${t}\n`) && !execFileSync('nft', ['list', 'table', 'ip', t]).toString().match(/jump|drop|accept;?\s*\n\s*\S+ /))
          execFileSync('nft', ['delete', 'table', 'ip', t]);
    }
    expect(execFileSync('iptables', ['-S']).toString()).not.toContain(chain);
    expect(tables()).toBe(hadTables);
  });
});

describe.skipIf(gate.skip)('recovery after an engine crash', () => {
  afterAll(runCleanups);
  it('a restarted manager removes what dead containers and a half-done connect left', async () => {
    const prefix = `tsct${randomBytes(2).toString('hex')}`;
    const dir = tempDir('netcrash');
    const opts = { root: path.join(dir, 'root'), pools: [{ base: '10.213.0.0/16', size: 24 }], linkPrefix: prefix, hostLockPath: path.join(dir, 'ipam.lock'), predefined: false };
    const ipForward = readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim();
    const first = new NetworkManager(opts);
    await first.load();
    onCleanup('destroy crash-test networks', async () => {
      const m = new NetworkManager(opts);
      await m.load();
      await m.destroyAll();
      writeFileSync('/proc/sys/net/ipv4/ip_forward', ipForward);
    });
    const net = await first.create({ Name: `${prefix}_n` });
    const live = await startFakeContainer(dir, 'a'.repeat(64), 'live-1');
    const dead = await startFakeContainer(dir, 'b'.repeat(64), 'dead-1');
    onCleanup('stop live-1', () => live.stop());
    onCleanup('stop dead-1', () => dead.stop());
    await first.connect(net.Id, { containerId: live.id, containerName: 'live-1', netnsPath: live.netnsPath, hosts: { path: live.hostsPath } });
    const gone = await first.connect(net.Id, { containerId: dead.id, containerName: 'dead-1', netnsPath: dead.netnsPath, hosts: { path: dead.hostsPath } });
    // A connect cut short by the crash: its record is `pending` and its veth exists.
    const recFile = path.join(opts.root, 'networks', `${net.Id}.json`);
    const rec = JSON.parse(readFileSync(recFile, 'utf8'));
    const halfVeth = `${prefix}vdeadbeef00`.slice(0, 15);
    rec.endpoints['c'.repeat(64)] = { endpointId: 'e'.repeat(64), containerId: 'c'.repeat(64), containerName: 'half-1', aliases: [], ip: '10.213.0.99', mac: '02:42:0a:d5:00:63', veth: halfVeth, ifname: 'eth0', state: 'pending', seq: 99 };
    writeFileSync(recFile, JSON.stringify(rec));
    execFileSync('ip', ['link', 'add', halfVeth, 'type', 'veth', 'peer', 'name', `${prefix}pdead`]);
    // The dead container's process is gone; the engine restarts (a new manager on the same root).
    await dead.stop();
    const second = new NetworkManager(opts);
    await second.load();
    expect(await second.reconcile(new Set([live.id]))).toEqual({ removedEndpoints: 2 });
    expect(Object.keys(second.inspect(net.Id).Containers)).toEqual([live.id]);
    const links = execFileSync('ip', ['-o', 'link']).toString();
    expect(links).not.toContain(halfVeth);
    expect(links).not.toContain(`${prefix}v${gone.EndpointID}`.slice(0, 15));
    expect(readFileSync(live.hostsPath, 'utf8')).not.toContain('dead-1');
    // The addresses are free again: a new container may get them.
    const again = await startFakeContainer(dir, 'd'.repeat(64), 'new-1');
    onCleanup('stop new-1', () => again.stop());
    const ep = await second.connect(net.Id, { containerId: again.id, containerName: 'new-1', netnsPath: again.netnsPath, ipv4Address: gone.IPAddress });
    expect(ep.IPAddress).toBe(gone.IPAddress);
    await second.releaseContainer(again.id);
    await second.releaseContainer(live.id);
    await runCleanups();
    expect(execFileSync('ip', ['-o', 'link']).toString()).not.toContain(prefix);
  });
});

const v6Gate = requireEnv({ root: true, binaries: ['unshare', 'nsenter', 'busybox'], paths: [tscNetPath(), '/proc/net/if_inet6'] }, 'the IPv6 network test');

describe.skipIf(v6Gate.skip)('IPv6 on a network with enable_ipv6', () => {
  afterAll(runCleanups);

  it('gives both containers IPv6 addresses that reach each other, listed in the hosts files', async () => {
    const prefix = `tsct${randomBytes(2).toString('hex')}`;
    const dir = tempDir('net6');
    const ipForward = readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim();
    const m = new NetworkManager({ root: path.join(dir, 'root'), pools: [{ base: '10.213.0.0/16', size: 24 }], linkPrefix: prefix, hostLockPath: path.join(dir, 'ipam.lock'), predefined: false });
    await m.load();
    onCleanup('destroy v6 networks', async () => {
      await m.destroyAll();
      writeFileSync('/proc/sys/net/ipv4/ip_forward', ipForward);
    });
    const net = await m.create({ Name: `${prefix}_v6`, EnableIPv6: true });
    expect(net.EnableIPv6).toBe(true);
    const a = await startFakeContainer(dir, 'a'.repeat(64), 'six-a');
    const b = await startFakeContainer(dir, 'b'.repeat(64), 'six-b');
    onCleanup('stop six-a', () => a.stop());
    onCleanup('stop six-b', () => b.stop());
    const ea = await m.connect(net.Id, { containerId: a.id, containerName: 'six-a', netnsPath: a.netnsPath, hosts: { path: a.hostsPath } });
    const eb = await m.connect(net.Id, { containerId: b.id, containerName: 'six-b', netnsPath: b.netnsPath, hosts: { path: b.hostsPath } });
    expect(eb.GlobalIPv6Address).toMatch(/^fd[0-9a-f]{2}:/);
    expect((await a.exec(['busybox', 'ping', '-6', '-c1', '-W2', eb.GlobalIPv6Address])).code).toBe(0);
    expect((await b.exec(['busybox', 'ping', '-6', '-c1', '-W2', ea.IPv6Gateway])).code).toBe(0);
    expect(readFileSync(a.hostsPath, 'utf8')).toContain(`${eb.GlobalIPv6Address}\tsix-b ${'b'.repeat(12)}\n`);
    expect((await a.exec(['ip', '-6', 'route'])).stdout).toContain(`default via ${ea.IPv6Gateway} dev eth0`);
    await m.releaseContainer(a.id);
    await m.releaseContainer(b.id);
    await m.remove(net.Id);
  });
});
