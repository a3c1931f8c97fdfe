// The normalized, immutable Project: the JSON shape of compose-go's
// types.Project as printed by `docker compose config --format json`
// (snake_case keys, `published` a string, `target` a number, durations as Go
// duration strings, ...). Every key that normalization fills is here; keys a
// user may add that we only pass through stay typed as `unknown` extensions.
//
// Contract between the loader (compose/load), the normalizer
// (compose/normalize), the graph (compose/graph) and the planner (compose/plan).
// Add fields freely; do not rename or remove them.

export type Extensions = { [key: `x-${string}`]: unknown };

export interface Project {
  readonly name: string;
  /** Absolute path of the project directory. Not printed by `config`. */
  readonly workingDir?: string;
  readonly services: Readonly<Record<string, ServiceConfig>>;
  readonly networks?: Readonly<Record<string, NetworkConfig>>;
  readonly volumes?: Readonly<Record<string, VolumeConfig>>;
  readonly secrets?: Readonly<Record<string, FileObjectConfig>>;
  readonly configs?: Readonly<Record<string, FileObjectConfig>>;
  readonly models?: Readonly<Record<string, Record<string, unknown>>>;
  /** Services disabled by profiles (not printed by `config`). */
  readonly disabledServices?: Readonly<Record<string, ServiceConfig>>;
  readonly [key: `x-${string}`]: unknown;
}

export interface ServiceConfig {
  readonly name?: string;
  readonly image?: string;
  readonly build?: BuildConfig;
  readonly command?: readonly string[] | null;
  readonly entrypoint?: readonly string[] | null;
  readonly environment?: Readonly<Record<string, string | null>>;
  readonly env_file?: readonly EnvFileConfig[];
  readonly labels?: Readonly<Record<string, string>>;
  readonly ports?: readonly ServicePortConfig[];
  readonly expose?: readonly string[];
  readonly volumes?: readonly ServiceVolumeConfig[];
  readonly volumes_from?: readonly string[];
  readonly tmpfs?: readonly string[];
  readonly networks?: Readonly<Record<string, ServiceNetworkConfig | null>>;
  readonly network_mode?: string;
  readonly depends_on?: Readonly<Record<string, ServiceDependency>>;
  readonly links?: readonly string[];
  readonly external_links?: readonly string[];
  readonly extra_hosts?: Readonly<Record<string, string[] | string>>;
  readonly dns?: readonly string[];
  readonly dns_search?: readonly string[];
  readonly dns_opt?: readonly string[];
  readonly healthcheck?: HealthCheckConfig;
  readonly restart?: string;
  readonly deploy?: DeployConfig;
  readonly scale?: number;
  readonly profiles?: readonly string[];
  readonly container_name?: string;
  readonly hostname?: string;
  readonly domainname?: string;
  readonly user?: string;
  readonly working_dir?: string;
  readonly stop_signal?: string;
  /** Go duration string, e.g. "10s", "1m30s". */
  readonly stop_grace_period?: string;
  readonly init?: boolean;
  readonly privileged?: boolean;
  readonly read_only?: boolean;
  readonly stdin_open?: boolean;
  readonly tty?: boolean;
  readonly cap_add?: readonly string[];
  readonly cap_drop?: readonly string[];
  readonly security_opt?: readonly string[];
  readonly sysctls?: Readonly<Record<string, string>>;
  readonly ulimits?: Readonly<Record<string, { soft?: number; hard?: number; single?: number }>>;
  readonly shm_size?: number | string;
  readonly mem_limit?: number | string;
  readonly memswap_limit?: number | string;
  readonly cpus?: number;
  readonly cpu_shares?: number;
  readonly pids_limit?: number;
  readonly ipc?: string;
  readonly pid?: string;
  readonly pull_policy?: string;
  readonly platform?: string;
  readonly logging?: { driver?: string; options?: Record<string, string> };
  readonly secrets?: readonly ServiceFileReference[];
  readonly configs?: readonly ServiceFileReference[];
  readonly [key: string]: unknown;
}

