// What the engine keeps about one container, on disk as
// <root>/containers/<id>/container.json (written atomically), and how it is
// shown through the API (inspect, list).

import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { settleWrites, writeFileAtomicAsync } from '../networks/atomic-file.js';
import type { ContainerConfig, ContainerInspect, ContainerState, ContainerSummary, EndpointSettings, HostConfig, MountPoint } from '../client/types.js';
import type { ContainerNetState, ContainerNetworking } from './container-network.js';
import { parseBind } from './oci-spec.js';
import type { RecordMounts } from './container-volumes-wiring.js';

export const ZERO_TIME = '0001-01-01T00:00:00Z';

export interface ContainerRecord extends RecordMounts {
  Id: string;
  /** With the leading slash, as Docker stores it. */
  Name: string;
  Created: string;
  Path: string;
  Args: string[];
  Config: ContainerConfig;
  HostConfig: HostConfig;
  /** Image id (`sha256:…`). */
  Image: string;
  State: ContainerState;
  RestartCount: number;
  /** The OCI runtime name this container was started with (`tscrun`, `runc`, `crun`). */
  Runtime: string;
  MonitorPid: number;
  /** How many times it has been started (a start id for exit files). */
  StartCount: number;
  /** The monitor's attach socket while it runs (native monitor only): output frames out, stdin in. */
  AttachSocket?: string;
  /** Stopped or killed through the API (restart policies then leave it alone). */
  ManuallyStopped?: boolean;
  /** The current restart back-off in ms (0: none yet). */
  RestartDelayMs?: number;
  LogPath: string;
  HostnamePath: string;
  HostsPath: string;
  ResolvConfPath: string;
  /** NetworkingConfig.EndpointsConfig of the create request (plus later connects): the networks besides NetworkMode. */
  NetworkingConfig?: { EndpointsConfig?: Record<string, EndpointSettings> };
  /** See NetContainer.PrimaryDetached. */
  PrimaryDetached?: boolean;
  /** While it runs: its endpoints and published ports (host ports kept for the next engine). */
  NetState?: ContainerNetState;
}

export function newState(): ContainerState {
  return {
    Status: 'created', Running: false, Paused: false, Restarting: false, OOMKilled: false, Dead: false,
    Pid: 0, ExitCode: 0, Error: '', StartedAt: ZERO_TIME, FinishedAt: ZERO_TIME,
  };
}

/** Atomic write: temp file, fsync, rename — a crash leaves the old or the new record, never half of one. */
export function writeJsonAtomic(path: string, value: unknown): void {
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, JSON.stringify(value, null, 1) + '\n');
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

/** writeJsonAtomic off the main thread, in order per path (writeFileAtomicAsync); a removed container's folder stays removed. */
export function writeJsonAtomicAsync(path: string, value: unknown): Promise<void> {
  return writeFileAtomicAsync(path, JSON.stringify(value, null, 1) + '\n', 0o600, false);
}

export { settleWrites };

export function recordPath(containerDir: string): string { return join(containerDir, 'container.json'); }

export function readRecord(containerDir: string): ContainerRecord {
  return JSON.parse(readFileSync(recordPath(containerDir), 'utf8')) as ContainerRecord;
}

export function mountPointsOf(r: ContainerRecord): MountPoint[] {
  // Planned at create (engines with volumes): the plan is what is mounted.
  if (r.MountPoints) return r.MountPoints.map((m) => ({ ...m }));
  const out: MountPoint[] = [];
  for (const spec of r.HostConfig.Binds ?? []) {
    try {
      const b = parseBind(spec);
      out.push({
        Type: b.isVolume ? 'volume' : 'bind', ...(b.isVolume ? { Name: b.source, Driver: 'local' } : {}),
        Source: b.isVolume ? '' : b.source, Destination: b.destination, Mode: spec.split(':')[2] ?? '', RW: !b.readOnly,
        Propagation: b.isVolume ? '' : b.propagation ?? 'rprivate',
      });
    } catch { /* validated at create */ }
  }
  for (const m of r.HostConfig.Mounts ?? []) {
    out.push({
      Type: m.Type, ...(m.Type === 'volume' ? { Name: m.Source ?? '', Driver: 'local' } : {}), Source: m.Type === 'bind' ? m.Source ?? '' : '',
      Destination: m.Target, Mode: '', RW: !m.ReadOnly, Propagation: m.Type === 'bind' ? m.BindOptions?.Propagation || 'rprivate' : '',
    });
  }
  return out;
}

