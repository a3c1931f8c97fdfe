// Published ports: a userland proxy in the engine, like Docker's
// docker-proxy. Each binding listens on hostIp:hostPort and relays to
// containerIp:containerPort — TCP with half-close, UDP per client flow.
// Why a proxy and not DNAT: it works for 127.0.0.1 without route_localnet
// or any firewall, needs no nftables/iptables, leaves nothing in the kernel
// when the engine dies, and the engine knows the real port at once when the
// host port is random. The cost is one copy through the engine per byte
// (bench/network.ts measures it).

import { createServer, connect, type Server, type Socket } from 'node:net';
import { createSocket, type Socket as UdpSocket, type RemoteInfo } from 'node:dgram';
import { InvalidNetworkConfigError, NetworkConflictError } from './errors.js';

export type Proto = 'tcp' | 'udp';

export interface PortSpec {
  proto: Proto;
  /** '' or '0.0.0.0' for every IPv4 address. */
  hostIp: string;
  /** 0: any free port; [lo, hi]: the first free port of the range. */
  hostPort: number | [number, number];
  containerIp: string;
  containerPort: number;
}

export interface PublishedPort {
  proto: Proto;
  hostIp: string;
  hostPort: number;
  containerIp: string;
  containerPort: number;
}

/** Docker's HostConfig.PortBindings entry. */
export interface PortBinding {
  HostIp?: string;
  HostPort?: string;
}

function parseContainerPort(key: string): { port: number; proto: Proto } {
  const m = /^(\d+)(?:\/(tcp|udp|sctp))?$/.exec(key);
  if (!m) throw new InvalidNetworkConfigError(`invalid port ${key}: expected PORT or PORT/tcp or PORT/udp`);
  const port = Number(m[1]);
  if (port < 1 || port > 65535) throw new InvalidNetworkConfigError(`invalid port ${key}: must be from 1 to 65535`);
  if (m[2] === 'sctp') throw new InvalidNetworkConfigError(`port ${key}: sctp is not supported`);
  return { port, proto: (m[2] as Proto | undefined) ?? 'tcp' };
}

function parseHostPort(text: string | undefined, key: string): number | [number, number] {
  if (!text || text === '0') return 0;
  const m = /^(\d+)(?:-(\d+))?$/.exec(text);
  const lo = m ? Number(m[1]) : NaN;
  const hi = m?.[2] ? Number(m[2]) : lo;
  if (!m || lo < 1 || hi > 65535 || hi < lo) throw new InvalidNetworkConfigError(`invalid host port ${text} for ${key}: expected a port or a range like 8000-8010`);
  return m[2] ? [lo, hi] : lo;
}

/** Docker's PortBindings (plus ExposedPorts with `-P`) as proxy specs. */
export function portSpecs(
  bindings: Record<string, PortBinding[] | null> | undefined,
  containerIp: string,
  exposed: Record<string, unknown> | undefined = undefined,
  publishAll = false,
): PortSpec[] {
  const specs: PortSpec[] = [];
  for (const [key, list] of Object.entries(bindings ?? {})) {
    const { port, proto } = parseContainerPort(key);
    for (const b of list && list.length ? list : [{}]) {
      specs.push({ proto, hostIp: b.HostIp ?? '', hostPort: parseHostPort(b.HostPort, key), containerIp, containerPort: port });
    }
  }
  if (publishAll)
    for (const key of Object.keys(exposed ?? {})) {
      if (bindings && key in bindings) continue;
      const { port, proto } = parseContainerPort(key);
      specs.push({ proto, hostIp: '', hostPort: 0, containerIp, containerPort: port });
    }
  return specs;
}

/** NetworkSettings.Ports as container inspect shows it. */
export function portsForInspect(published: readonly PublishedPort[], exposed: Record<string, unknown> = {}): Record<string, Array<{ HostIp: string; HostPort: string }> | null> {
  const out: Record<string, Array<{ HostIp: string; HostPort: string }> | null> = {};
  for (const key of Object.keys(exposed)) out[key.includes('/') ? key : `${key}/tcp`] = null;
  for (const p of published) {
    const key = `${p.containerPort}/${p.proto}`;
    (out[key] ??= []).push({ HostIp: p.hostIp || '0.0.0.0', HostPort: String(p.hostPort) });
  }
  return out;
}

interface Listener {
  port: PublishedPort;
  close(): Promise<void>;
}

const UDP_IDLE_MS = 30_000;

function listenTcp(spec: PortSpec, port: number): Promise<Listener> {
  const sockets = new Set<Socket>();
  const server: Server = createServer({ allowHalfOpen: true, noDelay: true }, (client) => {
    const upstream = connect({ host: spec.containerIp, port: spec.containerPort, allowHalfOpen: true, noDelay: true });
    sockets.add(client).add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', drop).on('close', () => upstream.end());
    upstream.on('error', drop).on('close', () => client.end());
    client.pipe(upstream);
    upstream.pipe(client);
  });
  // No host address: every address, IPv6 too, as dockerd publishes on 0.0.0.0 and [::]
  // (`localhost` is ::1 first for many clients). A dual-stack socket on :: holds both;
  // on a host without IPv6, 0.0.0.0 alone.
  const hosts = spec.hostIp ? [spec.hostIp] : ['::', '0.0.0.0'];
  const attempt = (i: number): Promise<Listener> => listenTcpOn(server, sockets, spec, hosts[i], port).catch((e: NodeJS.ErrnoException) => {
    if (i + 1 < hosts.length && (e.code === 'EAFNOSUPPORT' || e.code === 'EADDRNOTAVAIL')) return attempt(i + 1);
    throw e;
  });
  return attempt(0);
}

