// The example images: which rootfs (build-rootfs.sh NAME) each one starts
// from, which files of this repository go in as a second layer, and the image
// config a `docker build` of the equivalent Dockerfile would have produced.
// One row per image; make-image.ts turns a row into a `docker save` archive.

export type RootfsName = 'mariadb' | 'node' | 'nginx' | 'redis';

export interface ExtraEntry {
  /** Absolute path inside the image. */
  path: string;
  type: 'directory' | 'symlink';
  /** Symlink target. */
  target?: string;
  /** User name from the rootfs's /etc/passwd, or uid[:gid]; default root. */
  owner?: string;
  mode?: number;
}

export interface ImageSpec {
  /** Repository and tag, as `docker images` shows them. */
  ref: string;
  /** Archive file name under <cache>/archives/. */
  archive: string;
  rootfs: RootfsName;
  /** Paths under the rootfs removed from the image (shell globs are not used). */
  remove?: string[];
  /** Repository files or directories (relative to the repo root) → path in the image. */
  add?: Array<{ from: string; to: string; mode?: number }>;
  extra?: ExtraEntry[];
  /** User name resolved against the rootfs's /etc/passwd into uid:gid at build time. */
  user?: string;
  config: {
    Env?: string[];
    Entrypoint?: string[];
    Cmd?: string[];
    WorkingDir?: string;
    ExposedPorts?: string[];
    Volumes?: string[];
    StopSignal?: string;
    Labels?: Record<string, string>;
    Healthcheck?: { Test: string[]; Interval?: number; Timeout?: number; StartPeriod?: number; Retries?: number };
  };
}

const PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const SECOND = 1_000_000_000;
const source = { 'org.opencontainers.image.source': 'tscompose/examples' };

export const IMAGES: readonly ImageSpec[] = [
  {
    ref: 'tscompose-examples/mariadb:10.11',
    archive: 'mariadb-10.11.tar',
    rootfs: 'mariadb',
    add: [{ from: 'examples/images/mariadb/docker-entrypoint.sh', to: '/usr/local/bin/docker-entrypoint.sh', mode: 0o755 }],
    extra: [{ path: '/run/mysqld', type: 'directory', owner: 'mysql', mode: 0o755 }],
    config: {
      Env: [PATH, 'LANG=C.UTF-8'],
      Entrypoint: ['docker-entrypoint.sh'],
      Cmd: ['mariadbd'],
      ExposedPorts: ['3306/tcp'],
      Volumes: ['/var/lib/mysql'],
      Labels: { ...source, 'org.opencontainers.image.title': 'MariaDB 10.11 from Debian bookworm' },
    },
  },
  {
    ref: 'tscompose-examples/guestbook-web:1',
    archive: 'guestbook-web-1.tar',
    rootfs: 'node',
    add: [{ from: 'examples/guestbook/app', to: '/app' }],
    user: 'nobody',
    config: {
      Env: [PATH, 'NODE_ENV=production', 'PORT=8080'],
      Cmd: ['node', 'server.js'],
      WorkingDir: '/app',
      ExposedPorts: ['8080/tcp'],
      Labels: { ...source, 'org.opencontainers.image.title': 'guestbook web app (Node.js)' },
      Healthcheck: {
        Test: ['CMD', 'node', '/app/healthcheck.js'],
        Interval: 5 * SECOND, Timeout: 3 * SECOND, StartPeriod: 5 * SECOND, Retries: 5,
      },
    },
  },
  {
    ref: 'tscompose-examples/queue-app:1',
    archive: 'queue-app-1.tar',
    rootfs: 'node',
    add: [{ from: 'examples/queue/app', to: '/app' }],
    user: 'nobody',
    config: {
      Env: [PATH, 'NODE_ENV=production', 'PORT=8080'],
      Cmd: ['node', 'producer.js'],
      WorkingDir: '/app',
      ExposedPorts: ['8080/tcp'],
      Labels: { ...source, 'org.opencontainers.image.title': 'queue producer API and worker (Node.js)' },
    },
  },
  {
    ref: 'tscompose-examples/nginx:1.22',
    archive: 'nginx-1.22.tar',
    rootfs: 'nginx',
    // Like the official image: logs go to the container's stdout/stderr.
    extra: [
      { path: '/var/log/nginx/access.log', type: 'symlink', target: '/dev/stdout' },
      { path: '/var/log/nginx/error.log', type: 'symlink', target: '/dev/stderr' },
    ],
    config: {
      Env: [PATH],
      Cmd: ['nginx', '-g', 'daemon off;'],
      ExposedPorts: ['80/tcp'],
      StopSignal: 'SIGQUIT',
      Labels: { ...source, 'org.opencontainers.image.title': 'nginx 1.22 from Debian bookworm' },
    },
  },
  {
    ref: 'tscompose-examples/redis:7.0',
    archive: 'redis-7.0.tar',
    rootfs: 'redis',
    extra: [{ path: '/data', type: 'directory', owner: 'redis', mode: 0o755 }],
    user: 'redis',
    config: {
      Env: [PATH],
      // Debian's /etc/redis/redis.conf daemonizes and logs to a file; a
      // container wants neither, so the server runs from flags only.
      Cmd: ['redis-server', '--bind', '0.0.0.0', '--protected-mode', 'no', '--dir', '/data', '--appendonly', 'yes'],
      WorkingDir: '/data',
      ExposedPorts: ['6379/tcp'],
      Volumes: ['/data'],
      Labels: { ...source, 'org.opencontainers.image.title': 'Redis 7.0 from Debian bookworm' },
      Healthcheck: { Test: ['CMD', 'redis-cli', 'ping'], Interval: 5 * SECOND, Timeout: 3 * SECOND, Retries: 5 },
    },
  },
];

export function findImage(nameOrRef: string): ImageSpec | undefined {
  return IMAGES.find((i) => i.ref === nameOrRef || i.archive === nameOrRef || i.ref.split('/')[1]?.split(':')[0] === nameOrRef);
}
