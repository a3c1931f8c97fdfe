// A compose service (normalized) -> the Docker Engine API body of
// POST /containers/create, as docker compose v2 builds it
// (pkg/compose/create.go): a pure function, so every field is checked by a
// golden test without an engine.
//
// Choices that follow docker compose:
//   - bind mounts and named volumes without advanced options go in `Binds`
//     (the bind API creates a missing host path; `Mounts` would refuse),
//     everything else (anonymous volumes, tmpfs, nocopy, subpath,
//     propagation) in `Mounts`;
//   - the create body joins one network, the one of highest priority (then
//     by name); the executor connects the others right after, since engines
//     speaking API < 1.44 accept a single endpoint at create;
//   - aliases on every network: the container name, the service name (not
//     for one-off containers), then the network's own aliases.

import type {
  ContainerCreateRequest,
  EndpointSettings,
  HealthConfig,
  HostConfig,
  MountPoint,
  MountSpec,
  PortMap,
  RestartPolicy,
} from '../../../runtime/client/index.js';
import { parseDuration } from '../../normalize/units.js';
import { LABEL_CONFIG_FILES, LABEL_ENVIRONMENT_FILE, LABEL_IMAGE, LABEL_VERSION } from '../../plan/labels.js';
import type { CreateContainerOp } from '../../plan/plan.js';
import { containerName, networkConfig, serviceNetworkKeys } from '../../plan/resources.js';
import type { Project, ServiceConfig, ServiceVolumeConfig } from '../../types.js';

export interface CreateContext {
  readonly project: Project;
  /** Compose files, absolute (label com.docker.compose.project.config_files). */
  readonly configFiles: readonly string[];
  readonly environmentFiles?: readonly string[];
  /** tscompose's version (label com.docker.compose.version). */
  readonly version: string;
  /** The id of the image the container is created from (label com.docker.compose.image). */
  readonly imageId?: string;
  /** Mounts of the container being replaced: its anonymous volumes are kept. */
  readonly inheritedMounts?: readonly MountPoint[];
}

export interface NetworkAttachment {
  /** Engine network name (`app_default`). */
  readonly network: string;
  readonly endpoint: EndpointSettings;
}

export interface ContainerCreatePlan {
  readonly name: string;
  readonly body: ContainerCreateRequest;
  /** Networks to connect after create, in order. */
  readonly connectAfter: readonly NetworkAttachment[];
}

export function buildCreateRequest(op: CreateContainerOp, ctx: CreateContext): ContainerCreatePlan {
  const { project } = ctx;
  const service = op.config;
  const attachments = networkAttachments(project, op);
  const [primary, ...rest] = attachments;
  const labels: Record<string, string> = {
    ...op.labels,
    [LABEL_VERSION]: ctx.version,
  };
  if (ctx.configFiles.length > 0) labels[LABEL_CONFIG_FILES] = ctx.configFiles.join(',');
  if (ctx.environmentFiles && ctx.environmentFiles.length > 0) labels[LABEL_ENVIRONMENT_FILE] = ctx.environmentFiles.join(',');
  if (ctx.imageId !== undefined) labels[LABEL_IMAGE] = ctx.imageId;

  const body: ContainerCreateRequest = compact({
    Hostname: service.hostname,
    Domainname: service.domainname,
    User: service.user,
    // A one-off with stdin open is attached to by `run`: its stdin ends with ours (docker compose's StdinOnce).
    AttachStdin: op.oneoff && (service.stdin_open ?? false),
    AttachStdout: false,
    AttachStderr: false,
    ExposedPorts: exposedPorts(service),
    Tty: service.tty ?? false,
    OpenStdin: service.stdin_open ?? false,
    StdinOnce: op.oneoff && (service.stdin_open ?? false),
    Env: environment(service),
    Cmd: service.command ? [...service.command] : undefined,
    Healthcheck: healthcheck(service),
    Image: op.image,
    WorkingDir: service.working_dir,
    Entrypoint: service.entrypoint ? [...service.entrypoint] : undefined,
    Labels: sortKeys(labels),
    StopSignal: service.stop_signal,
    StopTimeout: service.stop_grace_period !== undefined ? Math.round(parseDuration(service.stop_grace_period) / 1e9) : undefined,
    HostConfig: hostConfig(project, op, ctx, primary?.network),
    NetworkingConfig: primary ? { EndpointsConfig: { [primary.network]: primary.endpoint } } : undefined,
  });
  return { name: op.containerName, body, connectAfter: rest };
}

