// The engine's network service: Docker's network objects on Linux bridges.
//
//   create  → choose a subnet (host-wide lock) → bridge up with the gateway
//   connect → address from the IPAM → one tsc-net batch: veth pair with the
//             peer born in the container's netns as ethN, MAC, address,
//             default route → every peer's /etc/hosts rewritten
//   disconnect / container gone → delete the host end (the pair goes with
//             it) → address freed → peers' hosts rewritten
//   remove  → 409 while endpoints remain → bridge deleted
//
// State is one JSON file per network and per container under
// <root>/networks, written atomically; an endpoint is persisted `pending`
// before its kernel objects exist so that `reconcile` can undo a crash.

import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { settleWrites, writeFileAtomicAsync } from './atomic-file.js';
import {
  InvalidNetworkConfigError,
  NetworkConflictError,
  NetworkError,
  NetworkNotFoundError,
} from './errors.js';
import { withFileLock } from './file-lock.js';
import { detectFirewall, type Firewall } from './firewall.js';
import { rewriteHosts } from './hosts-store.js';
import { allocateAddress, allocateAddress6, chooseSubnet, chooseSubnet6, DEFAULT_POOLS, hostNetworks, hostNetworks6, prefixLength, releaseAddress, type AddressPool } from './ipam.js';
import { parseSubnet6 } from './ipv6.js';
import { bridgeName, firewallTableName, isValidNetworkName, macForIPv4, newId, vethName } from './names.js';
import { checkWord, TscNetNetlink, type Netlink, type NetObject } from './netlink.js';
import { resolvConfText, type DnsSettings } from './resolv-conf.js';
import type {
  ConnectRequest,
  EndpointSettings,
  NetworkCreateRequest,
  NetworkManagerOptions,
  NetworkRecord,
  StoredContainer,
  StoredEndpoint,
  StoredNetwork,
} from './types.js';

export const PREDEFINED = ['bridge', 'host', 'none'] as const;

function prefix6(n: StoredNetwork): number {
  return parseSubnet6(n.ipam6!.subnet)!.prefix;
}

const NETWORK_FILTERS = new Set(['driver', 'id', 'label', 'name', 'scope', 'type', 'dangling']);

function labelMatches(labels: Record<string, string>, filter: string): boolean {
  const eq = filter.indexOf('=');
  const [k, v] = eq < 0 ? [filter, undefined] : [filter.slice(0, eq), filter.slice(eq + 1)];
  return k in labels && (v === undefined || labels[k] === v);
}

/** `until`: a Unix timestamp, an RFC 3339 date, or a Go duration before now (`24h`, `1h30m`). */
export function parseUntil(text: string, now: Date): number {
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  const dur = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text);
  if (dur && text) return now.getTime() - ((Number(dur[1] ?? 0) * 60 + Number(dur[2] ?? 0)) * 60 + Number(dur[3] ?? 0)) * 1000;
  const t = Date.parse(text);
  if (Number.isNaN(t)) throw new InvalidNetworkConfigError(`invalid until filter "${text}": expected a timestamp, a date or a duration like 24h`);
  return t;
}

export class NetworkManager {
  readonly root: string;
  private readonly dir: string;
  private readonly pools: readonly AddressPool[];
  private readonly prefix: string;
  private readonly hostLock: string;
  private readonly warn: (m: string) => void;
  private readonly now: () => Date;
  private readonly hostResolv: () => string;
  private readonly ipv6Available: () => boolean;
  private readonly networks = new Map<string, StoredNetwork>();
  private readonly containers = new Map<string, StoredContainer>();
  private firewall: Firewall | null;
  private defaultMtu: number | undefined;
  private seq = 0;
  private loaded = false;

  constructor(opts: NetworkManagerOptions, private readonly netlink: Netlink = new TscNetNetlink(), firewall?: Firewall | null) {
    this.root = opts.root;
    this.dir = join(opts.root, 'networks');
    this.pools = opts.pools ?? DEFAULT_POOLS;
    this.prefix = opts.linkPrefix ?? 'tsc';
    if (!/^[a-z][a-z0-9]{0,7}$/.test(this.prefix)) throw new NetworkError(`link prefix "${this.prefix}" must be 1-8 lowercase letters or digits, starting with a letter`);
    this.hostLock = opts.hostLockPath ?? '/run/tscompose/ipam.lock';
    this.warn = opts.warn ?? ((m) => process.emitWarning(m));
    this.now = opts.now ?? (() => new Date());
    this.hostResolv = opts.hostResolvConf ?? (() => {
      try {
        return readFileSync('/etc/resolv.conf', 'utf8');
      } catch {
        return '';
      }
    });
    this.defaultMtu = opts.mtu;
    this.ipv6Available = opts.ipv6Available ?? (() => {
      try {
        return readFileSync('/proc/sys/net/ipv6/conf/all/disable_ipv6', 'utf8').trim() === '0';
      } catch {
        return false;
      }
    });
    if (firewall !== undefined) this.firewall = firewall;
    else this.firewall = detectFirewall(firewallTableName(opts.root), `${this.prefix}b*`);
    this.predefined = opts.predefined ?? true;
  }