function listenTcpOn(server: Server, sockets: Set<Socket>, spec: PortSpec, host: string, port: number): Promise<Listener> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port, backlog: 1024, exclusive: true, ipv6Only: false }, () => {
      server.off('error', reject);
      const addr = server.address();
      const real = typeof addr === 'object' && addr ? addr.port : port;
      resolve({
        port: { proto: 'tcp', hostIp: spec.hostIp, hostPort: real, containerIp: spec.containerIp, containerPort: spec.containerPort },
        close: () =>
          new Promise<void>((r) => {
            for (const s of sockets) s.destroy();
            server.close(() => r());
          }),
      });
    });
  });
}

function listenUdp(spec: PortSpec, port: number): Promise<Listener> {
  const server: UdpSocket = createSocket({ type: spec.hostIp.includes(':') ? 'udp6' : 'udp4', reuseAddr: false });
  const flows = new Map<string, { sock: UdpSocket; timer: NodeJS.Timeout }>();
  const endFlow = (key: string) => {
    const f = flows.get(key);
    if (!f) return;
    clearTimeout(f.timer);
    f.sock.close();
    flows.delete(key);
  };
  server.on('message', (msg: Buffer, from: RemoteInfo) => {
    const key = `${from.address}:${from.port}`;
    let f = flows.get(key);
    if (!f) {
      const sock = createSocket(spec.containerIp.includes(':') ? 'udp6' : 'udp4');
      sock.on('message', (reply: Buffer) => {
        server.send(reply, from.port, from.address);
        const cur = flows.get(key);
        if (cur) cur.timer.refresh();
      });
      sock.on('error', () => endFlow(key));
      f = { sock, timer: setTimeout(() => endFlow(key), UDP_IDLE_MS).unref() };
      flows.set(key, f);
    }
    f.timer.refresh();
    f.sock.send(msg, spec.containerPort, spec.containerIp);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.bind({ address: spec.hostIp || '0.0.0.0', port, exclusive: true }, () => {
      server.off('error', reject);
      server.on('error', () => undefined);
      resolve({
        port: { proto: 'udp', hostIp: spec.hostIp, hostPort: server.address().port, containerIp: spec.containerIp, containerPort: spec.containerPort },
        close: () =>
          new Promise<void>((r) => {
            for (const k of [...flows.keys()]) endFlow(k);
            server.close(() => r());
          }),
      });
    });
  });
}

async function listen(spec: PortSpec): Promise<Listener> {
  const open = spec.proto === 'tcp' ? listenTcp : listenUdp;
  if (typeof spec.hostPort === 'number') {
    try {
      return await open(spec, spec.hostPort);
    } catch (e) {
      throw bindError(spec, String(spec.hostPort), e);
    }
  }
  const [lo, hi] = spec.hostPort;
  for (let p = lo; p <= hi; p++) {
    try {
      return await open(spec, p);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw bindError(spec, String(p), e);
    }
  }
  throw new NetworkConflictError(`Bind for ${spec.hostIp || '0.0.0.0'}:${lo}-${hi} failed: every port of the range is already allocated`);
}

function bindError(spec: PortSpec, port: string, e: unknown): Error {
  const code = (e as NodeJS.ErrnoException).code;
  const where = `${spec.hostIp || '0.0.0.0'}:${port}/${spec.proto}`;
  if (code === 'EADDRINUSE') return new NetworkConflictError(`Bind for ${where} failed: port is already allocated`);
  if (code === 'EADDRNOTAVAIL') return new InvalidNetworkConfigError(`Bind for ${where} failed: the host has no address ${spec.hostIp}`);
  return new InvalidNetworkConfigError(`Bind for ${where} failed: ${(e as Error).message}`);
}

export class PortProxy {
  private readonly owners = new Map<string, Listener[]>();

  /** Opens every binding of `owner` (a container id), all or none. */
  async publish(owner: string, specs: readonly PortSpec[]): Promise<PublishedPort[]> {
    const opened: Listener[] = [];
    try {
      for (const s of specs) opened.push(await listen(s));
    } catch (e) {
      await Promise.all(opened.map((l) => l.close()));
      throw e;
    }
    this.owners.set(owner, [...(this.owners.get(owner) ?? []), ...opened]);
    return opened.map((l) => l.port);
  }

  published(owner: string): PublishedPort[] {
    return (this.owners.get(owner) ?? []).map((l) => l.port);
  }

  async unpublish(owner: string): Promise<void> {
    const ls = this.owners.get(owner) ?? [];
    this.owners.delete(owner);
    await Promise.all(ls.map((l) => l.close()));
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.owners.keys()].map((o) => this.unpublish(o)));
  }
}