export interface BuildConfig {
  readonly context: string;
  readonly dockerfile?: string;
  readonly dockerfile_inline?: string;
  readonly args?: Readonly<Record<string, string | null>>;
  readonly target?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly [key: string]: unknown;
}

export interface EnvFileConfig { readonly path: string; readonly required: boolean; readonly format?: string }

export interface ServicePortConfig {
  readonly name?: string;
  readonly mode: 'ingress' | 'host' | string;
  readonly host_ip?: string;
  readonly target: number;
  /** A string like compose-go: "8080", "8000-8010", or absent for a random port. */
  readonly published?: string;
  readonly protocol: 'tcp' | 'udp' | 'sctp' | string;
  readonly app_protocol?: string;
}

export interface ServiceVolumeConfig {
  readonly type: 'volume' | 'bind' | 'tmpfs' | 'npipe' | 'cluster' | 'image';
  readonly source?: string;
  readonly target: string;
  readonly read_only?: boolean;
  readonly consistency?: string;
  readonly bind?: { readonly propagation?: string; readonly create_host_path?: boolean; readonly selinux?: string };
  readonly volume?: { readonly nocopy?: boolean; readonly subpath?: string };
  readonly tmpfs?: { readonly size?: number; readonly mode?: number };
  readonly image?: { readonly subpath?: string };
}

export interface ServiceNetworkConfig {
  readonly aliases?: readonly string[];
  readonly ipv4_address?: string;
  readonly ipv6_address?: string;
  readonly priority?: number;
  readonly mac_address?: string;
  readonly [key: string]: unknown;
}

export interface ServiceDependency {
  readonly condition: 'service_started' | 'service_healthy' | 'service_completed_successfully';
  readonly restart?: boolean;
  readonly required: boolean;
}

export interface HealthCheckConfig {
  readonly test?: readonly string[];
  readonly timeout?: string;
  readonly interval?: string;
  readonly retries?: number;
  readonly start_period?: string;
  readonly start_interval?: string;
  readonly disable?: boolean;
}

export interface DeployConfig {
  readonly mode?: string;
  readonly replicas?: number;
  readonly resources?: {
    readonly limits?: { readonly cpus?: string | number; readonly memory?: number; readonly pids?: number };
    readonly reservations?: { readonly cpus?: string | number; readonly memory?: number };
  };
  readonly restart_policy?: { readonly condition?: string; readonly delay?: string; readonly max_attempts?: number; readonly window?: string };
  readonly [key: string]: unknown;
}

export interface ServiceFileReference {
  readonly source: string;
  readonly target?: string;
  readonly uid?: string;
  readonly gid?: string;
  readonly mode?: number;
}

export interface NetworkConfig {
  readonly name: string;
  readonly driver?: string;
  readonly driver_opts?: Readonly<Record<string, string>>;
  readonly ipam?: { readonly driver?: string; readonly config?: readonly { subnet?: string; gateway?: string; ip_range?: string; aux_addresses?: Record<string, string> }[] };
  readonly external?: boolean;
  readonly internal?: boolean;
  readonly attachable?: boolean;
  readonly enable_ipv6?: boolean;
  readonly labels?: Readonly<Record<string, string>>;
  readonly [key: string]: unknown;
}

export interface VolumeConfig {
  readonly name: string;
  readonly driver?: string;
  readonly driver_opts?: Readonly<Record<string, string>>;
  readonly external?: boolean;
  readonly labels?: Readonly<Record<string, string>>;
  readonly [key: string]: unknown;
}

export interface FileObjectConfig {
  readonly name: string;
  readonly file?: string;
  readonly environment?: string;
  readonly content?: string;
  readonly external?: boolean;
  readonly labels?: Readonly<Record<string, string>>;
  readonly [key: string]: unknown;
}

/** Where a value came from, for errors that point at a line. */
export interface SourcePosition { readonly file: string; readonly line: number; readonly column: number }
