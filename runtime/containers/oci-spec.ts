// buildOciSpec: the OCI config.json of a container, from its (merged) Docker
// Config and HostConfig, with Docker's defaults. Pure: every fact about the
// host (resolved user, volume paths, host devices, kernel) comes in as input.

import { posix } from 'node:path';
import type { ContainerConfig, HostConfig, MountSpec } from '../client/types.js';
import {
  ALL_CAPABILITIES, DEFAULT_CAPABILITIES, DEFAULT_DEVICE_RULES, DEFAULT_MASKED_PATHS, DEFAULT_PATH_ENV,
  DEFAULT_READONLY_PATHS, DEFAULT_SHM_SIZE, DEFAULT_TMPFS_OPTIONS,
} from './defaults.js';
import { InvalidContainerConfigError } from './errors.js';
import { commandOf } from './merge-config.js';
import type { OciDevice, OciMount, OciNamespace, OciResources, OciRlimit, OciSpec, OciUser } from './oci-types.js';
import { defaultSeccompPolicy, seccompForContainer, type HostArch, type SeccompPolicy } from './seccomp.js';

export const INIT_PATH_IN_CONTAINER = '/sbin/docker-init';

export interface SpecInput {
  containerId: string;
  /** Config after mergeImageConfig. */
  config: ContainerConfig;
  hostConfig: HostConfig;
  /** The mounted root filesystem (overlay). */
  rootfsPath: string;
  /** Folder holding hosts, hostname and resolv.conf for this container. */
  containerDir: string;
  /** The process user, resolved against the image's /etc/passwd and /etc/group. */
  user: OciUser;
  cgroupsPath: string;
  arch: HostArch;
  kernelRelease?: string;
  /** Host path of the init binary, bind-mounted when HostConfig.Init. */
  initBinary?: string;
  /** Host folder of a named volume. */
  volumePath?: (name: string) => string;
  /** The user mounts, prepared by the volumes layer (replaces the handling of Binds/Mounts/Tmpfs here). */
  userMounts?: OciMount[];
  rootfsPropagation?: string;
  /** What a privileged container (or CapAdd ALL) gets: the engine's own bounding set; default every capability. */
  availableCapabilities?: readonly string[];
  /** Host devices to expose when Privileged. */
  hostDevices?: OciDevice[];
  /** A network namespace to join (host networking has none; default a new one). */
  netnsPath?: string;
  seccompPolicy?: SeccompPolicy;
}

/** Mounts the container starts with (moby's DefaultLinuxSpec plus /dev/shm). */
function defaultMounts(shmSize: number, privileged: boolean): OciMount[] {
  return [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', privileged ? 'rw' : 'ro'] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', privileged ? 'rw' : 'ro'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', `size=${shmSize}`] },
  ];
}

export function normalizeCapability(name: string): string {
  const up = name.trim().toUpperCase();
  if (up === 'ALL') return 'ALL';
  return up.startsWith('CAP_') ? up : `CAP_${up}`;
}

/**
 * Docker's rule: start from the defaults (or all when CapAdd has ALL), add, then drop (ALL drops all but what was added).
 * "All" is `available`: the capabilities the engine itself holds (see host-capabilities.ts).
 */
export function effectiveCapabilities(hostConfig: HostConfig, available: readonly string[] = ALL_CAPABILITIES): string[] {
  if (hostConfig.Privileged) return [...available];
  const known = new Set<string>(ALL_CAPABILITIES);
  const add = (hostConfig.CapAdd ?? []).map(normalizeCapability);
  const drop = (hostConfig.CapDrop ?? []).map(normalizeCapability);
  for (const c of [...add, ...drop]) {
    if (c !== 'ALL' && !known.has(c)) throw new InvalidContainerConfigError(`unknown capability: "${c}"`);
  }
  let caps: string[] = add.includes('ALL') ? [...available] : [...DEFAULT_CAPABILITIES];
  for (const c of add) if (c !== 'ALL' && !caps.includes(c)) caps.push(c);
  if (drop.includes('ALL')) caps = add.filter((c) => c !== 'ALL');
  else caps = caps.filter((c) => !drop.includes(c));
  return caps;
}

export interface ParsedBind { source: string; destination: string; readOnly: boolean; propagation?: string; isVolume: boolean }

const PROPAGATIONS = ['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave'];