  private readonly predefined: boolean;
  private lockPath(): string {
    return join(this.dir, '.lock');
  }

  /** Serializes every change: in-process calls queue, other processes wait on the file. */
  private locked<T>(fn: () => Promise<T>): Promise<T> {
    return withFileLock(this.lockPath(), fn);
  }

  // ---------------------------------------------------------------- state

  private netFile(id: string): string {
    return join(this.dir, `${id}.json`);
  }

  private containerFile(id: string): string {
    return join(this.dir, 'containers', `${id}.json`);
  }

  /** Resolves once the record is on disk (writes of one file land in call order). */
  private saveNetwork(n: StoredNetwork): Promise<void> {
    return writeFileAtomicAsync(this.netFile(n.id), JSON.stringify(n, null, 2) + '\n');
  }

  /** Network records whose write is queued and not started yet, by file. */
  private readonly queuedSaves = new Map<string, Promise<void>>();

  /**
   * The network's record written after the writes of it in flight, its
   * content taken when its write starts: a call while one is queued joins
   * it. For endpoints leaving: awaited after the lock is released, so that
   * 50 containers going at once cost a few fsyncs of the record instead of
   * one each, one after the other under the lock (bench/compose.ts `down`).
   */
  private saveNetworkSoon(n: StoredNetwork): Promise<void> {
    const file = this.netFile(n.id);
    const queued = this.queuedSaves.get(file);
    if (queued) return queued;
    const p = settleWrites(file).then(() => {
      this.queuedSaves.delete(file);
      // Removed meanwhile (its file is gone or going): nothing to write.
      if (this.networks.get(n.id) !== n) return;
      return this.saveNetwork(n);
    });
    this.queuedSaves.set(file, p);
    return p;
  }

  private saveContainer(c: StoredContainer): Promise<void> {
    return writeFileAtomicAsync(this.containerFile(c.containerId), JSON.stringify(c, null, 2) + '\n');
  }

  /** A record file goes after the writes still landing on it. */
  private async removeFile(path: string): Promise<void> {
    await this.queuedSaves.get(path);
    await settleWrites(path);
    rmSync(path, { force: true });
  }

  /** Reads the records from disk and creates the predefined networks. Call once at engine start. */
  async load(): Promise<void> {
    mkdirSync(join(this.dir, 'containers'), { recursive: true });
    await this.locked(async () => {
      this.networks.clear();
      this.containers.clear();
      for (const f of readdirSync(this.dir)) {
        if (!/^[0-9a-f]{64}\.json$/.test(f)) continue;
        try {
          const n = JSON.parse(readFileSync(join(this.dir, f), 'utf8')) as StoredNetwork;
          this.networks.set(n.id, n);
          for (const e of Object.values(n.endpoints)) this.seq = Math.max(this.seq, e.seq);
        } catch (e) {
          this.warn(`network record ${join(this.dir, f)} is unreadable and was skipped: ${(e as Error).message}`);
        }
      }
      for (const f of readdirSync(join(this.dir, 'containers'))) {
        if (!f.endsWith('.json')) continue;
        try {
          const c = JSON.parse(readFileSync(join(this.dir, 'containers', f), 'utf8')) as StoredContainer;
          this.containers.set(c.containerId, c);
        } catch {
          /* rebuilt on the next connect */
        }
      }
    });
    this.loaded = true;
    if (this.predefined) await this.createPredefined();
  }

  private async createPredefined(): Promise<void> {
    const names = new Set([...this.networks.values()].map((n) => n.name));
    if (!names.has('bridge')) await this.createInternal({ Name: 'bridge', Driver: 'bridge' }, true);
    if (!names.has('host')) await this.createInternal({ Name: 'host', Driver: 'host' }, true);
    if (!names.has('none')) await this.createInternal({ Name: 'none', Driver: 'null' }, true);
  }

  private ensureLoaded(): void {
    if (!this.loaded) throw new NetworkError('NetworkManager.load() must be called before use');
  }

  // ---------------------------------------------------------------- lookup

