// Per-attribute canonical forms of a service, one row per compose key
// (STYLE point 2): a new key is one row here plus one fixture.

import { isAbsolute, join, resolve } from 'node:path';
import { canonicalDuration, parseBytes } from './units.js';
import { splitCommandLine } from './shell-split.js';
import { normalizePorts } from './ports.js';
import { normalizeMount, type Mount } from './volumes.js';
import {
  isDict,
  scalarString,
  toBool,
  toInt,
  toNullableMap,
  toNumber,
  toStringList,
  toStringMap,
  ValueError,
  type Dict,
} from './values.js';

export interface ServiceScope {
  readonly serviceName: string;
  /** Tells the user about a value that is valid but probably not what they meant. */
  readonly warn: (message: string) => void;
  readonly workingDir: string;
  readonly environment: Readonly<Record<string, string>>;
  readonly homeDir: string;
}

export type Rule = (value: unknown, scope: ServiceScope) => unknown;

const bool: Rule = (v) => toBool(v);
const int: Rule = (v) => toInt(v);
const num: Rule = (v) => toNumber(v);
const bytes: Rule = (v) => parseBytes(v as string | number);
const duration: Rule = (v) => canonicalDuration(v as string | number);
const stringMap: Rule = (v) => toStringMap(v);
const stringList: Rule = (v) => toStringList(v);

/** Paths in a compose file are relative to the project directory; `~` is the user's home. */
export function absolutePath(path: string, scope: Pick<ServiceScope, 'workingDir' | 'homeDir'>): string {
  if (path === '~' || path.startsWith('~/')) return join(scope.homeDir, path.slice(1));
  return isAbsolute(path) ? path : resolve(scope.workingDir, path);
}

function isRemoteContext(context: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(context) || context.startsWith('git@') || context.startsWith('github.com/');
}

function command(key: 'command' | 'entrypoint'): Rule {
  return (v, s) => {
    if (v === null) return null;
    if (typeof v !== 'string') return toStringList(v);
    const { words, stoppedAt } = splitCommandLine(v);
    if (stoppedAt !== undefined) {
      s.warn(
        `service ${s.serviceName}: ${key} stops before ${JSON.stringify(stoppedAt)}: shell operators are not run (docker compose drops them too); ` +
          `use ${key}: ["sh", "-c", ${JSON.stringify(v)}]`,
      );
    }
    return words;
  };
}

/** Environment entries without a value take it from the project environment, else stay unset (null). */
export function resolveEnvironment(value: unknown, environment: Readonly<Record<string, string>>): Record<string, string | null> {
  const out = toNullableMap(value);
  for (const [key, v] of Object.entries(out)) {
    if (v === null && Object.prototype.hasOwnProperty.call(environment, key)) out[key] = environment[key];
  }
  return out;
}

const environmentRule: Rule = (v, s) => resolveEnvironment(v, s.environment);

const envFile: Rule = (v, s) =>
  (Array.isArray(v) ? v : [v]).map((entry) => {
    const item: Dict = isDict(entry) ? entry : { path: entry };
    const out: Dict = { path: absolutePath(scalarString(item.path), s), required: item.required === undefined ? true : toBool(item.required) };
    if (item.format !== undefined) out.format = item.format;
    return out;
  });