/** `src:dst[:opts]` as in `-v`; a source that is not a path names a volume. */
export function parseBind(spec: string): ParsedBind {
  const parts = spec.split(':');
  if (parts.length < 2 || parts.length > 3 || parts[0] === '' || parts[1] === '') {
    throw new InvalidContainerConfigError(`invalid volume specification: '${spec}'`);
  }
  const [source, destination, opts = ''] = parts;
  if (!posix.isAbsolute(destination)) {
    throw new InvalidContainerConfigError(`invalid volume specification: '${spec}': invalid mount config for type "bind": invalid mount path: '${destination}' mount path must be absolute`);
  }
  let readOnly = false;
  let propagation: string | undefined;
  for (const o of opts.split(',').filter(Boolean)) {
    if (o === 'ro') readOnly = true;
    else if (o === 'rw') readOnly = false;
    else if (PROPAGATIONS.includes(o)) propagation = o;
    else if (o === 'z' || o === 'Z' || o === 'nocopy' || o === 'consistent' || o === 'cached' || o === 'delegated') { /* SELinux labels and copy hints: nothing to do here */ }
    else throw new InvalidContainerConfigError(`invalid volume specification: '${spec}': invalid mode: ${o}`);
  }
  const isVolume = !source.startsWith('/');
  if (isVolume && !/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(source)) {
    throw new InvalidContainerConfigError(`invalid volume specification: '${spec}': "${source}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`);
  }
  return { source, destination: posix.normalize(destination), readOnly, propagation, isVolume };
}

function tmpfsMount(destination: string, data: string): OciMount {
  if (!posix.isAbsolute(destination)) throw new InvalidContainerConfigError(`invalid tmpfs mount: '${destination}' mount path must be absolute`);
  const user = data.split(',').map((s) => s.trim()).filter(Boolean);
  const options = [...DEFAULT_TMPFS_OPTIONS];
  for (const o of user) {
    const inverse: Record<string, string> = { exec: 'noexec', suid: 'nosuid', dev: 'nodev' };
    const opposite = inverse[o];
    if (opposite) { const i = options.indexOf(opposite); if (i >= 0) options.splice(i, 1); }
    if (!options.includes(o)) options.push(o);
  }
  return { destination: posix.normalize(destination), type: 'tmpfs', source: 'tmpfs', options };
}

function userMounts(input: SpecInput): OciMount[] {
  const hc = input.hostConfig;
  const out: OciMount[] = [];
  const volumePath = (name: string): string => {
    if (!input.volumePath) throw new InvalidContainerConfigError(`named volume "${name}" cannot be mounted: volumes are not available on this engine yet`);
    return input.volumePath(name);
  };
  for (const spec of hc.Binds ?? []) {
    const b = parseBind(spec);
    const source = b.isVolume ? volumePath(b.source) : b.source;
    out.push({ destination: b.destination, type: 'bind', source, options: ['rbind', b.propagation ?? 'rprivate', ...(b.readOnly ? ['ro'] : [])] });
  }
  for (const m of hc.Mounts ?? []) out.push(mountFromSpec(m, volumePath));
  for (const [dest, data] of Object.entries(hc.Tmpfs ?? {})) out.push(tmpfsMount(dest, data));
  const seen = new Set<string>();
  for (const m of out) {
    if (seen.has(m.destination)) throw new InvalidContainerConfigError(`Duplicate mount point: ${m.destination}`);
    seen.add(m.destination);
  }
  return out;
}

function mountFromSpec(m: MountSpec, volumePath: (name: string) => string): OciMount {
  const kind = m.Type;
  if (!m.Target) throw new InvalidContainerConfigError(`invalid mount config for type "${kind}": field Target must not be empty`);
  if (!posix.isAbsolute(m.Target)) throw new InvalidContainerConfigError(`invalid mount config for type "${kind}": invalid mount path: '${m.Target}' mount path must be absolute`);
  const ro = m.ReadOnly ? ['ro'] : [];
  if (kind === 'bind') {
    if (!m.Source) throw new InvalidContainerConfigError(`invalid mount config for type "bind": field Source must not be empty`);
    if (!posix.isAbsolute(m.Source)) throw new InvalidContainerConfigError(`invalid mount config for type "bind": invalid mount path: '${m.Source}' mount path must be absolute`);
    const rec = m.BindOptions?.NonRecursive ? 'bind' : 'rbind';
    return { destination: posix.normalize(m.Target), type: 'bind', source: m.Source, options: [rec, m.BindOptions?.Propagation || 'rprivate', ...ro] };
  }
  if (kind === 'volume') {
    if (!m.Source) throw new InvalidContainerConfigError(`invalid mount config for type "volume": anonymous volumes are not supported yet; name the volume`);
    return { destination: posix.normalize(m.Target), type: 'bind', source: volumePath(m.Source), options: ['rbind', 'rprivate', ...ro] };
  }
  if (kind === 'tmpfs') {
    if (m.Source) throw new InvalidContainerConfigError(`invalid mount config for type "tmpfs": field Source must not be specified`);
    const opts: string[] = [];
    if (m.TmpfsOptions?.SizeBytes) opts.push(`size=${m.TmpfsOptions.SizeBytes}`);
    if (m.TmpfsOptions?.Mode) opts.push(`mode=${m.TmpfsOptions.Mode.toString(8)}`);
    const t = tmpfsMount(m.Target, opts.join(','));
    if (m.ReadOnly) t.options!.push('ro');
    return t;
  }
  throw new InvalidContainerConfigError(`invalid mount config: mount type "${kind}" is not supported`);
}

