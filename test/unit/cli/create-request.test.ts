// Goldens of the POST /containers/create body built from a normalized service.
import { describe, expect, test } from 'vitest';
import { buildCreateRequest } from '../../../compose/cli/executor/create-request.js';
import { EMPTY_OBSERVED, reconcile } from '../../../compose/plan/index.js';
import type { CreateContainerOp } from '../../../compose/plan/plan.js';
import { loadInline } from './helpers.js';

async function createOp(yaml: string, service: string): Promise<{ op: CreateContainerOp; project: Awaited<ReturnType<typeof loadInline>>['project'] }> {
  const { project } = await loadInline(yaml);
  const plan = reconcile(project, EMPTY_OBSERVED, { pull: 'never' });
  const op = plan.ofKind('CreateContainer').find((o) => o.service === service)!;
  return { op, project };
}

const CTX = { configFiles: ['/srv/app/compose.yaml'], version: '0.1.0', imageId: 'sha256:abc' };

describe('buildCreateRequest', () => {
  test('a service with most keys set', async () => {
    const { op, project } = await createOp(
      `
services:
  web:
    image: nginx:1.27
    command: ["nginx", "-g", "daemon off;"]
    entrypoint: /docker-entrypoint.sh
    environment: {B: "2", A: "1", UNSET: null}
    labels: {team: web}
    ports: ["127.0.0.1:8080:80", "443:443/tcp", "9000/udp"]
    expose: ["3000-3001"]
    volumes:
      - ./html:/usr/share/nginx/html:ro
      - data:/data
      - /cache
      - type: tmpfs
        target: /run/x
        tmpfs: {size: 1048576}
    tmpfs: ["/tmp:size=64m"]
    restart: on-failure:3
    cap_add: [NET_ADMIN]
    cap_drop: [ALL]
    privileged: false
    read_only: true
    shm_size: 64m
    mem_limit: 512m
    cpus: 1.5
    pids_limit: 100
    ulimits: {nofile: {soft: 1024, hard: 2048}, nproc: 65535}
    sysctls: {net.core.somaxconn: "1024"}
    init: true
    security_opt: ["no-new-privileges:true"]
    logging: {driver: json-file, options: {max-size: 10m}}
    extra_hosts: ["host.docker.internal:host-gateway"]
    dns: [1.1.1.1]
    dns_search: [example.com]
    hostname: web
    user: "101:101"
    working_dir: /srv
    stop_signal: SIGQUIT
    stop_grace_period: 1m30s
    healthcheck:
      test: ["CMD", "curl", "-f", "http://localhost"]
      interval: 10s
      timeout: 2s
      retries: 3
      start_period: 5s
volumes:
  data: {}
`,
      'web',
    );
    const { name, body, connectAfter } = buildCreateRequest(op, { project, ...CTX });
    expect(name).toBe('app-web-1');
    expect(connectAfter).toEqual([]);
    expect(body).toMatchSnapshot({ Labels: { ...body.Labels, 'com.docker.compose.config-hash': expect.stringMatching(/^[0-9a-f]{64}$/) } });
  });

  test('labels carry every com.docker.compose key docker compose writes', async () => {
    const { op, project } = await createOp('services:\n  db: {image: redis}\n', 'db');
    const { body } = buildCreateRequest(op, { project, ...CTX });
    expect(body.Labels).toEqual({
      'com.docker.compose.config-hash': expect.stringMatching(/^[0-9a-f]{64}$/),
      'com.docker.compose.container-number': '1',
      'com.docker.compose.depends_on': '',
      'com.docker.compose.image': 'sha256:abc',
      'com.docker.compose.oneoff': 'False',
      'com.docker.compose.project': 'app',
      'com.docker.compose.project.config_files': '/srv/app/compose.yaml',
      'com.docker.compose.project.working_dir': '/srv/app',
      'com.docker.compose.service': 'db',
      'com.docker.compose.version': '0.1.0',
    });
    expect(body.HostConfig).toEqual({ NetworkMode: 'app_default' });
    expect(body.NetworkingConfig).toEqual({ EndpointsConfig: { app_default: { Aliases: ['app-db-1', 'db'] } } });
  });

  test('network_mode service: and volumes_from point at the first container of that service', async () => {
    const { op, project } = await createOp(
      `
services:
  vpn: {image: vpn}
  app:
    image: app
    network_mode: service:vpn
    volumes_from: [vpn:ro]
    ipc: service:vpn
`,
      'app',
    );
    const { body } = buildCreateRequest(op, { project, ...CTX });
    expect(body.HostConfig).toEqual({ NetworkMode: 'container:app-vpn-1', IpcMode: 'container:app-vpn-1', VolumesFrom: ['app-vpn-1:ro'] });
    expect(body.NetworkingConfig).toBeUndefined();
  });

  test('a replacement keeps the anonymous volumes of the container it replaces', async () => {
    const { op, project } = await createOp('services:\n  db: {image: postgres, volumes: [/var/lib/postgresql/data]}\n', 'db');
    const anon = 'a'.repeat(64);
    const { body } = buildCreateRequest(op, {
      project,
      ...CTX,
      inheritedMounts: [
        { Type: 'volume', Name: anon, Source: '', Destination: '/var/lib/postgresql/data', Mode: '', RW: true, Propagation: '' },
        { Type: 'volume', Name: 'b'.repeat(64), Source: '', Destination: '/from-image', Mode: '', RW: true, Propagation: '' },
      ],
    });
    expect(body.HostConfig?.Mounts).toEqual([
      { Type: 'volume', Target: '/var/lib/postgresql/data', Source: anon },
      { Type: 'volume', Source: 'b'.repeat(64), Target: '/from-image' },
    ]);
  });

  test('file secrets and configs are read-only binds; devices and cpu limits pass through', async () => {
    const { op, project } = await createOp(
      `
services:
  db:
    image: mariadb
    secrets: [db_password, {source: tls, target: /etc/tls.pem}]
    configs: [my_cnf]
    devices: ["/dev/fuse"]
    cpuset: "0,1"
    cpu_quota: 50000
secrets:
  db_password: {file: ./password.txt}
  tls: {file: /etc/ssl/tls.pem}
configs:
  my_cnf: {file: ./my.cnf}
`,
      'db',
    );
    const { body } = buildCreateRequest(op, { project, ...CTX });
    expect(body.HostConfig?.Binds).toEqual(['/srv/app/password.txt:/run/secrets/db_password:ro', '/etc/ssl/tls.pem:/etc/tls.pem:ro', '/srv/app/my.cnf:/my_cnf:ro']);
    expect(body.HostConfig?.Devices).toEqual([{ PathOnHost: '/dev/fuse', PathInContainer: '/dev/fuse', CgroupPermissions: 'rwm' }]);
    expect(body.HostConfig).toMatchObject({ CpusetCpus: '0,1', CpuQuota: 50000 });
  });

  test('one-off containers are not aliased by their service name', async () => {
    const { project } = await loadInline('services:\n  tool: {image: busybox}\n');
    const plan = reconcile(project, EMPTY_OBSERVED, { pull: 'never', services: ['tool'], oneoff: { service: 'tool', slug: 'f'.repeat(64), autoRemove: true } });
    const op = plan.ofKind('CreateContainer').find((o) => o.oneoff)!;
    const { name, body } = buildCreateRequest(op, { project, ...CTX });
    expect(name).toBe('app-tool-run-ffffffffffff');
    expect(body.HostConfig?.AutoRemove).toBe(true);
    expect(body.NetworkingConfig?.EndpointsConfig?.app_default.Aliases).toEqual(['app-tool-run-ffffffffffff']);
  });
});
