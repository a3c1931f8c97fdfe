// The printed shape of a Project, as compose-go's Go structs define it: key
// order is struct field order, mappings are printed with sorted keys, and
// Go's `omitempty` drops zero values except where the field is a pointer or
// a plain struct (those print even when false, 0 or empty).

export interface StructShape {
  readonly kind: 'struct';
  readonly order: readonly string[];
  readonly fields?: Readonly<Record<string, Shape>>;
  /** Fields printed even when zero (pointers, fields without omitempty). */
  readonly keep?: readonly string[];
  /** Plain (non-pointer) struct fields: Go's JSON prints them empty, yaml.v3's omitempty drops them. */
  readonly keepInJson?: readonly string[];
  /** Fields never printed for this value (compose-go's custom marshallers hide them). */
  readonly hide?: (value: Readonly<Record<string, unknown>>) => readonly string[];
}
export interface MapShape { readonly kind: 'map'; readonly value?: Shape }
export interface ListShape { readonly kind: 'list'; readonly item?: Shape }
/** A value with its own printer (Go MarshalJSON/MarshalYAML). */
export interface CustomShape { readonly kind: 'custom'; readonly print: (value: unknown, format: Format) => unknown }
export type Shape = StructShape | MapShape | ListShape | CustomShape;
export type Format = 'json' | 'yaml';

const struct = (order: readonly string[], fields: Record<string, Shape> = {}, keep: readonly string[] = [], keepInJson: readonly string[] = []): StructShape => ({
  kind: 'struct',
  order,
  fields,
  keep,
  keepInJson,
});
const map = (value?: Shape): MapShape => ({ kind: 'map', value });
const list = (item?: Shape): ListShape => ({ kind: 'list', item });
const custom = (print: CustomShape['print']): CustomShape => ({ kind: 'custom', print });

/** Go prints file modes as octal strings: 0440 -> "0440". */
const fileMode = custom((v) => (typeof v === 'number' ? `0${v.toString(8)}` : v));
/** compose-go's UnitBytes prints as a string of digits, so the output validates as compose input again. */
const unitBytes = custom((v) => (typeof v === 'number' ? String(v) : v));
/** HostsList prints as sorted `host=ip` lines. */
const hostsList = custom((v) => {
  if (Array.isArray(v)) return v;
  const lines: string[] = [];
  for (const [host, ips] of Object.entries((v ?? {}) as Record<string, string[] | string>)) {
    for (const ip of Array.isArray(ips) ? ips : [ips]) lines.push(`${host}=${ip}`);
  }
  return lines.sort();
});
/** A ulimit set to one number prints as that number. */
const ulimit = custom((v) => {
  const u = v as { single?: number; soft?: number; hard?: number };
  if (u && typeof u === 'object' && u.single !== undefined && u.single !== 0) return u.single;
  return { soft: u?.soft ?? 0, hard: u?.hard ?? 0 };
});

const fileReference = struct(['source', 'target', 'uid', 'gid', 'mode'], { mode: fileMode }, ['mode']);
const updateConfig = struct(['parallelism', 'delay', 'failure_action', 'monitor', 'max_failure_ratio', 'order'], {}, ['parallelism']);
const deviceRequest = struct(['capabilities', 'driver', 'count', 'device_ids', 'options']);
const resource = struct(['cpus', 'memory', 'pids', 'devices', 'generic_resources'], {
  memory: unitBytes,
  devices: list(deviceRequest),
  generic_resources: list(struct(['discrete_resource_spec'], { discrete_resource_spec: struct(['kind', 'value'], {}, ['kind', 'value']) })),
});
const hook = struct(['command', 'user', 'privileged', 'working_dir', 'environment'], { environment: map() });

export const BUILD = struct(
  ['context', 'dockerfile', 'dockerfile_inline', 'entitlements', 'args', 'provenance', 'sbom', 'ssh', 'labels', 'cache_from', 'cache_to',
    'no_cache', 'no_cache_filter', 'additional_contexts', 'pull', 'extra_hosts', 'isolation', 'network', 'target', 'secrets', 'shm_size',
    'tags', 'ulimits', 'platforms', 'privileged'],
  { args: map(), labels: map(), additional_contexts: map(), extra_hosts: hostsList, secrets: list(fileReference), shm_size: unitBytes, ulimits: map(ulimit) },
);