function portsMap(r: ContainerRecord, net?: ContainerNetworking): Record<string, { HostIp: string; HostPort: string }[] | null> {
  if (net) return net.portsForInspect(r, r.State.Running);
  const ports: Record<string, { HostIp: string; HostPort: string }[] | null> = {};
  for (const p of Object.keys(r.Config.ExposedPorts ?? {})) ports[p] = null;
  if (r.State.Running) {
    for (const [p, binds] of Object.entries(r.HostConfig.PortBindings ?? {})) {
      ports[p] = (binds ?? []).map((b) => ({ HostIp: b.HostIp || '0.0.0.0', HostPort: b.HostPort ?? '' }));
    }
  }
  return ports;
}

/** NetworkSettings.Networks: live endpoints while running; the configured networks, blank, when not. */
function networksOf(r: ContainerRecord, net?: ContainerNetworking): Record<string, EndpointSettings> {
  if (r.State.Running && r.NetState) return r.NetState.Networks as unknown as Record<string, EndpointSettings>;
  const out: Record<string, EndpointSettings> = {};
  if (!net) return out;
  for (const name of net.networksOf(r)) {
    const n = net.networks.find(name);
    const cfg = r.NetworkingConfig?.EndpointsConfig?.[name];
    out[n?.name ?? name] = {
      IPAMConfig: cfg?.IPAMConfig ?? null, Links: null, Aliases: cfg?.Aliases ?? null, NetworkID: n?.id ?? '', EndpointID: '', Gateway: '', IPAddress: '',
      IPPrefixLen: 0, IPv6Gateway: '', GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0, MacAddress: '', DriverOpts: null,
    };
  }
  return out;
}

export function toInspect(r: ContainerRecord, containerDir: string, net?: ContainerNetworking): ContainerInspect {
  const networks = networksOf(r, net);
  const bridge = networks.bridge;
  return {
    Id: r.Id,
    Created: r.Created,
    Path: r.Path,
    Args: r.Args,
    State: { ...r.State },
    Image: r.Image,
    ResolvConfPath: r.ResolvConfPath,
    HostnamePath: r.HostnamePath,
    HostsPath: r.HostsPath,
    LogPath: r.LogPath,
    Name: r.Name,
    RestartCount: r.RestartCount,
    Driver: 'overlay2',
    Platform: 'linux',
    MountLabel: '',
    ProcessLabel: '',
    AppArmorProfile: '',
    ExecIDs: null,
    HostConfig: r.HostConfig,
    GraphDriver: {
      Name: 'overlay2',
      Data: { UpperDir: join(containerDir, 'upper'), WorkDir: join(containerDir, 'work'), MergedDir: join(containerDir, 'rootfs') },
    },
    Mounts: mountPointsOf(r),
    Config: r.Config,
    NetworkSettings: {
      Bridge: '', SandboxID: '', HairpinMode: false, LinkLocalIPv6Address: '', LinkLocalIPv6PrefixLen: 0,
      Ports: portsMap(r, net), IPAddress: bridge?.IPAddress ?? '', Gateway: bridge?.Gateway ?? '', MacAddress: bridge?.MacAddress ?? '',
      IPPrefixLen: bridge?.IPPrefixLen ?? 0, GlobalIPv6Address: (bridge?.GlobalIPv6Address as string | undefined) ?? '',
      GlobalIPv6PrefixLen: (bridge?.GlobalIPv6PrefixLen as number | undefined) ?? 0, IPv6Gateway: (bridge?.IPv6Gateway as string | undefined) ?? '',
      SecondaryIPAddresses: null, SecondaryIPv6Addresses: null, EndpointID: bridge?.EndpointID ?? '',
      SandboxKey: r.State.Running && r.State.Pid && r.HostConfig.NetworkMode !== 'host' ? `/proc/${r.State.Pid}/ns/net` : '',
      Networks: networks,
    },
  };
}

