// The network layer: the port proxy against a direct connection to the
// container's address (dockerd's docker-proxy when dockerd is installed —
// it is not on this machine), the time to connect a container to a network,
// and the hosts-file update with 100 containers on one network.
//
//   sudo npm run bench -- network [CONTAINERS=100]
//
// "Containers" are sleeping processes in their own network and mount
// namespaces (test/integration/networks/fake-container.ts); servers inside
// run with the host's node and busybox. Names tsct…, subnets 10.213.0.0/16,
// all removed at the end.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import http from 'node:http';
import path from 'node:path';
import { NetworkManager, PortProxy, portSpecs } from '../runtime/networks/index.js';
import { onCleanup, runCleanups } from '../test/helpers/cleanup.js';
import { tempDir } from '../test/helpers/tmp.js';
import { startFakeContainer, type FakeContainer } from '../test/integration/networks/fake-container.js';
import type { BenchModule } from './run.js';

const r2 = (x: number) => Math.round(x * 100) / 100;

function stats(ms: number[]) {
  const s = [...ms].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
  return { runs: s.length, medianMs: r2(q(50)), p95Ms: r2(q(95)), p99Ms: r2(q(99)), minMs: r2(s[0]!), maxMs: r2(s[s.length - 1]!), meanMs: r2(s.reduce((a, b) => a + b, 0) / s.length) };
}

const now = () => Number(process.hrtime.bigint()) / 1e6;

/** Node servers inside the netns: 9001 sinks and answers the byte count, 9002 echoes. */
const SERVER = `
const net = require('net');
net.createServer((c) => { let n = 0; c.on('data', (d) => { n += d.length; }); c.on('end', () => c.end(String(n))); }).listen(9001, '0.0.0.0');
net.createServer({ noDelay: true }, (c) => { c.setNoDelay(true); c.pipe(c); }).listen(9002, '0.0.0.0');
`;

function waitPort(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + 10_000;
    const tryOnce = () => {
      const s = connect(port, host);
      s.once('connect', () => {
        s.destroy();
        resolve();
      });
      s.once('error', () => {
        s.destroy();
        if (Date.now() > deadline) reject(new Error(`nothing listens on ${host}:${port}`));
        else setTimeout(tryOnce, 50);
      });
    };
    tryOnce();
  });
}

/** Sends `bytes` to the sink and waits for its count: MiB/s. */
function upload(host: string, port: number, bytes: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const chunk = Buffer.alloc(256 * 1024, 7);
    const s = connect(port, host);
    let reply = '';
    const t0 = now();
    s.setEncoding('utf8').on('data', (d: string) => (reply += d));
    s.on('end', () => {
      if (Number(reply) !== bytes) reject(new Error(`sink got ${reply} of ${bytes} bytes`));
      else resolve(bytes / 1024 / 1024 / ((now() - t0) / 1000));
    });
    s.on('error', reject);
    let sent = 0;
    const pump = () => {
      while (sent < bytes) {
        sent += chunk.length;
        if (!s.write(chunk)) return void s.once('drain', pump);
      }
      s.end();
    };
    s.once('connect', pump);
  });
}

/** Round trips of a 64-byte message on one connection. */
async function pingPong(host: string, port: number, n: number): Promise<number[]> {
  const s: Socket = connect({ port, host, noDelay: true });
  await new Promise((r, j) => s.once('connect', r).once('error', j));
  const msg = Buffer.alloc(64, 1);
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = now();
    await new Promise<void>((resolve) => {
      let got = 0;
      const on = (d: Buffer) => {
        got += d.length;
        if (got >= msg.length) {
          s.off('data', on);
          resolve();
        }
      };
      s.on('data', on);
      s.write(msg);
    });
    times.push(now() - t0);
  }
  s.destroy();
  return times;
}

function httpGet(host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = now();
    const req = http.get({ host, port, path: '/', agent: false }, (res) => {
      res.resume().on('end', () => (res.statusCode === 200 ? resolve(now() - t0) : reject(new Error(`status ${res.statusCode}`))));
    });
    req.on('error', reject);
  });
}

async function sequentialHttp(host: string, port: number, n: number) {
  const times: number[] = [];
  const t0 = now();
  for (let i = 0; i < n; i++) times.push(await httpGet(host, port));
  return { requestsPerSecond: Math.round(n / ((now() - t0) / 1000)), ...stats(times) };
}