function networkAttachments(project: Project, op: CreateContainerOp): NetworkAttachment[] {
  const service = op.config;
  const keys = serviceNetworkKeys(service);
  const priority = (key: string) => service.networks?.[key]?.priority ?? 0;
  keys.sort((a, b) => priority(b) - priority(a) || (a < b ? -1 : a > b ? 1 : 0));
  // The alias is the final name, also while the container is created under a temporary one.
  const finalName = op.number !== undefined ? containerName(project.name, op.service, service, op.number) : op.containerName;
  return keys.map((key) => {
    const cfg = service.networks?.[key] ?? undefined;
    const aliases = [finalName];
    if (!op.oneoff) aliases.push(op.service, ...(cfg?.aliases ?? []));
    const ipam = cfg?.ipv4_address || cfg?.ipv6_address ? compact({ IPv4Address: cfg.ipv4_address, IPv6Address: cfg.ipv6_address }) : undefined;
    return {
      network: networkConfig(project, key, op.service).name,
      endpoint: compact({ Aliases: [...new Set(aliases)], IPAMConfig: ipam, MacAddress: cfg?.mac_address }),
    };
  });
}

function hostConfig(project: Project, op: CreateContainerOp, ctx: CreateContext, primaryNetwork: string | undefined): HostConfig {
  const service = op.config;
  const { binds, mounts } = volumes(project, service, ctx.inheritedMounts ?? []);
  const limits = service.deploy?.resources?.limits;
  const reservations = service.deploy?.resources?.reservations;
  const cpus = service.cpus ?? (limits?.cpus !== undefined ? Number(limits.cpus) : undefined);
  return compact({
    Binds: binds.length > 0 ? binds : undefined,
    Mounts: mounts.length > 0 ? mounts : undefined,
    PortBindings: portBindings(service),
    RestartPolicy: restartPolicy(service),
    AutoRemove: op.autoRemove ? true : undefined,
    NetworkMode: networkMode(project, service, primaryNetwork),
    CapAdd: list(service.cap_add),
    CapDrop: list(service.cap_drop),
    Privileged: service.privileged,
    ReadonlyRootfs: service.read_only,
    Tmpfs: tmpfs(service),
    Memory: numberOf(service.mem_limit) ?? limits?.memory,
    MemoryReservation: numberOf(service['mem_reservation']) ?? reservations?.memory,
    MemorySwap: numberOf(service.memswap_limit),
    NanoCpus: cpus !== undefined && cpus > 0 ? Math.round(cpus * 1e9) : undefined,
    CpuShares: service.cpu_shares,
    CpuPeriod: service['cpu_period'] as number | undefined,
    CpuQuota: service['cpu_quota'] as number | undefined,
    CpusetCpus: service['cpuset'] as string | undefined,
    Devices: devices(service),
    UsernsMode: service['userns_mode'] as string | undefined,
    Runtime: service['runtime'] as string | undefined,
    PidsLimit: service.pids_limit ?? limits?.pids,
    Ulimits: ulimits(service),
    Sysctls: service.sysctls && Object.keys(service.sysctls).length > 0 ? { ...service.sysctls } : undefined,
    Init: service.init,
    ShmSize: numberOf(service.shm_size),
    SecurityOpt: list(service.security_opt),
    LogConfig: service.logging?.driver || service.logging?.options ? compact({ Type: service.logging.driver ?? '', Config: service.logging.options }) : undefined,
    Dns: list(service.dns),
    DnsOptions: list(service.dns_opt),
    DnsSearch: list(service.dns_search),
    ExtraHosts: extraHosts(service),
    GroupAdd: list(service['group_add'] as readonly string[] | undefined),
    IpcMode: serviceMode(project, service.ipc),
    PidMode: serviceMode(project, service.pid),
    VolumesFrom: volumesFrom(project, service),
    OomKillDisable: service['oom_kill_disable'] as boolean | undefined,
    OomScoreAdj: service['oom_score_adj'] as number | undefined,
  });
}