/** go-units' HumanDuration, which `docker ps` shows. */
export function humanDuration(seconds: number): string {
  const s = Math.floor(seconds);
  if (s < 1) return 'Less than a second';
  if (s === 1) return '1 second';
  if (s < 60) return `${s} seconds`;
  const m = Math.floor(s / 60);
  if (m === 1) return 'About a minute';
  if (m < 60) return `${m} minutes`;
  const h = Math.round(s / 3600);
  if (h === 1) return 'About an hour';
  if (h < 48) return `${h} hours`;
  if (h < 24 * 7 * 2) return `${Math.floor(h / 24)} days`;
  if (h < 24 * 30 * 2) return `${Math.floor(h / 24 / 7)} weeks`;
  if (h < 24 * 365 * 2) return `${Math.floor(h / 24 / 30)} months`;
  return `${Math.floor(h / 24 / 365)} years`;
}

export function statusText(state: ContainerState, now = Date.now()): string {
  const since = (t: string): number => Math.max(0, (now - Date.parse(t)) / 1000);
  switch (state.Status) {
    case 'running': {
      const h = state.Health?.Status;
      const health = h === 'starting' ? ' (health: starting)' : h === 'healthy' || h === 'unhealthy' ? ` (${h})` : '';
      return `Up ${humanDuration(since(state.StartedAt))}${health}`;
    }
    case 'paused': return `Up ${humanDuration(since(state.StartedAt))} (Paused)`;
    case 'restarting': return `Restarting (${state.ExitCode}) ${humanDuration(since(state.FinishedAt))} ago`;
    case 'exited': return `Exited (${state.ExitCode}) ${humanDuration(since(state.FinishedAt))} ago`;
    case 'removing': return 'Removal In Progress';
    case 'dead': return 'Dead';
    default: return 'Created';
  }
}

/** dockerd's list form: an argument holding a space goes in single quotes, the path never (`sh -c 'echo hi'`). */
function quoteArg(a: string): string { return a.includes(' ') ? `'${a}'` : a; }

export function toSummary(r: ContainerRecord, now = Date.now(), net?: ContainerNetworking): ContainerSummary {
  const ports: ContainerSummary['Ports'] = [];
  if (net) {
    const published = r.State.Running ? r.NetState?.Ports ?? [] : [];
    for (const p of published) ports.push({ IP: p.hostIp || '0.0.0.0', PrivatePort: p.containerPort, PublicPort: p.hostPort, Type: p.proto });
    for (const key of Object.keys(r.Config.ExposedPorts ?? {})) {
      const [num, proto = 'tcp'] = key.split('/');
      if (!published.some((p) => p.containerPort === Number(num) && p.proto === proto)) ports.push({ PrivatePort: Number(num), Type: proto });
    }
  } else for (const p of Object.keys(r.Config.ExposedPorts ?? {})) {
    const [num, proto = 'tcp'] = p.split('/');
    const binds = r.State.Running ? r.HostConfig.PortBindings?.[p] ?? [] : [];
    if (binds && binds.length) for (const b of binds) ports.push({ IP: b.HostIp || '0.0.0.0', PrivatePort: Number(num), PublicPort: Number(b.HostPort), Type: proto });
    else ports.push({ PrivatePort: Number(num), Type: proto });
  }
  return {
    Id: r.Id,
    Names: [r.Name],
    Image: r.Config.Image ?? r.Image,
    ImageID: r.Image,
    Command: [r.Path, ...r.Args.map(quoteArg)].join(' '),
    Created: Math.floor(Date.parse(r.Created) / 1000),
    Ports: ports,
    Labels: r.Config.Labels ?? {},
    State: r.State.Status,
    Status: statusText(r.State, now),
    HostConfig: { NetworkMode: r.HostConfig.NetworkMode || 'bridge' },
    NetworkSettings: { Networks: networksOf(r, net) },
    Mounts: mountPointsOf(r),
  };
}