export const SERVICE = struct(
  ['profiles', 'annotations', 'attach', 'build', 'develop', 'blkio_config', 'cap_add', 'cap_drop', 'cgroup_parent', 'cgroup',
    'cpu_count', 'cpu_percent', 'cpu_period', 'cpu_quota', 'cpu_rt_period', 'cpu_rt_runtime', 'cpus', 'cpuset', 'cpu_shares',
    'command', 'configs', 'container_name', 'credential_spec', 'depends_on', 'deploy', 'device_cgroup_rules', 'devices', 'dns',
    'dns_opt', 'dns_search', 'dockerfile', 'domainname', 'entrypoint', 'provider', 'environment', 'env_file', 'expose', 'extends',
    'external_links', 'extra_hosts', 'group_add', 'gpus', 'hostname', 'healthcheck', 'image', 'init', 'ipc', 'isolation', 'labels',
    'label_file', 'links', 'logging', 'log_driver', 'log_opt', 'mem_limit', 'mem_reservation', 'memswap_limit', 'mem_swappiness',
    'mac_address', 'models', 'net', 'network_mode', 'networks', 'oom_kill_disable', 'oom_score_adj', 'pid', 'pids_limit', 'platform',
    'ports', 'privileged', 'pull_policy', 'read_only', 'restart', 'runtime', 'scale', 'secrets', 'security_opt', 'shm_size',
    'stdin_open', 'stop_grace_period', 'stop_signal', 'storage_opt', 'sysctls', 'tmpfs', 'tty', 'ulimits', 'use_api_socket', 'user',
    'userns_mode', 'uts', 'volume_driver', 'volumes', 'volumes_from', 'working_dir', 'pre_start', 'post_start', 'pre_stop'],
  {
    annotations: map(),
    build: BUILD,
    configs: list(fileReference),
    depends_on: map(struct(['condition', 'restart', 'required'], {}, ['required'])),
    deploy: struct(
      ['mode', 'replicas', 'labels', 'update_config', 'rollback_config', 'resources', 'restart_policy', 'placement', 'endpoint_mode'],
      {
        labels: map(),
        update_config: updateConfig,
        rollback_config: updateConfig,
        resources: struct(['limits', 'reservations'], { limits: resource, reservations: resource }),
        restart_policy: struct(['condition', 'delay', 'max_attempts', 'window'], {}, ['max_attempts']),
        placement: struct(['constraints', 'preferences', 'max_replicas_per_node']),
      },
      ['replicas'],
      ['resources', 'placement'],
    ),
    devices: list(struct(['source', 'target', 'permissions'])),
    environment: map(),
    env_file: list(struct(['path', 'required', 'format'], {}, ['required'])),
    extends: struct(['file', 'service']),
    extra_hosts: hostsList,
    gpus: list(deviceRequest),
    healthcheck: struct(['test', 'timeout', 'interval', 'retries', 'start_period', 'start_interval', 'disable'], {}, ['retries']),
    labels: map(),
    logging: struct(['driver', 'options'], { options: map() }),
    mem_limit: unitBytes,
    mem_reservation: unitBytes,
    memswap_limit: unitBytes,
    mem_swappiness: unitBytes,
    shm_size: unitBytes,
    networks: map(struct(
      ['aliases', 'driver_opts', 'gw_priority', 'interface_name', 'ipv4_address', 'ipv6_address', 'link_local_ips', 'mac_address', 'priority'],
      { driver_opts: map() },
    )),
    ports: list(struct(['name', 'mode', 'host_ip', 'target', 'published', 'protocol', 'app_protocol'])),
    secrets: list(fileReference),
    sysctls: map(),
    ulimits: map(ulimit),
    volumes: list(struct(['type', 'source', 'target', 'read_only', 'consistency', 'bind', 'volume', 'tmpfs', 'image'], {
      bind: struct(['selinux', 'propagation', 'create_host_path', 'recursive']),
      volume: struct(['labels', 'nocopy', 'subpath'], { labels: map() }),
      tmpfs: struct(['size', 'mode'], { size: unitBytes }),
      image: struct(['subpath']),
    }, ['bind', 'volume', 'tmpfs', 'image'])),
    pre_start: list(hook),
    post_start: list(hook),
    pre_stop: list(hook),
  },
  // command/entrypoint: [] (clear the image's) differs from unset.
  ['attach', 'init', 'scale', 'command', 'entrypoint', 'build', 'deploy', 'healthcheck', 'logging', 'develop', 'blkio_config', 'credential_spec', 'extends', 'provider'],
);

export const NETWORK = struct(
  ['name', 'driver', 'driver_opts', 'ipam', 'external', 'internal', 'attachable', 'labels', 'enable_ipv4', 'enable_ipv6'],
  {
    driver_opts: map(),
    labels: map(),
    ipam: struct(['driver', 'config', 'options'], {
      config: list(struct(['subnet', 'gateway', 'ip_range', 'aux_addresses'], { aux_addresses: map() })),
      options: map(),
    }),
  },
  ['enable_ipv4', 'enable_ipv6'],
  ['ipam'],
);
export const VOLUME = struct(['name', 'driver', 'driver_opts', 'external', 'labels'], { driver_opts: map(), labels: map() });
const FILE_OBJECT_KEYS = ['name', 'file', 'environment', 'content', 'external', 'labels', 'driver', 'driver_opts', 'template_driver'];
/** A secret's value is loaded for the engine but never printed. */
export const SECRET: StructShape = { ...struct(FILE_OBJECT_KEYS, { labels: map(), driver_opts: map() }), hide: () => ['content'] };
/** A config read from the environment prints where it comes from, not its content. */
export const CONFIG: StructShape = {
  ...struct(FILE_OBJECT_KEYS, { labels: map(), driver_opts: map() }),
  hide: (v) => (v.environment !== undefined ? ['content'] : []),
};

/** YAML follows the struct order; JSON is built from a Go map, so its top-level keys come sorted. */
export const PROJECT = struct(['name', 'services', 'networks', 'volumes', 'secrets', 'configs', 'models'], {
  services: map(SERVICE),
  networks: map(NETWORK),
  volumes: map(VOLUME),
  secrets: map(SECRET),
  configs: map(CONFIG),
  models: map(),
});