  /** By full id, then full name, then unique id prefix (Docker's order). */
  find(ref: string): StoredNetwork | undefined {
    const byId = this.networks.get(ref);
    if (byId) return byId;
    for (const n of this.networks.values()) if (n.name === ref) return n;
    const matches = [...this.networks.values()].filter((n) => n.id.startsWith(ref));
    if (matches.length > 1) throw new NetworkConflictError(`network ${ref} is ambiguous (${matches.length} matches found)`);
    return matches[0];
  }

  private get(ref: string): StoredNetwork {
    this.ensureLoaded();
    const n = this.find(ref);
    if (!n) throw new NetworkNotFoundError(ref);
    return n;
  }

  // ---------------------------------------------------------------- create / remove

  async create(req: NetworkCreateRequest): Promise<NetworkRecord> {
    this.ensureLoaded();
    return this.toRecord(await this.createInternal(req, false));
  }

  private async createInternal(req: NetworkCreateRequest, predefined: boolean): Promise<StoredNetwork> {
    const name = req.Name;
    if (!name || !isValidNetworkName(name)) throw new InvalidNetworkConfigError(`invalid network name "${name ?? ''}": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
    const driver = req.Driver || 'bridge';
    if (!predefined && (driver === 'host' || driver === 'null'))
      throw new NetworkConflictError(`only one instance of "${driver}" network is allowed`);
    if (driver !== 'bridge' && driver !== 'host' && driver !== 'null')
      throw new InvalidNetworkConfigError(`network driver "${driver}" is not supported: use bridge (the default)`);
    if (req.IPAM?.Driver && req.IPAM.Driver !== 'default') throw new InvalidNetworkConfigError(`IPAM driver "${req.IPAM.Driver}" is not supported: use default`);
    const configs = req.IPAM?.Config ?? [];
    const v4 = configs.filter((c) => !c.Subnet || !c.Subnet.includes(':'));
    const v6 = configs.filter((c) => c.Subnet?.includes(':'));
    if (v4.length > 1) throw new InvalidNetworkConfigError('only one IPv4 IPAM config per network is supported');
    if (v6.length > 1) throw new InvalidNetworkConfigError('only one IPv6 IPAM config per network is supported');
    if (v6.length > 0 && !req.EnableIPv6) throw new InvalidNetworkConfigError(`network ${name}: an IPv6 subnet needs enable_ipv6: true`);
    let withIPv6 = !!req.EnableIPv6 && driver === 'bridge';
    if (withIPv6 && !this.ipv6Available()) {
      this.warn(`network ${name}: enable_ipv6 is ignored: IPv6 is disabled on this host (net.ipv6.conf.all.disable_ipv6)`);
      withIPv6 = false;
    }
    const mtuOpt = req.Options?.['com.docker.network.driver.mtu'];
    const mtu = mtuOpt ? Number(mtuOpt) : await this.hostMtu();
    if (!Number.isInteger(mtu) || mtu < 68 || mtu > 65535) throw new InvalidNetworkConfigError(`invalid mtu ${mtuOpt}: expected a number from 68 to 65535`);

    return this.locked(async () => {
      if ([...this.networks.values()].some((n) => n.name === name)) throw new NetworkConflictError(`network with name ${name} already exists`);
      const id = newId();
      const net: StoredNetwork = {
        id,
        name,
        created: this.now().toISOString(),
        driver: driver as StoredNetwork['driver'],
        internal: !!req.Internal,
        attachable: !!req.Attachable,
        enableIPv6: withIPv6,
        labels: { ...(req.Labels ?? {}) },
        options: { ...(req.Options ?? {}) },
        ipamOptions: { ...(req.IPAM?.Options ?? {}) },
        ipam: null,
        bridge: driver === 'bridge' ? bridgeName(this.prefix, id) : null,
        mtu,
        predefined,
        endpoints: {},
      };
      if (driver === 'bridge') {
        // The subnet is chosen and the bridge (whose route then shows it to
        // everyone) created under the host-wide lock: two engines never pick
        // the same subnet.
        await withFileLock(this.hostLock, async () => {
          const objects = await this.netlink.run(['addrs', 'routes']);
          const taken = [...this.networks.values()].flatMap((n) => (n.ipam ? [n.ipam.subnet] : []));
          net.ipam = chooseSubnet(v4[0] ?? {}, this.pools, taken, hostNetworks(objects));
          if (withIPv6) {
            const taken6 = [...this.networks.values()].flatMap((n) => (n.ipam6 ? [n.ipam6.subnet] : []));
            net.ipam6 = chooseSubnet6(v6[0], id, taken6, hostNetworks6(objects));
          }
          await this.saveNetwork(net);
          try {
            await this.netlink.run(this.bridgeSteps(net));
          } catch (e) {
            await this.removeFile(this.netFile(id));
            await this.netlink.run([`del ${net.bridge} missing-ok`]).catch(() => undefined);
            throw e;
          }
        });
      } else await this.saveNetwork(net);
      this.networks.set(id, net);
      if (net.driver === 'bridge') await this.applyFirewall();
      return net;
    });
  }

  private bridgeSteps(net: StoredNetwork): string[] {
    const br = net.bridge!;
    return [
      `bridge ${br} mtu ${net.mtu} may-exist`,
      // A bridge whose MAC the kernel chose takes the lowest MAC of its ports, so it changes as
      // containers join and leave and their ARP entries for the gateway go stale (lost replies for
      // seconds). A MAC we set stays: derived from the gateway address, as a container's is from its own.
      `mac ${br} ${macForIPv4(net.ipam!.gateway)}`,
      `addr ${br} ${net.ipam!.gateway}/${prefixLength(net.ipam!)} may-exist`,
      ...(net.ipam6 ? [`addr ${br} ${net.ipam6.gateway}/${prefix6(net)} may-exist nodad`] : []),
      `up ${br}`,
    ];
  }

  /** The MTU of the host's default-route link (at most 1500), so containers
   * do not send packets the uplink drops (this VM's eth0 has 1400). */
  private async hostMtu(): Promise<number> {
    if (this.defaultMtu) return this.defaultMtu;
    let mtu = 1500;
    try {
      const objs = await this.netlink.run(['links', 'routes']);
      const dflt = objs.find((o) => o.type === 'route' && o.family === 4 && o.prefixlen === 0 && o.table === 254);
      const link = dflt?.type === 'route' ? objs.find((o) => o.type === 'link' && o.name === dflt.ifname) : undefined;
      if (link?.type === 'link' && link.mtu) mtu = Math.min(1500, link.mtu);
    } catch {
      /* keep 1500 */
    }
    this.defaultMtu = mtu;
    return mtu;
  }

  /** `forward`: switch IP forwarding on (not after a removal: what is left had it on; saves a helper process per `down`). */
  private async applyFirewall(forward = true): Promise<void> {
    if (!this.firewall) return;
    const bridges = [...this.networks.values()].filter((n) => n.driver === 'bridge' && n.ipam && n.bridge);
    try {
      if (bridges.length === 0) await this.firewall.clear();
      else {
        await this.firewall.apply(bridges.map((n) => ({ bridge: n.bridge!, subnet: n.ipam!.subnet, ...(n.ipam6 ? { subnet6: n.ipam6.subnet } : {}), internal: n.internal })));
        if (forward && bridges.some((n) => !n.internal)) await this.netlink.run(['sysctl net.ipv4.ip_forward 1']);
      }
    } catch (e) {
      this.warn(`outbound NAT and network isolation could not be set up with ${this.firewall.kind}: ${(e as Error).message}`);
    }
  }

  /** Whether containers get outbound NAT; the engine shows the warning once at start. */
  natStatus(): { enabled: boolean; warning?: string } {
    if (this.firewall) return { enabled: true };
    return { enabled: false, warning: 'neither nftables (nft) nor iptables is installed: containers cannot reach outside the host, and networks are kept apart only because IP forwarding stays off; install the nftables package' };
  }

  async remove(ref: string): Promise<void> {
    const net = this.get(ref);
    if (net.predefined) throw new NetworkConflictError(`${net.name} is a pre-defined network and cannot be removed`);
    await this.locked(async () => {
      const live = Object.values(net.endpoints);
      if (live.length > 0)
        throw new NetworkConflictError(`error while removing network: network ${net.name} id ${net.id} has active endpoints (${live.map((e) => e.containerName).join(', ')})`);
      if (net.bridge) await this.netlink.run([`del ${net.bridge} missing-ok`]);
      await this.removeFile(this.netFile(net.id));
      this.networks.delete(net.id);
      if (net.driver === 'bridge') await this.applyFirewall(false);
    });
  }

  /** Removes unused user networks; returns their names (Docker's NetworksDeleted).
   * Filters: `label`, `label!` (key or key=value), `until` (timestamp or Go duration). */
  async prune(filters: Record<string, string[]> = {}): Promise<string[]> {
    const { until, 'label!': notLabel, ...rest } = filters;
    for (const k of Object.keys(rest)) if (k !== 'label') throw new InvalidNetworkConfigError(`invalid filter '${k}'`);
    const cutoff = until?.length ? parseUntil(until[0]!, this.now()) : undefined;
    const gone: string[] = [];
    for (const n of this.list(rest)) {
      const s = this.networks.get(n.Id)!;
      if (s.predefined || Object.keys(s.endpoints).length > 0) continue;
      if (cutoff !== undefined && Date.parse(s.created) >= cutoff) continue;
      if (notLabel?.some((l) => labelMatches(s.labels, l))) continue;
      await this.remove(s.id);
      gone.push(s.name);
    }
    return gone;
  }

  // ---------------------------------------------------------------- inspect / list

  inspect(ref: string): NetworkRecord {
    return this.toRecord(this.get(ref));
  }

  list(filters: Record<string, string[]> = {}): NetworkRecord[] {
    this.ensureLoaded();
    for (const k of Object.keys(filters)) if (!NETWORK_FILTERS.has(k)) throw new InvalidNetworkConfigError(`invalid filter '${k}'`);
    const match = (n: StoredNetwork): boolean => {
      const f = filters;
      if (f.driver?.length && !f.driver.includes(n.driver)) return false;
      if (f.id?.length && !f.id.some((p) => n.id.startsWith(p))) return false;
      if (f.name?.length && !f.name.some((p) => n.name.includes(p))) return false;
      if (f.scope?.length && !f.scope.includes('local')) return false;
      if (f.type?.length && !f.type.includes(n.predefined ? 'builtin' : 'custom')) return false;
      if (f.dangling?.length) {
        const want = f.dangling[0] === 'true' || f.dangling[0] === '1';
        if (want !== (Object.keys(n.endpoints).length === 0 && !n.predefined)) return false;
      }
      if (f.label?.length && !f.label.every((l) => labelMatches(n.labels, l))) return false;
      return true;
    };
    return [...this.networks.values()].filter(match).sort((a, b) => a.created.localeCompare(b.created)).map((n) => this.toRecord(n));
  }

  private toRecord(n: StoredNetwork): NetworkRecord {
    const containers: NetworkRecord['Containers'] = {};
    for (const e of Object.values(n.endpoints)) {
      if (e.state !== 'ready') continue;
      containers[e.containerId] = {
        Name: e.containerName,
        EndpointID: e.endpointId,
        MacAddress: e.mac,
        IPv4Address: e.ip ? `${e.ip}/${prefixLength(n.ipam!)}` : '',
        IPv6Address: e.ip6 ? `${e.ip6}/${prefix6(n)}` : '',
      };
    }
    return {
      Name: n.name,
      Id: n.id,
      Created: n.created,
      Scope: 'local',
      Driver: n.driver,
      EnableIPv6: n.enableIPv6,
      IPAM: {
        Driver: 'default',
        Options: Object.keys(n.ipamOptions).length ? { ...n.ipamOptions } : null,
        Config: [
          ...(n.ipam ? [{ Subnet: n.ipam.subnet, Gateway: n.ipam.gateway, ...(n.ipam.ipRange ? { IPRange: n.ipam.ipRange } : {}) }] : []),
          ...(n.ipam6 ? [{ Subnet: n.ipam6.subnet, Gateway: n.ipam6.gateway }] : []),
        ],
      },
      Internal: n.internal,
      Attachable: n.attachable,
      Ingress: false,
      ConfigFrom: { Network: '' },
      ConfigOnly: false,
      Containers: containers,
      Options: { ...n.options },
      Labels: { ...n.labels },
    };
  }

  // ---------------------------------------------------------------- connect / disconnect

  /**
   * Attaches a container (its netns) to a network and rewrites the hosts file
   * of every container that shares a network with it. For `host` nothing is
   * done; for `none` the loopback is brought up.
   */
  async connect(ref: string, reqIn: ConnectRequest): Promise<EndpointSettings> {
    const net = this.get(ref);
    // Docker's API names containers with a leading slash; hosts files do not.
    const req = { ...reqIn, containerName: reqIn.containerName.replace(/^\//, '') };
    checkWord(req.netnsPath, 'network namespace path');
    if (!/^[0-9a-f]{12,64}$/.test(req.containerId)) throw new InvalidNetworkConfigError(`container id "${req.containerId}" is not 12 to 64 hex digits`);
    for (const a of req.aliases ?? []) if (!a || /\s/.test(a)) throw new InvalidNetworkConfigError(`network alias "${a}" is empty or holds blanks`);
    return this.locked(async () => {
      if (net.endpoints[req.containerId]) throw new NetworkConflictError(`endpoint with name ${req.containerName} already exists in network ${net.name}`);
      const c = await this.rememberContainer(req);
      const endpointId = newId();
      if (net.driver !== 'bridge') {
        if (net.driver === 'null') await this.netlink.run([`netns ${req.netnsPath}`, 'up lo', 'netns host']);
        const ep: StoredEndpoint = { endpointId, containerId: req.containerId, containerName: req.containerName, aliases: [], ip: '', mac: '', veth: '', ifname: '', state: 'ready', seq: ++this.seq };
        net.endpoints[req.containerId] = ep;
        await this.saveNetwork(net);
        return this.endpointSettings(net, ep, req);
      }
      const ipam = net.ipam!;
      if (req.ipv6Address && !net.ipam6) throw new InvalidNetworkConfigError(`network ${net.name} has no IPv6: ipv6_address needs enable_ipv6 on the network`);
      const ip = allocateAddress(ipam, endpointId, req.ipv4Address);
      let ip6: string | undefined;
      try {
        if (net.ipam6) ip6 = allocateAddress6(net.ipam6, endpointId, req.ipv6Address);
      } catch (e) {
        releaseAddress(ipam, endpointId);
        throw e;
      }
      // The lowest free ethN: names of the container's other endpoints are taken.
      const used = new Set([...this.networks.values()].map((n) => n.endpoints[req.containerId]?.ifname).filter(Boolean));
      let k = 0;
      while (used.has(`eth${k}`)) k++;
      const ifname = `eth${k}`;
      const ep: StoredEndpoint = {
        endpointId,
        containerId: req.containerId,
        containerName: req.containerName,
        ...(c.serviceName ? { serviceName: c.serviceName } : {}),
        aliases: [...new Set(req.aliases ?? [])],
        ip,
        ...(req.ipv4Address ? { requestedIp: req.ipv4Address } : {}),
        ...(ip6 ? { ip6 } : {}),
        ...(req.ipv6Address ? { requestedIp6: req.ipv6Address } : {}),
        mac: macForIPv4(ip),
        veth: vethName(this.prefix, endpointId),
        ifname,
        state: 'pending',
        seq: ++this.seq,
      };
      net.endpoints[req.containerId] = ep;
      await this.saveNetwork(net);
      // The first network with a gateway gives the default route.
      const hasRoute = [...this.networks.values()].some(
        (n) => n.id !== net.id && n.driver === 'bridge' && !n.internal && n.endpoints[req.containerId]?.state === 'ready',
      );
      try {
        await this.netlink.run(this.endpointSteps(net, ep, req.netnsPath, !net.internal && !hasRoute));
      } catch (e) {
        await this.netlink.run([`del ${ep.veth} missing-ok`]).catch(() => undefined);
        releaseAddress(ipam, endpointId);
        if (net.ipam6) releaseAddress(net.ipam6, endpointId);
        delete net.endpoints[req.containerId];
        await this.saveNetwork(net);
        throw e;
      }
      ep.state = 'ready';
      await this.saveNetwork(net);
      this.rewritePeersOf(req.containerId, [net]);
      return this.endpointSettings(net, ep, req);
    });
  }

  private endpointSteps(net: StoredNetwork, ep: StoredEndpoint, netns: string, defaultRoute: boolean): string[] {
    const plen = prefixLength(net.ipam!);
    return [
      // The bridge again, idempotent and nearly free in the same batch: a
      // host rebooted under a running engine (or a bridge someone deleted)
      // heals on the next connect.
      ...this.bridgeSteps(net),
      `veth ${ep.veth} ${ep.ifname} netns ${netns} mtu ${net.mtu}`,
      `master ${ep.veth} ${net.bridge}`,
      `up ${ep.veth}`,
      `netns ${netns}`,
      'up lo',
      `mac ${ep.ifname} ${ep.mac}`,
      `addr ${ep.ifname} ${ep.ip}/${plen}`,
      ...(ep.ip6 ? [`addr ${ep.ifname} ${ep.ip6}/${prefix6(net)} nodad`] : []),
      `up ${ep.ifname}`,
      ...(defaultRoute ? [`route default via ${net.ipam!.gateway}`] : []),
      ...(defaultRoute && ep.ip6 ? [`route default via ${net.ipam6!.gateway}`] : []),
      'netns host',
    ];
  }

  /** Keeps what the container's hosts file is made from; written only when it changed. */
  private async rememberContainer(req: ConnectRequest): Promise<StoredContainer> {
    const prev = this.containers.get(req.containerId);
    const serviceName = req.serviceName ?? prev?.serviceName;
    const c: StoredContainer = {
      containerId: req.containerId,
      containerName: req.containerName,
      ...(serviceName ? { serviceName } : {}),
      links: req.links ?? prev?.links ?? [],
      hosts: req.hosts ?? prev?.hosts ?? {},
    };
    this.containers.set(c.containerId, c);
    if (JSON.stringify(c) !== JSON.stringify(prev)) await this.saveContainer(c);
    return c;
  }

  private endpointSettings(net: StoredNetwork, ep: StoredEndpoint, req?: Pick<ConnectRequest, 'links'>): EndpointSettings {
    return {
      IPAMConfig:
        ep.requestedIp || ep.requestedIp6
          ? { ...(ep.requestedIp ? { IPv4Address: ep.requestedIp } : {}), ...(ep.requestedIp6 ? { IPv6Address: ep.requestedIp6 } : {}) }
          : null,
      Links: req?.links?.length ? req.links.map((l) => `${l.target}:${l.alias}`) : null,
      Aliases: ep.aliases.length ? [...ep.aliases] : null,
      NetworkID: net.id,
      EndpointID: ep.endpointId,
      Gateway: net.ipam && ep.ip ? net.ipam.gateway : '',
      IPAddress: ep.ip,
      IPPrefixLen: net.ipam && ep.ip ? prefixLength(net.ipam) : 0,
      IPv6Gateway: net.ipam6 && ep.ip6 ? net.ipam6.gateway : '',
      GlobalIPv6Address: ep.ip6 ?? '',
      GlobalIPv6PrefixLen: ep.ip6 ? prefix6(net) : 0,
      MacAddress: ep.mac,
      DriverOpts: null,
    };
  }

  /** The endpoint of a container on a network, as container inspect shows it. */
  endpointOf(ref: string, containerId: string): EndpointSettings | undefined {
    const net = this.get(ref);
    const ep = net.endpoints[containerId];
    return ep && ep.state === 'ready' ? this.endpointSettings(net, ep) : undefined;
  }

  /** Every network of a container by name, for NetworkSettings.Networks. */
  endpointsOf(containerId: string): Record<string, EndpointSettings> {
    const out: Record<string, EndpointSettings> = {};
    for (const n of this.networks.values()) {
      const ep = n.endpoints[containerId];
      if (ep?.state === 'ready') out[n.name] = this.endpointSettings(n, ep);
    }
    return out;
  }

  async disconnect(ref: string, containerId: string, force = false): Promise<void> {
    const net = this.get(ref);
    // In an array: an async function returning the promise itself would wait for it under the lock.
    const saved = await this.locked(async () => {
      const ep = net.endpoints[containerId];
      if (!ep) {
        if (force) return [];
        throw new NetworkNotFoundError(`container ${containerId} is not connected to network ${net.name}`);
      }
      const { saved: save } = await this.dropEndpoint(net, ep);
      return [save, this.rewritePeersSoon(containerId, [net])];
    });
    await Promise.all(saved);
  }

  /** The container is gone (or stopped: its netns went with it): leaves every network. */
  async releaseContainer(containerId: string): Promise<void> {
    this.ensureLoaded();
    const saved = await this.locked(async () => {
      const nets = [...this.networks.values()].filter((n) => n.endpoints[containerId]);
      const saves: Promise<void>[] = [];
      for (const n of nets) saves.push((await this.dropEndpoint(n, n.endpoints[containerId]!)).saved);
      // Forgotten first: its own file is going away with it.
      this.containers.delete(containerId);
      await this.removeFile(this.containerFile(containerId));
      return [...saves, this.rewritePeersSoon(containerId, nets)];
    });
    await Promise.all(saved);
  }

  /** `saved`: the write of the network's record, to await once the lock is released (wrapped: an async function would wait for a promise it returns). */
  private async dropEndpoint(net: StoredNetwork, ep: StoredEndpoint): Promise<{ saved: Promise<void> }> {
    // The host end may be gone already (the netns died and took the pair): no helper to run then.
    if (ep.veth && this.netlink.linkExists?.(ep.veth) !== false) await this.netlink.run([`del ${ep.veth} missing-ok`]);
    if (net.ipam) releaseAddress(net.ipam, ep.endpointId);
    if (net.ipam6) releaseAddress(net.ipam6, ep.endpointId);
    delete net.endpoints[ep.containerId];
    const saved = this.saveNetworkSoon(net);
    // Awaited by the caller; a failure here must not be an unhandled rejection meanwhile.
    saved.catch(() => undefined);
    return { saved };
  }

  /** Rewrites the hosts file of `containerId` and of every container that
   * shares (or shared, `also`) a network with it. */
  private rewritePeersOf(containerId: string, also: readonly StoredNetwork[]): void {
    const affected = new Set<string>([containerId]);
    const nets = [...this.networks.values()];
    for (const n of [...nets.filter((n) => n.endpoints[containerId]), ...also]) for (const id of Object.keys(n.endpoints)) affected.add(id);
    for (const id of affected) {
      if (!this.containers.has(id)) continue;
      try {
        rewriteHosts(id, nets, this.containers);
      } catch (e) {
        this.warn(`hosts file of container ${id.slice(0, 12)} could not be rewritten: ${(e as Error).message}`);
      }
    }
  }

  /** Containers whose hosts file the next batched rewrite writes. */
  private readonly hostsDirty = new Set<string>();
  private hostsBatch: Promise<void> | undefined;

  /**
   * rewritePeersOf for a container leaving: the files are rewritten by one
   * task queued on the lock behind the leaves queued already, each file once
   * from the state then, without the peers gone meanwhile. A whole project
   * going down (50 containers) rewrote every remaining peer's file on each
   * leave: 50 × 50 writes. Resolves once the files are written; the caller
   * awaits it after releasing the lock, before its API call answers.
   */
  private rewritePeersSoon(containerId: string, also: readonly StoredNetwork[]): Promise<void> {
    for (const n of [...this.networks.values()].filter((n) => n.endpoints[containerId]).concat(also)) {
      for (const id of Object.keys(n.endpoints)) this.hostsDirty.add(id);
    }
    this.hostsDirty.add(containerId);
    this.hostsBatch ??= this.locked(async () => {
      this.hostsBatch = undefined;
      const ids = [...this.hostsDirty];
      this.hostsDirty.clear();
      const nets = [...this.networks.values()];
      for (const id of ids) {
        if (!this.containers.has(id)) continue;
        try {
          rewriteHosts(id, nets, this.containers);
        } catch (e) {
          this.warn(`hosts file of container ${id.slice(0, 12)} could not be rewritten: ${(e as Error).message}`);
        }
      }
    });
    return this.hostsBatch;
  }

  /** Writes a container's hosts file now (e.g. right after it is created, before any connect). */
  async writeHosts(containerId: string): Promise<void> {
    await this.locked(async () => {
      rewriteHosts(containerId, [...this.networks.values()], this.containers);
    });
  }

  /** Rewrites the hosts file of every container on a network (after an
   * engine restart, or to measure); returns how many were written. */
  async refreshHosts(ref: string): Promise<number> {
    const net = this.get(ref);
    return this.locked(async () => {
      const nets = [...this.networks.values()];
      let n = 0;
      for (const id of Object.keys(net.endpoints)) if (this.containers.has(id) && rewriteHosts(id, nets, this.containers)) n++;
      return n;
    });
  }

  /** The text of a container's resolv.conf (host's without loopback resolvers). */
  resolvConf(settings: DnsSettings = {}): string {
    return resolvConfText(this.hostResolv(), settings);
  }

  // ---------------------------------------------------------------- recovery

  /**
   * After an engine restart: endpoints of containers that are not running
   * any more (or were left `pending` by a crash) are removed with their
   * veth; bridges missing after a reboot are created again; the firewall
   * table is rewritten.
   */
  async reconcile(runningContainerIds: ReadonlySet<string>): Promise<{ removedEndpoints: number }> {
    this.ensureLoaded();
    let removed = 0;
    await this.locked(async () => {
      const links = new Set((await this.netlink.run(['links'])).flatMap((o: NetObject) => (o.type === 'link' ? [o.name] : [])));
      const touched = new Set<string>();
      for (const net of this.networks.values()) {
        if (net.bridge && net.ipam && !links.has(net.bridge)) await this.netlink.run(this.bridgeSteps(net));
        for (const ep of Object.values(net.endpoints)) {
          const alive = runningContainerIds.has(ep.containerId) && ep.state === 'ready' && (!ep.veth || links.has(ep.veth));
          if (alive) continue;
          await (await this.dropEndpoint(net, ep)).saved;
          touched.add(ep.containerId);
          removed++;
        }
      }
      for (const id of touched) this.rewritePeersOf(id, [...this.networks.values()]);
      for (const id of [...this.containers.keys()])
        if (!runningContainerIds.has(id) && ![...this.networks.values()].some((n) => n.endpoints[id])) {
          this.containers.delete(id);
          await this.removeFile(this.containerFile(id));
        }
    });
    await this.applyFirewall();
    return { removedEndpoints: removed };
  }

  /** Deletes every kernel object and record of this manager (tests, uninstall). */
  async destroyAll(): Promise<void> {
    await this.locked(async () => {
      const steps: string[] = [];
      for (const n of this.networks.values()) {
        for (const ep of Object.values(n.endpoints)) if (ep.veth) steps.push(`del ${ep.veth} missing-ok`);
        if (n.bridge) steps.push(`del ${n.bridge} missing-ok`);
      }
      if (steps.length) await this.netlink.run(steps);
      this.networks.clear();
      this.containers.clear();
      if (existsSync(this.dir)) rmSync(this.dir, { recursive: true, force: true });
      if (this.firewall) await this.firewall.clear().catch(() => undefined);
    });
  }
}