function depth(p: string): number { return p.split('/').filter(Boolean).length; }

function resources(hc: HostConfig, privileged: boolean): OciResources {
  const r: OciResources = {
    devices: privileged ? [{ allow: true, access: 'rwm' }] : DEFAULT_DEVICE_RULES.map((d) => ({ ...d })),
  };
  const memory = hc.Memory ?? 0;
  if (memory < 0) throw new InvalidContainerConfigError('invalid memory limit: must be positive');
  if (memory > 0 && memory < 6 * 1024 * 1024) throw new InvalidContainerConfigError('Minimum memory limit allowed is 6MB');
  let swap = hc.MemorySwap ?? 0;
  if (swap > 0 && memory > 0 && swap < memory) throw new InvalidContainerConfigError('Minimum memoryswap limit should be larger than memory limit, see usage');
  if (swap > 0 && memory === 0) throw new InvalidContainerConfigError('You should always set the Memory limit when using Memoryswap limit, see usage');
  // Docker: with a memory limit and no swap setting, swap may be as large again.
  if (memory > 0 && swap === 0) swap = memory * 2;
  if (memory > 0 || hc.MemoryReservation) {
    r.memory = {};
    if (memory > 0) r.memory.limit = memory;
    if (swap !== 0) r.memory.swap = swap;
    if (hc.MemoryReservation) r.memory.reservation = hc.MemoryReservation;
  }
  if (hc.OomKillDisable) (r.memory ??= {}).disableOOMKiller = true;
  if (hc.NanoCpus && (hc.CpuQuota || hc.CpuPeriod)) {
    throw new InvalidContainerConfigError('Conflicting options: Nano CPUs and CPU Period cannot both be set');
  }
  if (hc.NanoCpus && hc.NanoCpus < 0) throw new InvalidContainerConfigError('Range of CPUs is from 0.01 to the number of CPUs available on the system');
  const cpu: NonNullable<OciResources['cpu']> = {};
  if (hc.NanoCpus) { cpu.period = 100000; cpu.quota = Math.round((hc.NanoCpus * 100000) / 1e9); }
  if (hc.CpuQuota) cpu.quota = hc.CpuQuota;
  if (hc.CpuPeriod) cpu.period = hc.CpuPeriod;
  if (hc.CpuShares) cpu.shares = hc.CpuShares;
  if (hc.CpusetCpus) cpu.cpus = hc.CpusetCpus;
  if (Object.keys(cpu).length) r.cpu = cpu;
  if (hc.PidsLimit && hc.PidsLimit > 0) r.pids = { limit: hc.PidsLimit };
  return r;
}

function rlimits(hc: HostConfig): OciRlimit[] | undefined {
  if (!hc.Ulimits?.length) return undefined;
  return hc.Ulimits.map((u) => {
    if (!/^[a-z]+$/.test(u.Name)) throw new InvalidContainerConfigError(`invalid ulimit name: ${u.Name}`);
    if (u.Soft > u.Hard) throw new InvalidContainerConfigError(`ulimit soft limit must be less than or equal to hard limit: ${u.Soft} > ${u.Hard}`);
    return { type: `RLIMIT_${u.Name.toUpperCase()}`, soft: u.Soft, hard: u.Hard };
  });
}

interface SecurityOptions { noNewPrivileges: boolean; seccomp: 'default' | 'unconfined' | { profile: string }; unmaskSystemPaths: boolean }