const build: Rule = (v, s) => {
  const item: Dict = isDict(v) ? { ...v } : { context: v };
  const context = item.context === undefined ? '.' : scalarString(item.context);
  item.context = isRemoteContext(context) ? context : absolutePath(context, s);
  if (item.dockerfile === undefined && item.dockerfile_inline === undefined) item.dockerfile = 'Dockerfile';
  if (item.args !== undefined) {
    // Build args without a value come from the environment or are left out.
    const args: Dict = {};
    for (const [key, value] of Object.entries(toNullableMap(item.args))) {
      if (value !== null) args[key] = value;
      else if (Object.prototype.hasOwnProperty.call(s.environment, key)) args[key] = s.environment[key];
    }
    item.args = args;
  }
  if (item.labels !== undefined) item.labels = toStringMap(item.labels);
  if (item.additional_contexts !== undefined) {
    const contexts = toStringMap(item.additional_contexts);
    for (const [key, value] of Object.entries(contexts)) {
      if (!isRemoteContext(value) && !value.includes(':')) contexts[key] = absolutePath(value, s);
    }
    item.additional_contexts = contexts;
  }
  if (item.shm_size !== undefined) item.shm_size = parseBytes(item.shm_size as string | number);
  if (item.extra_hosts !== undefined) item.extra_hosts = extraHosts(item.extra_hosts, s);
  if (item.secrets !== undefined) item.secrets = fileReferences(false)(item.secrets, s);
  if (item.ulimits !== undefined) item.ulimits = ulimits(item.ulimits, s);
  if (item.ssh !== undefined) {
    // SSH agent sockets or keys: `default`, or `id=path` with the path made absolute.
    const entries = Object.entries(toNullableMap(item.ssh));
    item.ssh = entries.map(([id, path]) => (path === null || path === '' ? id : `${id}=${absolutePath(path, s)}`)).sort();
  }
  for (const key of ['no_cache', 'pull', 'privileged']) if (item[key] !== undefined) item[key] = toBool(item[key]);
  for (const key of ['provenance', 'sbom']) if (item[key] !== undefined) item[key] = String(item[key]);
  return item;
};

const dependsOn: Rule = (v) => {
  const out: Dict = {};
  if (Array.isArray(v)) {
    for (const name of v) out[String(name)] = { condition: 'service_started', required: true };
    return out;
  }
  for (const [name, entry] of Object.entries(v as Dict)) {
    const dep = isDict(entry) ? entry : {};
    const item: Dict = { condition: dep.condition ?? 'service_started', required: dep.required === undefined ? true : toBool(dep.required) };
    if (dep.restart !== undefined) item.restart = toBool(dep.restart);
    out[name] = item;
  }
  return out;
};

export const extraHosts: Rule = (v) => {
  const out: Record<string, string[]> = {};
  const add = (host: string, ips: string[]) => {
    if (host === '' || /[:=]/.test(host)) throw new ValueError(`bad host name '${host}'`);
    const clean = ips.map((ip) => (ip.length > 2 && ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip));
    out[host] = [...(out[host] ?? []), ...clean];
  };
  if (Array.isArray(v)) {
    for (const entry of v) {
      const text = scalarString(entry);
      const sep = text.includes('=') ? '=' : ':';
      const at = text.indexOf(sep);
      if (at < 0) throw new ValueError(`invalid additional host, missing IP: ${text}`);
      add(text.slice(0, at), text.slice(at + 1).split(','));
    }
  } else {
    for (const [host, ips] of Object.entries(v as Dict)) add(host, Array.isArray(ips) ? ips.map(scalarString) : [scalarString(ips)]);
  }
  return out;
};

const healthcheck: Rule = (v) => {
  const item: Dict = { ...(v as Dict) };
  if (typeof item.test === 'string') item.test = ['CMD-SHELL', item.test];
  for (const key of ['interval', 'timeout', 'start_period', 'start_interval']) {
    if (item[key] !== undefined) item[key] = canonicalDuration(item[key] as string);
  }
  if (item.retries !== undefined) item.retries = toInt(item.retries);
  if (item.disable !== undefined) item.disable = toBool(item.disable);
  return item;
};

const ulimits: Rule = (v) => {
  const out: Dict = {};
  for (const [name, limit] of Object.entries(v as Dict)) {
    out[name] = isDict(limit) ? { soft: toInt(limit.soft), hard: toInt(limit.hard) } : { single: toInt(limit) };
  }
  return out;
};

