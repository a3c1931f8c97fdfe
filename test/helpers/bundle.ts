// OCI bundles for runtime tests. The base config is what `runc spec` prints (the
// reference every runtime is measured against), made non-interactive; each test
// case edits a copy. One bundle per runtime run: its own rootfs copy and a
// cgroupsPath named after the container id.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { copyRootfs } from './rootfs.js';
import { tempDir } from './tmp.js';

/** The subset of the OCI runtime spec the tests edit; the rest passes through. */
export interface OciSpec {
  ociVersion: string;
  process: {
    terminal?: boolean;
    user: { uid: number; gid: number; umask?: number; additionalGids?: number[] };
    args: string[];
    env?: string[];
    cwd: string;
    capabilities?: Partial<Record<'bounding' | 'effective' | 'permitted' | 'inheritable' | 'ambient', string[]>>;
    rlimits?: Array<{ type: string; hard: number; soft: number }>;
    noNewPrivileges?: boolean;
    oomScoreAdj?: number;
    [k: string]: unknown;
  };
  root: { path: string; readonly?: boolean };
  hostname?: string;
  domainname?: string;
  mounts: OciMount[];
  linux: {
    resources?: Record<string, unknown> & { devices?: Array<Record<string, unknown>> };
    namespaces: Array<{ type: string; path?: string }>;
    uidMappings?: Array<{ containerID: number; hostID: number; size: number }>;
    gidMappings?: Array<{ containerID: number; hostID: number; size: number }>;
    maskedPaths?: string[];
    readonlyPaths?: string[];
    cgroupsPath?: string;
    devices?: Array<Record<string, unknown>>;
    sysctl?: Record<string, string>;
    seccomp?: Record<string, unknown>;
    rootfsPropagation?: string;
    [k: string]: unknown;
  };
  annotations?: Record<string, string>;
  [k: string]: unknown;
}

export interface OciMount {
  destination: string;
  type?: string;
  source?: string;
  options?: string[];
}

let baseCache: string | undefined;

/** `runc spec` output, parsed fresh each call (callers mutate it). */
export function runcSpec(): OciSpec {
  if (!baseCache) {
    const dir = tempDir('spec');
    execFileSync('runc', ['spec'], { cwd: dir });
    baseCache = readFileSync(path.join(dir, 'config.json'), 'utf8');
  }
  return JSON.parse(baseCache) as OciSpec;
}

/** runc's default spec, made to run the probe without a terminal. */
export function baseSpec(args: string[]): OciSpec {
  const spec = runcSpec();
  spec.process.terminal = false;
  spec.process.args = args;
  spec.root.path = 'rootfs';
  return spec;
}

export interface Bundle {
  dir: string;
  rootfs: string;
  spec: OciSpec;
}

/** Writes a bundle (config.json + private rootfs copy) under a new temp dir. */
export function writeBundle(spec: OciSpec, opts: { containerId: string; rootfs?: boolean } = { containerId: 'x' }): Bundle {
  const dir = tempDir('bundle');
  // mkdtemp makes 0700; a root mapped into a user namespace must traverse it.
  chmodSync(dir, 0o755);
  const rootfs = path.join(dir, 'rootfs');
  if (opts.rootfs !== false) copyRootfs(rootfs);
  else mkdirSync(dir, { recursive: true });
  if (spec.linux.cgroupsPath === undefined) spec.linux.cgroupsPath = `/${opts.containerId}`;
  writeFileSync(path.join(dir, 'config.json'), JSON.stringify(spec, null, 2));
  return { dir, rootfs, spec };
}

export function hasNamespace(spec: OciSpec, type: string): boolean {
  return spec.linux.namespaces.some((n) => n.type === type);
}

export function setNamespace(spec: OciSpec, type: string, nsPath?: string): void {
  spec.linux.namespaces = spec.linux.namespaces.filter((n) => n.type !== type);
  spec.linux.namespaces.push(nsPath ? { type, path: nsPath } : { type });
}

export function dropNamespace(spec: OciSpec, type: string): void {
  spec.linux.namespaces = spec.linux.namespaces.filter((n) => n.type !== type);
}

/** Every capability this kernel knows, by name, as runc spells them. */
export const ALL_CAPS = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN',
  'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT', 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_TIME', 'CAP_SYS_TTY_CONFIG',
  'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL', 'CAP_SETFCAP', 'CAP_MAC_OVERRIDE',
  'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF',
  'CAP_CHECKPOINT_RESTORE',
];