export function parseSecurityOpt(opts: readonly string[] | null | undefined): SecurityOptions {
  const out: SecurityOptions = { noNewPrivileges: false, seccomp: 'default', unmaskSystemPaths: false };
  for (const raw of opts ?? []) {
    const eq = raw.indexOf('=');
    const colon = raw.indexOf(':');
    const sep = eq >= 0 && (colon < 0 || eq < colon) ? eq : colon;
    const key = sep >= 0 ? raw.slice(0, sep) : raw;
    const value = sep >= 0 ? raw.slice(sep + 1) : '';
    if (key === 'no-new-privileges') {
      if (value === '' || value === 'true') out.noNewPrivileges = true;
      else if (value === 'false') out.noNewPrivileges = false;
      else throw new InvalidContainerConfigError(`invalid --security-opt 2: "${raw}"`);
    } else if (key === 'seccomp') {
      out.seccomp = value === 'unconfined' ? 'unconfined' : { profile: value };
    } else if (key === 'systempaths') {
      if (value !== 'unconfined') throw new InvalidContainerConfigError(`invalid --security-opt: "${raw}": systempaths only accepts "unconfined"`);
      out.unmaskSystemPaths = true;
    } else if (key === 'apparmor' || key === 'label') {
      // No AppArmor or SELinux on this engine: accepted and ignored, as Docker does on hosts without them.
    } else {
      throw new InvalidContainerConfigError(`invalid --security-opt 1: "${raw}"`);
    }
  }
  return out;
}

function namespaces(hc: HostConfig, netnsPath: string | undefined): OciNamespace[] {
  const ns: OciNamespace[] = [{ type: 'mount' }];
  if (hc.PidMode !== 'host') ns.push({ type: 'pid' });
  if (hc.IpcMode !== 'host') ns.push({ type: 'ipc' });
  if (hc.UTSMode !== 'host') ns.push({ type: 'uts' });
  if (hc.NetworkMode !== 'host') ns.push(netnsPath ? { type: 'network', path: netnsPath } : { type: 'network' });
  return ns;
}

export function buildOciSpec(input: SpecInput): OciSpec {
  const { config, hostConfig: hc } = input;
  const privileged = !!hc.Privileged;
  const security = parseSecurityOpt(hc.SecurityOpt);
  const caps = effectiveCapabilities(hc, input.availableCapabilities);
  const { path, args } = commandOf(config);

  let argv = [path, ...args];
  const mounts: OciMount[] = defaultMounts(hc.ShmSize && hc.ShmSize > 0 ? hc.ShmSize : DEFAULT_SHM_SIZE, privileged);
  if (hc.Init) {
    if (!input.initBinary) throw new InvalidContainerConfigError('init requested but no init binary is available on this engine (build native/: make -C native)');
    argv = [INIT_PATH_IN_CONTAINER, '--', ...argv];
    mounts.push({ destination: INIT_PATH_IN_CONTAINER, type: 'bind', source: input.initBinary, options: ['bind', 'ro', 'rprivate'] });
  }
  const dir = input.containerDir;
  // A read-only root makes these read-only too, as Docker does: the engine writes them from outside.
  const etcOptions = hc.ReadonlyRootfs ? ['rbind', 'ro', 'rprivate'] : ['rbind', 'rprivate'];
  const etc: OciMount[] = [
    { destination: '/etc/resolv.conf', type: 'bind', source: posix.join(dir, 'resolv.conf'), options: [...etcOptions] },
    { destination: '/etc/hostname', type: 'bind', source: posix.join(dir, 'hostname'), options: [...etcOptions] },
    { destination: '/etc/hosts', type: 'bind', source: posix.join(dir, 'hosts'), options: [...etcOptions] },
  ];
  const user = input.userMounts ?? userMounts(input);
  const userDests = new Set(user.map((m) => m.destination));
  // A user mount replaces a default one on the same path (e.g. a bigger /dev/shm).
  const all = [...mounts, ...etc].filter((m) => !userDests.has(m.destination));
  // Parents before children, whatever order the request listed them in.
  const sortedUser = [...user].sort((a, b) => depth(a.destination) - depth(b.destination));

  const env = [...(config.Env ?? [])];
  if (!env.some((e) => e.startsWith('PATH='))) env.unshift(DEFAULT_PATH_ENV);
  const hostname = config.Hostname || input.containerId.slice(0, 12);
  if (!env.some((e) => e.startsWith('HOSTNAME='))) env.splice(1, 0, `HOSTNAME=${hostname}`);
  if (config.Tty && !env.some((e) => e.startsWith('TERM='))) env.push('TERM=xterm');

  const spec: OciSpec = {
    ociVersion: '1.0.2',
    process: {
      terminal: !!config.Tty,
      user: input.user,
      args: argv,
      env,
      cwd: config.WorkingDir || '/',
      capabilities: { bounding: caps, effective: caps, permitted: caps },
      noNewPrivileges: security.noNewPrivileges,
    },
    root: { path: input.rootfsPath, readonly: !!hc.ReadonlyRootfs },
    hostname,
    mounts: [...all, ...sortedUser],
    linux: {
      namespaces: namespaces(hc, input.netnsPath),
      cgroupsPath: input.cgroupsPath,
      resources: resources(hc, privileged),
    },
  };
  if (config.Domainname) spec.domainname = config.Domainname;
  if (input.rootfsPropagation) spec.linux.rootfsPropagation = input.rootfsPropagation;
  const lim = rlimits(hc);
  if (lim) spec.process.rlimits = lim;
  if (hc.OomScoreAdj) spec.process.oomScoreAdj = hc.OomScoreAdj;
  const sysctl = { ...networkSysctls(hc, spec.linux.namespaces, input.kernelRelease), ...(hc.Sysctls ?? {}) };
  if (Object.keys(sysctl).length) spec.linux.sysctl = sysctl;
  if (privileged) {
    if (input.hostDevices?.length) spec.linux.devices = input.hostDevices.map((d) => ({ ...d }));
  } else {
    if (!security.unmaskSystemPaths) {
      spec.linux.maskedPaths = [...DEFAULT_MASKED_PATHS];
      spec.linux.readonlyPaths = [...DEFAULT_READONLY_PATHS];
    }
    if (security.seccomp === 'default') {
      spec.linux.seccomp = seccompForContainer(input.seccompPolicy ?? defaultSeccompPolicy(), caps, input.arch, input.kernelRelease);
    } else if (security.seccomp !== 'unconfined') {
      spec.linux.seccomp = parseCustomSeccomp(security.seccomp.profile, caps, input);
    }
  }
  return spec;
}