function environment(service: ServiceConfig): string[] | undefined {
  const entries = Object.entries(service.environment ?? {}).filter((e): e is [string, string] => e[1] !== null);
  if (entries.length === 0) return undefined;
  return entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${k}=${v}`);
}

/** `80/tcp` for each published target and each `expose` entry (`3000`, `3000/udp`, `3000-3002`). */
function exposedPorts(service: ServiceConfig): Record<string, object> | undefined {
  const keys = new Set<string>();
  for (const p of service.ports ?? []) keys.add(`${p.target}/${p.protocol || 'tcp'}`);
  for (const e of service.expose ?? []) {
    const [range, proto = 'tcp'] = e.split('/');
    const [lo, hi = lo] = range.split('-').map(Number);
    for (let port = lo; port <= hi; port++) keys.add(`${port}/${proto}`);
  }
  if (keys.size === 0) return undefined;
  return Object.fromEntries([...keys].sort(comparePortKeys).map((k) => [k, {}]));
}

function comparePortKeys(a: string, b: string): number {
  return Number.parseInt(a, 10) - Number.parseInt(b, 10) || (a < b ? -1 : a > b ? 1 : 0);
}

function portBindings(service: ServiceConfig): PortMap | undefined {
  const map: PortMap = {};
  for (const p of service.ports ?? []) {
    const key = `${p.target}/${p.protocol || 'tcp'}`;
    const binding = compact({ HostIp: p.host_ip ?? '', HostPort: p.published ?? '' });
    (map[key] ??= []).push(binding);
  }
  return Object.keys(map).length > 0 ? map : undefined;
}

function restartPolicy(service: ServiceConfig): RestartPolicy | undefined {
  const text = service.restart;
  if (text !== undefined) {
    const [name, retries] = text.split(':');
    if (name === 'on-failure') return retries !== undefined ? { Name: 'on-failure', MaximumRetryCount: Number(retries) } : { Name: 'on-failure' };
    if (name === 'always' || name === 'unless-stopped' || name === 'no') return { Name: name };
    return { Name: 'no' };
  }
  const policy = service.deploy?.restart_policy;
  if (policy?.condition !== undefined) {
    const name = policy.condition === 'any' ? 'always' : policy.condition === 'on-failure' ? 'on-failure' : 'no';
    return policy.max_attempts !== undefined && name === 'on-failure' ? { Name: name, MaximumRetryCount: policy.max_attempts } : { Name: name };
  }
  return undefined;
}

function healthcheck(service: ServiceConfig): HealthConfig | undefined {
  const hc = service.healthcheck;
  if (!hc) return undefined;
  if (hc.disable) return { Test: ['NONE'] };
  const ns = (d: string | undefined) => (d !== undefined ? parseDuration(d) : undefined);
  return compact({
    Test: hc.test ? [...hc.test] : undefined,
    Interval: ns(hc.interval),
    Timeout: ns(hc.timeout),
    Retries: hc.retries,
    StartPeriod: ns(hc.start_period),
    StartInterval: ns(hc.start_interval),
  });
}

function volumes(project: Project, service: ServiceConfig, inherited: readonly MountPoint[]): { binds: string[]; mounts: MountSpec[] } {
  const binds: string[] = [];
  const mounts: MountSpec[] = [];
  const targets = new Set<string>();
  for (const v of service.volumes ?? []) {
    targets.add(v.target);
    const mode = v.read_only ? 'ro' : 'rw';
    if (v.type === 'bind' && v.source !== undefined && !needsMountApiForBind(v)) {
      binds.push(`${v.source}:${v.target}:${mode}`);
    } else if (v.type === 'volume' && v.source !== undefined && Object.hasOwn(project.volumes ?? {}, v.source) && !v.volume?.nocopy && !v.volume?.subpath) {
      binds.push(`${project.volumes![v.source].name}:${v.target}:${mode}`);
    } else {
      mounts.push(mountSpec(project, v, inherited));
    }
  }
  // secrets and configs from files: read-only binds, at /run/secrets/<name>
  // and /<name> by default, as docker compose does for local files.
  for (const [kind, refs, dir] of [['secrets', service.secrets, '/run/secrets/'], ['configs', service.configs, '/']] as const) {
    for (const ref of refs ?? []) {
      const file = project[kind]?.[ref.source]?.file;
      if (file === undefined) continue;
      const target = ref.target === undefined ? `${dir}${ref.source}` : ref.target.startsWith('/') ? ref.target : `${dir}${ref.target}`;
      if (targets.has(target)) continue;
      targets.add(target);
      binds.push(`${file}:${target}:ro`);
    }
  }
  // Anonymous volumes of a replaced container that the service still declares
  // in its image (VOLUME) but not in the file: kept, like docker compose.
  for (const m of inherited) {
    if (m.Type === 'volume' && m.Name && !targets.has(m.Destination) && isAnonymousVolumeName(m.Name)) {
      mounts.push({ Type: 'volume', Source: m.Name, Target: m.Destination });
    }
  }
  return { binds, mounts };
}

function needsMountApiForBind(v: ServiceVolumeConfig): boolean {
  return v.bind?.propagation !== undefined || v.bind?.create_host_path === false || v.bind?.selinux !== undefined;
}

function mountSpec(project: Project, v: ServiceVolumeConfig, inherited: readonly MountPoint[]): MountSpec {
  const base = { Target: v.target, ReadOnly: v.read_only || undefined };
  switch (v.type) {
    case 'tmpfs':
      return compact({ ...base, Type: 'tmpfs' as const, TmpfsOptions: v.tmpfs ? compact({ SizeBytes: v.tmpfs.size, Mode: v.tmpfs.mode }) : undefined });
    case 'bind':
      return compact({
        ...base,
        Type: 'bind' as const,
        Source: v.source,
        BindOptions: compact({ Propagation: v.bind?.propagation, CreateMountpoint: v.bind?.create_host_path }),
      });
    default: {
      const named = v.source !== undefined && Object.hasOwn(project.volumes ?? {}, v.source) ? project.volumes![v.source].name : v.source;
      // An anonymous volume keeps the data of the container it replaces.
      const source = named ?? inherited.find((m) => m.Type === 'volume' && m.Destination === v.target)?.Name;
      return compact({
        ...base,
        Type: 'volume' as const,
        Source: source,
        VolumeOptions: v.volume?.nocopy ? { NoCopy: true } : undefined,
      });
    }
  }
}

function isAnonymousVolumeName(name: string): boolean {
  return /^[0-9a-f]{64}$/.test(name);
}

function devices(service: ServiceConfig): HostConfig['Devices'] {
  const list = service['devices'] as readonly { source: string; target: string; permissions?: string }[] | undefined;
  if (!list || list.length === 0) return undefined;
  return list.map((d) => ({ PathOnHost: d.source, PathInContainer: d.target, CgroupPermissions: d.permissions ?? 'rwm' }));
}

function tmpfs(service: ServiceConfig): Record<string, string> | undefined {
  if (!service.tmpfs || service.tmpfs.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const entry of service.tmpfs) {
    const at = entry.indexOf(':');
    if (at < 0) out[entry] = '';
    else out[entry.slice(0, at)] = entry.slice(at + 1);
  }
  return out;
}

function ulimits(service: ServiceConfig): HostConfig['Ulimits'] {
  const entries = Object.entries(service.ulimits ?? {});
  if (entries.length === 0) return undefined;
  return entries
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([name, u]) => ({ Name: name, Soft: u.single ?? u.soft ?? 0, Hard: u.single ?? u.hard ?? 0 }));
}

function extraHosts(service: ServiceConfig): string[] | undefined {
  const out: string[] = [];
  for (const [host, ips] of Object.entries(service.extra_hosts ?? {})) {
    for (const ip of Array.isArray(ips) ? ips : [ips]) out.push(`${host}:${ip}`);
  }
  return out.length > 0 ? out : undefined;
}

/** `service:db` -> `container:<project>-db-1` (network_mode, ipc, pid). */
function serviceMode(project: Project, mode: string | undefined): string | undefined {
  if (mode === undefined || !mode.startsWith('service:')) return mode;
  const target = mode.slice('service:'.length);
  const config = project.services[target];
  return `container:${config ? containerName(project.name, target, config, 1) : target}`;
}

function networkMode(project: Project, service: ServiceConfig, primaryNetwork: string | undefined): string | undefined {
  if (service.network_mode !== undefined && service.network_mode !== '') return serviceMode(project, service.network_mode);
  return primaryNetwork;
}

function volumesFrom(project: Project, service: ServiceConfig): string[] | undefined {
  const out: string[] = [];
  for (const entry of service.volumes_from ?? []) {
    const [kind, ...rest] = entry.split(':');
    if (kind === 'container') out.push(rest.join(':'));
    else {
      // `db`, `db:ro`, `service:db`, `service:db:ro`.
      const [name, mode] = kind === 'service' ? rest : [kind, ...rest];
      const config = project.services[name];
      const target = config ? containerName(project.name, name, config, 1) : name;
      out.push(mode ? `${target}:${mode}` : target);
    }
  }
  return out.length > 0 ? out : undefined;
}

function list(values: readonly string[] | undefined): string[] | undefined {
  return values && values.length > 0 ? [...values] : undefined;
}

function numberOf(value: unknown): number | undefined {
  return typeof value === 'number' ? value : undefined;
}

function sortKeys(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Drops undefined fields so bodies and goldens show only what is set. */
function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