function fileMode(v: unknown): number {
  if (typeof v === 'number') return v;
  const text = String(v);
  // Modes are octal, as in chmod: "0440" and "440" are the same.
  if (!/^0?[0-7]+$/.test(text) && !/^0o[0-7]+$/.test(text)) throw new ValueError(`invalid file mode ${JSON.stringify(text)}`);
  return parseInt(text.replace(/^0o/, ''), 8);
}

function fileReferences(defaultTarget: boolean): Rule {
  return (v) =>
    (v as unknown[]).map((entry) => {
      const item: Dict = isDict(entry) ? { ...entry } : { source: scalarString(entry) };
      if (defaultTarget && item.target === undefined) item.target = `/run/secrets/${String(item.source)}`;
      if (item.mode !== undefined) item.mode = fileMode(item.mode);
      return item;
    });
}

const volumes: Rule = (v, s) =>
  (v as unknown[]).map((entry) => {
    const mount: Mount = normalizeMount(entry);
    if (mount.type === 'bind') {
      if (typeof mount.source !== 'string' || mount.source === '') throw new ValueError('invalid mount config for type "bind": field Source must not be empty');
      mount.source = absolutePath(mount.source, s);
    }
    if (isDict(mount.tmpfs)) {
      const tmpfs = { ...mount.tmpfs };
      if (tmpfs.size !== undefined) tmpfs.size = parseBytes(tmpfs.size as string | number);
      if (tmpfs.mode !== undefined) tmpfs.mode = fileMode(tmpfs.mode);
      mount.tmpfs = tmpfs;
    }
    return mount;
  });

const serviceNetworks: Rule = (v) => {
  if (Array.isArray(v)) return Object.fromEntries(v.map((name) => [String(name), null]));
  const out: Dict = {};
  for (const [name, entry] of Object.entries(v as Dict)) {
    if (!isDict(entry)) {
      out[name] = null;
      continue;
    }
    const item: Dict = { ...entry };
    if (item.driver_opts !== undefined) item.driver_opts = toStringMap(item.driver_opts);
    out[name] = item;
  }
  return out;
};

function resource(v: unknown): Dict {
  const item: Dict = { ...(v as Dict) };
  if (item.cpus !== undefined) item.cpus = toNumber(item.cpus);
  if (item.memory !== undefined) item.memory = parseBytes(item.memory as string);
  if (item.pids !== undefined) item.pids = toInt(item.pids);
  return item;
}

function updateConfig(v: unknown): Dict {
  const item: Dict = { ...(v as Dict) };
  if (item.parallelism !== undefined) item.parallelism = toInt(item.parallelism);
  for (const key of ['delay', 'monitor']) if (item[key] !== undefined) item[key] = canonicalDuration(item[key] as string);
  if (item.max_failure_ratio !== undefined) item.max_failure_ratio = toNumber(item.max_failure_ratio);
  return item;
}

const deploy: Rule = (v) => {
  if (v === null) return undefined;
  const item: Dict = { ...(v as Dict) };
  if (item.replicas !== undefined) item.replicas = toInt(item.replicas);
  if (item.labels !== undefined) item.labels = toStringMap(item.labels);
  // compose-go prints these two even when empty: they are plain structs there.
  const resources: Dict = { ...((item.resources as Dict) ?? {}) };
  if (resources.limits !== undefined) resources.limits = resource(resources.limits);
  if (resources.reservations !== undefined) {
    const reservations = resource(resources.reservations);
    if (Array.isArray(reservations.devices)) reservations.devices = reservations.devices.map(deviceRequest);
    resources.reservations = reservations;
  }
  item.resources = resources;
  item.placement = item.placement ?? {};
  if (item.restart_policy !== undefined) {
    const policy: Dict = { ...(item.restart_policy as Dict) };
    for (const key of ['delay', 'window']) if (policy[key] !== undefined) policy[key] = canonicalDuration(policy[key] as string);
    if (policy.max_attempts !== undefined) policy.max_attempts = toInt(policy.max_attempts);
    item.restart_policy = policy;
  }
  for (const key of ['update_config', 'rollback_config']) if (item[key] !== undefined) item[key] = updateConfig(item[key]);
  return item;
};

