// A container's networking, between the ContainerManager and the network
// layer (runtime/networks): which namespace the runtime gives the container,
// the networks it joins at start (after the runtime's `create`, before its
// `start`), its published ports, and what is undone when it stops.

import {
  NetworkManager, NetworkNotFoundError, PortProxy, parseExtraHost, parseLinks, portSpecs, portsForInspect,
  type EndpointSettings, type PublishedPort,
} from '../networks/index.js';
import type { EndpointSettings as ApiEndpointSettings, ContainerConfig, HostConfig } from '../client/types.js';
import { ContainerConflictError, InvalidContainerConfigError } from './errors.js';

/** What a running container holds on the network side (persisted in its record, for inspect and for the next engine). */
export interface ContainerNetState {
  Networks: Record<string, EndpointSettings>;
  Ports: PublishedPort[];
}

/** The fields of a container record this module reads. */
export interface NetContainer {
  Id: string;
  Name: string;
  Config: ContainerConfig;
  HostConfig: HostConfig;
  HostsPath: string;
  NetworkingConfig?: { EndpointsConfig?: Record<string, ApiEndpointSettings> };
  NetState?: ContainerNetState;
  /**
   * The network named by NetworkMode was disconnected while the container was
   * stopped. NetworkMode keeps its name (as dockerd's does), and a later
   * connect to that network clears this: docker-compose 1.x creates every
   * container that way (create on the network, disconnect, connect with aliases).
   */
  PrimaryDetached?: boolean;
}

/** `host`, `none`, `container:<ref>`, or a network (bridge, a user network name or id). */
export type NetworkModeKind = { kind: 'host' } | { kind: 'none' } | { kind: 'container'; ref: string } | { kind: 'network'; name: string };

export function networkModeOf(hc: HostConfig): NetworkModeKind {
  const mode = hc.NetworkMode || 'bridge';
  if (mode === 'host') return { kind: 'host' };
  if (mode === 'none') return { kind: 'none' };
  if (mode.startsWith('container:')) return { kind: 'container', ref: mode.slice('container:'.length) };
  return { kind: 'network', name: mode === 'default' ? 'bridge' : mode };
}

export class ContainerNetworking {
  /** Host ports held by each container, to tell a port another container holds from one another program holds. */
  private readonly held = new Map<string, PublishedPort[]>();

  constructor(readonly networks: NetworkManager, readonly proxy: PortProxy) {}

  private heldByOther(id: string, hostIp: string, port: string, proto: string): boolean {
    for (const [owner, ports] of this.held) {
      if (owner === id) continue;
      if (ports.some((p) => String(p.hostPort) === port && p.proto === proto && (!p.hostIp || p.hostIp === '0.0.0.0' || hostIp === '0.0.0.0' || p.hostIp === hostIp))) return true;
    }
    return false;
  }

  /** Checks at create what can fail without the container running (Docker answers these at create). */
  validateCreate(hc: HostConfig, endpoints: Record<string, ApiEndpointSettings> | undefined, exposed: Record<string, unknown> | undefined): void {
    const mode = networkModeOf(hc);
    if (mode.kind === 'container' && !mode.ref) throw new InvalidContainerConfigError('invalid network mode "container:": name the container');
    if (mode.kind === 'network' && !this.networks.find(mode.name)) throw new NetworkNotFoundError(mode.name);
    const extra = Object.keys(endpoints ?? {});
    if (extra.length && mode.kind !== 'network') {
      throw new InvalidContainerConfigError(`conflicting options: network mode "${hc.NetworkMode}" cannot be combined with other networks`);
    }
    for (const name of extra) if (!this.networks.find(name)) throw new NetworkNotFoundError(name);
    for (const h of hc.ExtraHosts ?? []) {
      try { parseExtraHost(h, '0.0.0.0'); } catch (e) { throw new InvalidContainerConfigError((e as Error).message); }
    }
    try {
      parseLinks(hc.Links as string[] | undefined);
      if (mode.kind === 'network') portSpecs(hc.PortBindings as never, '0.0.0.0', exposed, !!hc.PublishAllPorts);
    } catch (e) {
      throw new InvalidContainerConfigError((e as Error).message);
    }
    if ((mode.kind === 'host' || mode.kind === 'none') && Object.keys(hc.PortBindings ?? {}).length) {
      // Docker accepts and ignores them with host networking (the ports are the host's already); so do we.
    }
  }

  resolvConf(hc: HostConfig): string {
    return this.networks.resolvConf({ dns: hc.Dns ?? undefined, dnsSearch: hc.DnsSearch ?? undefined, dnsOptions: hc.DnsOptions ?? undefined });
  }

  /** The network names a container joins at start, primary first. */
  networksOf(c: NetContainer): string[] {
    const mode = networkModeOf(c.HostConfig);
    if (mode.kind === 'none') return ['none'];
    if (mode.kind !== 'network') return [];
    const out = c.PrimaryDetached ? [] : [mode.name];
    for (const name of Object.keys(c.NetworkingConfig?.EndpointsConfig ?? {})) {
      const n = this.networks.find(name);
      const first = this.networks.find(mode.name);
      if (n && first && n.id === first.id) {
        if (c.PrimaryDetached && !out.includes(mode.name)) out.unshift(mode.name);
        continue;
      }
      if (!out.includes(name)) out.push(name);
    }
    return out;
  }