/**
 * What Docker (20.10 on) sets in a network namespace of the container's own:
 * any user may bind ports below 1024 and open ICMP echo sockets, which the
 * default capabilities allow root anyway. Not with host networking or a
 * joined namespace (the sysctls would change someone else's), and no ping
 * range inside a user namespace. The request's own Sysctls win.
 */
function networkSysctls(hc: HostConfig, ns: OciNamespace[], kernelRelease?: string): Record<string, string> {
  const mode = hc.NetworkMode ?? '';
  if (mode === 'host' || mode.startsWith('container:')) return {};
  const out: Record<string, string> = {};
  const [major, minor] = (kernelRelease ?? '').split('.').map((x) => parseInt(x, 10));
  // net.ipv4.ip_unprivileged_port_start exists from Linux 4.11.
  if (!kernelRelease || major > 4 || (major === 4 && minor >= 11)) out['net.ipv4.ip_unprivileged_port_start'] = '0';
  if (!ns.some((n) => n.type === 'user')) out['net.ipv4.ping_group_range'] = '0 2147483647';
  return out;
}

/** `--security-opt seccomp=profile.json`: the docker CLI sends the file's content; ours or moby's layout. */
function parseCustomSeccomp(profile: string, caps: string[], input: SpecInput): OciSpec['linux']['seccomp'] {
  let parsed: unknown;
  try { parsed = JSON.parse(profile); } catch { throw new InvalidContainerConfigError('Decoding seccomp profile failed: the seccomp option must hold the profile\'s JSON content'); }
  const p = parsed as Record<string, unknown>;
  if (typeof p.defaultAction !== 'string') throw new InvalidContainerConfigError('Decoding seccomp profile failed: defaultAction is missing');
  if (Array.isArray(p.rules)) return seccompForContainer(p as unknown as SeccompPolicy, caps, input.arch, input.kernelRelease);
  // moby's layout: syscalls with includes/excludes.
  const syscalls = (Array.isArray(p.syscalls) ? p.syscalls : []) as Array<Record<string, unknown>>;
  const rules = syscalls.map((s) => {
    const inc = (s.includes ?? {}) as Record<string, string[]>;
    const exc = (s.excludes ?? {}) as Record<string, string[]>;
    const names = (s.names as string[] | undefined) ?? (typeof s.name === 'string' ? [s.name] : []);
    return {
      names, action: String(s.action), errnoRet: s.errnoRet as number | undefined, args: (s.args ?? undefined) as never,
      when: { arch: inc.arches, cap: inc.caps, notCap: exc.caps, notArch: exc.arches },
    };
  });
  const archs: Record<string, string[]> = { amd64: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'], arm64: ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM'] };
  return seccompForContainer({ defaultAction: p.defaultAction, defaultErrnoRet: p.defaultErrnoRet as number | undefined, architectures: archs, rules }, caps, input.arch, input.kernelRelease);
}