const devices: Rule = (v) =>
  (v as unknown[]).map((entry) => {
    if (isDict(entry)) return { ...entry };
    const parts = scalarString(entry).split(':');
    const source = parts[0];
    if (parts.length === 1) return { source, target: source, permissions: 'rwm' };
    if (parts.length === 2) {
      return /^[rwm]+$/.test(parts[1]) ? { source, target: source, permissions: parts[1] } : { source, target: parts[1], permissions: 'rwm' };
    }
    return { source, target: parts[1], permissions: parts[2] };
  });

/** GPU and device requests: `count: all` is -1, and no count nor ids means all devices. */
function deviceRequest(entry: unknown): Dict {
  const item: Dict = { ...(entry as Dict) };
  if (item.count === undefined && item.device_ids === undefined) item.count = -1;
  else if (item.count !== undefined) item.count = String(item.count).toLowerCase() === 'all' ? -1 : toInt(item.count);
  if (item.options !== undefined) item.options = toStringMap(item.options);
  return item;
}

const gpus: Rule = (v) => (typeof v === 'string' ? [{ count: -1 }] : (v as unknown[]).map(deviceRequest));

const develop: Rule = (v) => {
  if (v === null) return undefined;
  const item: Dict = { ...(v as Dict) };
  if (Array.isArray(item.watch)) {
    item.watch = item.watch.map((w) => {
      const watch: Dict = { ...(w as Dict) };
      for (const key of ['ignore', 'include']) if (watch[key] !== undefined) watch[key] = toStringList(watch[key]);
      return watch;
    });
  }
  return item;
};

/** `[llm]` -> `{llm: null}`, like service networks. */
const modelRefs: Rule = (v) => (Array.isArray(v) ? Object.fromEntries(v.map((name) => [String(name), null])) : v);

const logging: Rule = (v) => {
  const item: Dict = { ...(v as Dict) };
  if (item.options !== undefined) item.options = toStringMap(item.options);
  return item;
};

export const SERVICE_RULES: Readonly<Record<string, Rule>> = {
  annotations: stringMap,
  attach: bool,
  build,
  cap_add: stringList,
  cap_drop: stringList,
  command: command('command'),
  configs: fileReferences(false),
  cpu_count: int,
  cpu_percent: num,
  cpu_period: int,
  cpu_quota: int,
  cpu_rt_period: int,
  cpu_rt_runtime: int,
  cpu_shares: int,
  cpus: num,
  depends_on: dependsOn,
  deploy,
  develop,
  devices,
  dns: stringList,
  dns_opt: stringList,
  dns_search: stringList,
  entrypoint: command('entrypoint'),
  env_file: envFile,
  environment: environmentRule,
  expose: stringList,
  extra_hosts: extraHosts,
  gpus,
  group_add: stringList,
  healthcheck,
  init: bool,
  label_file: (v, s) => toStringList(v).map((path) => absolutePath(path, s)),
  labels: stringMap,
  logging,
  mem_limit: bytes,
  mem_reservation: bytes,
  mem_swappiness: int,
  memswap_limit: bytes,
  models: modelRefs,
  networks: serviceNetworks,
  oom_kill_disable: bool,
  oom_score_adj: int,
  pids_limit: int,
  ports: (v) => normalizePorts(v),
  privileged: bool,
  pull_policy: (v) => (v === 'if_not_present' ? 'missing' : v),
  read_only: bool,
  scale: int,
  secrets: fileReferences(true),
  shm_size: bytes,
  stdin_open: bool,
  stop_grace_period: duration,
  sysctls: stringMap,
  tmpfs: stringList,
  tty: bool,
  ulimits,
  volumes,
};