  private endpointConfig(c: NetContainer, name: string): ApiEndpointSettings | undefined {
    const cfg = c.NetworkingConfig?.EndpointsConfig ?? {};
    if (cfg[name]) return cfg[name];
    const net = this.networks.find(name);
    for (const [k, v] of Object.entries(cfg)) if (net && this.networks.find(k)?.id === net.id) return v;
    return undefined;
  }

  /** Joins one network (the container's process runs, or is created, as `pid`). */
  async connectOne(c: NetContainer, name: string, pid: number, cfg?: ApiEndpointSettings): Promise<[string, EndpointSettings]> {
    const net = this.networks.find(name);
    if (!net) throw new NetworkNotFoundError(name);
    const ec = cfg ?? this.endpointConfig(c, name);
    const links = [...((c.HostConfig.Links as string[] | null | undefined) ?? []), ...(((ec?.Links as string[] | null | undefined) ?? []))];
    const ep = await this.networks.connect(net.id, {
      containerId: c.Id,
      containerName: c.Name.replace(/^\//, ''),
      netnsPath: `/proc/${pid}/ns/net`,
      aliases: (ec?.Aliases ?? []).filter((a) => !!a),
      ipv4Address: ec?.IPAMConfig?.IPv4Address || undefined,
      ipv6Address: ec?.IPAMConfig?.IPv6Address || undefined,
      serviceName: c.Config.Labels?.['com.docker.compose.service'],
      links: parseLinks(links),
      hosts: { path: c.HostsPath, hostname: c.Config.Hostname, domainname: c.Config.Domainname as string | undefined, extraHosts: c.HostConfig.ExtraHosts ?? [] },
    });
    return [net.name, ep];
  }

  /**
   * Joins every network of the container and publishes its ports. On an
   * error everything done so far is undone and the error is thrown.
   */
  async attach(c: NetContainer, pid: number, recordedPorts?: readonly PublishedPort[]): Promise<ContainerNetState> {
    const state: ContainerNetState = { Networks: {}, Ports: [] };
    try {
      for (const name of this.networksOf(c)) {
        const [netName, ep] = await this.connectOne(c, name, pid);
        state.Networks[netName] = ep;
      }
      const mode = networkModeOf(c.HostConfig);
      const primary = Object.values(state.Networks)[0];
      if (mode.kind === 'network' && primary?.IPAddress) {
        state.Ports = await this.publish(c, primary.IPAddress, recordedPorts, primary.EndpointID);
      }
      return state;
    } catch (e) {
      await this.detach(c.Id);
      throw e;
    }
  }

  private async publish(c: NetContainer, ip: string, recorded?: readonly PublishedPort[], endpointId = ''): Promise<PublishedPort[]> {
    try {
      const ports = recorded
        ? await this.proxy.publish(c.Id, recorded.map((p) => ({ ...p, containerIp: ip })))
        : await this.proxy.publish(c.Id, portSpecs(c.HostConfig.PortBindings as never, ip, c.Config.ExposedPorts ?? undefined, !!c.HostConfig.PublishAllPorts));
      this.held.set(c.Id, ports);
      return ports;
    } catch (e) {
      // dockerd's words, which scripts and compose users look for: `Bind for 0.0.0.0:8080 failed: port is already allocated`
      // when another container holds the port, `listen tcp4 0.0.0.0:8080: bind: address already in use` when another program does.
      const m = /^Bind for (\S+?):(\d+)\/(tcp|udp) failed: (.*)$/s.exec((e as Error).message);
      if (!m) throw e;
      const [, hostIp, port, proto, why] = m as unknown as [string, string, string, string, string];
      const what = /already allocated/.test(why) && !this.heldByOther(c.Id, hostIp, port, proto)
        ? `Error starting userland proxy: listen ${proto}4 ${hostIp}:${port}: bind: address already in use`
        : `Bind for ${hostIp}:${port} failed: ${why}`;
      const err = new Error(`driver failed programming external connectivity on endpoint ${c.Name.replace(/^\//, '')} (${endpointId}): ${what}`);
      throw Object.assign(err, { statusCode: (e as { statusCode?: number }).statusCode ?? 500 });
    }
  }

  /** After an engine restart: the container still runs; its ports are opened again on their recorded host ports. */
  async republish(c: NetContainer): Promise<void> {
    const ports = c.NetState?.Ports ?? [];
    if (!ports.length) return;
    this.held.set(c.Id, await this.proxy.publish(c.Id, ports.map((p) => ({ ...p }))));
  }

  /** The container stopped or goes away: its ports close and it leaves every network (peers' hosts files follow). */
  async detach(id: string): Promise<void> {
    this.held.delete(id);
    await this.proxy.unpublish(id);
    await this.networks.releaseContainer(id);
  }

  /** `POST /networks/{id}/connect` for a running container. */
  async connectRunning(c: NetContainer, pid: number, name: string, cfg: ApiEndpointSettings | undefined): Promise<[string, EndpointSettings]> {
    const mode = networkModeOf(c.HostConfig);
    if (mode.kind !== 'network') throw new ContainerConflictError(`container sharing network namespace with another container or host cannot be connected to any other network`);
    return this.connectOne(c, name, pid, cfg);
  }

  portsForInspect(c: NetContainer, running: boolean): Record<string, Array<{ HostIp: string; HostPort: string }> | null> {
    return portsForInspect(running ? c.NetState?.Ports ?? [] : [], (c.Config.ExposedPorts ?? {}) as Record<string, unknown>);
  }
}