async function run(args: string[]): Promise<Record<string, unknown>> {
  if (process.getuid?.() !== 0) throw new Error('the network benchmark needs root (namespaces, bridges)');
  const many = Number(args[0] ?? 100);
  const prefix = `tsct${randomBytes(2).toString('hex')}`;
  const dir = tempDir('netbench');
  const m = new NetworkManager({ root: path.join(dir, 'root'), pools: [{ base: '10.213.0.0/16', size: 22 }], linkPrefix: prefix, hostLockPath: path.join(dir, 'ipam.lock'), predefined: false });
  const proxy = new PortProxy();
  const containers: FakeContainer[] = [];
  // The manager turns forwarding on for outbound NAT, as Docker does; the host gets its value back.
  const ipForward = readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim();
  onCleanup('restore ip_forward', () => writeFileSync('/proc/sys/net/ipv4/ip_forward', ipForward));
  try {
    await m.load();
    onCleanup('destroy bench networks', () => m.destroyAll());
    const net = await m.create({ Name: `${prefix}_bench` });

    // ---- connect time: first containers on an empty network
    const connectMs: number[] = [];
    for (let i = 0; i < 20; i++) {
      const c = await startFakeContainer(dir, i.toString(16).padStart(64, '0'), `bench-${i}`);
      containers.push(c);
      onCleanup(`stop ${c.name}`, () => c.stop());
      const t0 = now();
      await m.connect(net.Id, { containerId: c.id, containerName: c.name, serviceName: 'bench', netnsPath: c.netnsPath, hosts: { path: c.hostsPath } });
      connectMs.push(now() - t0);
    }

    // ---- proxy vs direct, against servers in the first container
    const server = containers[0]!;
    const ip = m.endpointOf(net.Id, server.id)!.IPAddress;
    const script = path.join(dir, 'server.cjs');
    writeFileSync(script, SERVER);
    server.spawnServer([process.execPath, script]);
    const www = path.join(dir, 'www');
    mkdirSync(www);
    writeFileSync(path.join(www, 'index.html'), 'x'.repeat(612));
    server.spawnServer(['busybox', 'httpd', '-f', '-p', '8080', '-h', www]);
    await waitPort(ip, 9001);
    await waitPort(ip, 9002);
    await waitPort(ip, 8080);
    const pub = await proxy.publish(server.id, portSpecs({ '9001/tcp': [{ HostIp: '127.0.0.1' }], '9002/tcp': [{ HostIp: '127.0.0.1' }], '8080/tcp': [{ HostIp: '127.0.0.1' }] }, ip));
    const hostPort = (p: number) => pub.find((x) => x.containerPort === p)!.hostPort;

    const bytes = 256 * 1024 * 1024;
    const tput = { direct: [] as number[], proxy: [] as number[] };
    for (let i = 0; i < 3; i++) {
      tput.direct.push(await upload(ip, 9001, bytes));
      tput.proxy.push(await upload('127.0.0.1', hostPort(9001), bytes));
    }
    const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    await pingPong(ip, 9002, 200);
    await pingPong('127.0.0.1', hostPort(9002), 200);
    const rttDirect = stats(await pingPong(ip, 9002, 5000));
    const rttProxy = stats(await pingPong('127.0.0.1', hostPort(9002), 5000));
    const httpDirect = await sequentialHttp(ip, 8080, 1000);
    const httpProxy = await sequentialHttp('127.0.0.1', hostPort(8080), 1000);
    await proxy.closeAll();

    // ---- hosts files with `many` containers on the network
    for (let i = containers.length; i < many; i++) {
      const c = await startFakeContainer(dir, i.toString(16).padStart(64, '0'), `bench-${i}`);
      containers.push(c);
      onCleanup(`stop ${c.name}`, () => c.stop());
      await m.connect(net.Id, { containerId: c.id, containerName: c.name, serviceName: 'bench', netnsPath: c.netnsPath, hosts: { path: c.hostsPath } });
    }
    const joinAtMany: number[] = [];
    const leaveAtMany: number[] = [];
    const extra = await startFakeContainer(dir, 'f'.repeat(64), 'bench-extra');
    onCleanup('stop bench-extra', () => extra.stop());
    for (let i = 0; i < 5; i++) {
      let t0 = now();
      await m.connect(net.Id, { containerId: extra.id, containerName: extra.name, netnsPath: extra.netnsPath, hosts: { path: extra.hostsPath } });
      joinAtMany.push(now() - t0);
      t0 = now();
      await m.disconnect(net.Id, extra.id);
      leaveAtMany.push(now() - t0);
    }
    const refresh: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = now();
      await m.refreshHosts(net.Id);
      refresh.push(now() - t0);
    }

    const dockerd = ['/usr/bin/dockerd', '/usr/sbin/dockerd'].some((p) => existsSync(p));
    return {
      proxy: {
        mechanism: 'userland proxy in the engine (node net), 127.0.0.1:port -> container:port',
        throughputMiBps: { direct: r2(med(tput.direct)), proxy: r2(med(tput.proxy)), ratio: r2(med(tput.proxy) / med(tput.direct)), bytesPerRun: bytes, runs: 3 },
        roundTrip64B: { direct: rttDirect, proxy: rttProxy, medianRatio: r2(rttProxy.medianMs / rttDirect.medianMs) },
        httpSequential1000: { direct: httpDirect, proxy: httpProxy },
      },
      connect: { ...stats(connectMs), note: 'NetworkManager.connect: IPAM + one tsc-net batch (veth in the netns, mac, addr, routes) + hosts files of the peers' },
      hostsUpdate: {
        containers: many,
        joinMs: stats(joinAtMany),
        leaveMs: stats(leaveAtMany),
        refreshAllMs: stats(refresh),
        note: `join/leave of one more container rewrites the hosts files of all ${many + 1} containers (in place) plus its own netlink batch`,
      },
      dockerd: dockerd ? { skipped: 'dockerd is installed but not measured yet' } : { skipped: 'dockerd is not installed on this machine' },
    };
  } finally {
    await proxy.closeAll();
    for (const c of containers) await m.releaseContainer(c.id).catch(() => undefined);
    await runCleanups();
  }
}

const bench: BenchModule = {
  description: 'network: port proxy vs direct (throughput, latency, HTTP), connect time, hosts-file update with 100 containers',
  run,
};
export default bench;
