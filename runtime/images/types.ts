// Shapes shared by the image store and its callers (the engine's image
// routes). Field names follow the Docker Engine API so that the engine can
// hand them out almost unchanged.

/** The part of an OCI / Docker image config that containers are built from. */
export interface ImageConfig {
  User?: string;
  Env?: string[];
  Cmd?: string[] | null;
  Entrypoint?: string[] | null;
  WorkingDir?: string;
  ExposedPorts?: Record<string, object>;
  Volumes?: Record<string, object>;
  Labels?: Record<string, string> | null;
  StopSignal?: string;
  Healthcheck?: {
    Test?: string[];
    Interval?: number;
    Timeout?: number;
    StartPeriod?: number;
    StartInterval?: number;
    Retries?: number;
  };
  Shell?: string[];
  OnBuild?: string[] | null;
  ArgsEscaped?: boolean;
  [key: string]: unknown;
}

/** The image config blob as stored (`application/vnd.oci.image.config.v1+json`). */
export interface ImageConfigBlob {
  architecture: string;
  os: string;
  variant?: string;
  created?: string;
  author?: string;
  comment?: string;
  config?: ImageConfig;
  rootfs: { type: 'layers'; diff_ids: string[] };
  history?: Array<{ created?: string; created_by?: string; comment?: string; empty_layer?: boolean; author?: string }>;
  [key: string]: unknown;
}

/**
 * One image as the store knows it, shaped like Docker's `images/{name}/json`.
 * `Id` is the config digest (`sha256:<64 hex>`), as in Docker.
 */
export interface ImageRecord {
  Id: string;
  /** Familiar names: `nginx:latest`, `127.0.0.1:5000/app:v1`. */
  RepoTags: string[];
  /** `nginx@sha256:<manifest digest>` for images that came from a registry. */
  RepoDigests: string[];
  Parent: string;
  Comment: string;
  /** RFC 3339 from the config (`created`); '' when the config has none. */
  Created: string;
  Author: string;
  DockerVersion: string;
  Architecture: string;
  Variant?: string;
  Os: string;
  /** Sum of the unpacked sizes of the layers, in bytes. */
  Size: number;
  VirtualSize: number;
  Config: ImageConfig;
  RootFS: { Type: 'layers'; Layers: string[] };
  Metadata: { LastTagTime: string };
  /** Digest of the manifest the image was pulled or loaded with (not a Docker field). */
  ManifestDigest?: string;
}

/** One row of Docker's `GET /images/json`. */
export interface ImageSummary {
  Id: string;
  ParentId: string;
  RepoTags: string[];
  RepoDigests: string[];
  /** Unix seconds. */
  Created: number;
  Size: number;
  SharedSize: number;
  VirtualSize: number;
  Labels: Record<string, string>;
  Containers: number;
}

/**
 * Pull / load progress, one JSON line of Docker's `images/create` stream each.
 * Examples:
 *   {status: 'Pulling from library/nginx', id: 'latest'}
 *   {status: 'Pulling fs layer', id: '1a2b3c4d5e6f'}
 *   {status: 'Downloading', progressDetail: {current: 1024, total: 4096}, progress: '[=>   ] 1kB/4kB', id: '1a2b3c4d5e6f'}
 *   {status: 'Verifying Checksum', id}  {status: 'Download complete', id}
 *   {status: 'Extracting', progressDetail: {current, total}, id}
 *   {status: 'Pull complete', id}  {status: 'Already exists', id}
 *   {status: 'Digest: sha256:...'}
 *   {status: 'Status: Downloaded newer image for nginx:latest'}
 *   {status: 'Status: Image is up to date for nginx:latest'}
 *   {status: 'Loading layer', progressDetail, id}  (load)
 */
export interface PullProgress {
  status: string;
  id?: string;
  progressDetail?: { current?: number; total?: number };
  progress?: string;
}

export type RegistryAuth =
  | { username: string; password: string; serveraddress?: string }
  | { identitytoken: string; serveraddress?: string };

export interface PullOptions {
  /** Credentials given with the request (X-Registry-Auth); else ~/.docker/config.json. */
  auth?: RegistryAuth;
  onProgress?: (ev: PullProgress) => void;
  signal?: AbortSignal;
  /** `os/arch[/variant]`; default this host's (linux/amd64 or linux/arm64). */
  platform?: string;
}

export interface RemoveOptions {
  /** Remove even when tagged more than once; untag all. */
  force?: boolean;
  /** Keep untagged parents (accepted for API compatibility; layers are always GC'd by refcount). */
  noprune?: boolean;
}

export interface RemoveResult {
  /** Familiar references untagged (`nginx:latest`, `nginx@sha256:...`). */
  untagged: string[];
  /** Ids deleted: the image id, then the chain ids of the layers freed. */
  deleted: string[];
}

export interface PruneOptions {
  /** false (default): only dangling (untagged) images; true: every image not in use. */
  all?: boolean;
  /** Docker's `label=` / `label!=` filters, `until=`. */
  filters?: { label?: string[]; 'label!'?: string[]; until?: string[]; dangling?: string[] };
}

export interface PruneResult {
  ImagesDeleted: Array<{ Untagged?: string; Deleted?: string }>;
  SpaceReclaimed: number;
}

export interface ImportOptions {
  /** Tag to give the imported image (`docker import - repo:tag`). */
  ref?: string;
  /** Dockerfile-like changes: `CMD ["sh"]`, `ENV A=b`, `WORKDIR /x`, `EXPOSE 80`, … */
  changes?: string[];
  /** Commit message, stored as the config's `comment`. */
  message?: string;
  platform?: string;
  onProgress?: (ev: PullProgress) => void;
}

export interface StoreOptions {
  /** Registries (host[:port]) reached over plain http; localhost/127.0.0.1/[::1] always are. */
  insecureRegistries?: string[];
  /**
   * Called by remove/prune: a container using the image (running or not), or
   * undefined. The engine supplies it. An image used by a running container
   * is never removed (409, "cannot be forced"); by a stopped one only untagged
   * with force (its layers stay for the container); prune skips both.
   */
  imageInUse?: (imageId: string) => { containerId: string; running: boolean } | undefined;
  /** Home whose `.docker/config.json` gives credentials; default os.homedir(). */
  dockerConfigDir?: string;
  /** Path of the tsc-unpack binary; default native/build/tsc-unpack of this checkout. */
  unpackBinary?: string;
  /** Allow device nodes in layers (only effective as root). Default true as in Docker. */
  allowDevices?: boolean;
  /**
   * Flush unpacked layers to disk (one syncfs per pull/load/import) before
   * the image that uses them is recorded. Default true. false is what
   * Docker's overlay2 does: faster, but a power loss (not a process crash)
   * can leave a recorded layer with lost file data.
   */
  durable?: boolean;
  /** Parallel layer downloads. Default 3. */
  maxConcurrentDownloads?: number;
  /**
   * Docker's certs.d: `<certsDir>/<host[:port]>/*.crt` are CAs trusted for
   * that registry (with `*.cert` + `*.key` a client certificate); a registry
   * with such a folder is reached over verified https, even a loopback one.
   * Default: env TSCOMPOSE_CERTS_D, else /etc/docker/certs.d.
   */
  certsDir?: string;
}

/** What `ImageStore.fetch` stored. */
export interface FetchResult {
  /** The manifest (or index) digest of the reference. */
  manifestDigest: string;
  configDigest: string;
  /** Layer blob digests, in manifest order. */
  layers: string[];
  /** Layer bytes downloaded (0 when every blob was already stored). */
  downloaded: number;
}
