// _ping, version, info, events.

import { cpus, hostname, release, totalmem, arch } from 'node:os';
import { readFileSync } from 'node:fs';
import type { EngineEvent, InfoResponse, VersionResponse } from '../../client/types.js';
import { badParameter } from '../api-error.js';
import { eventMatches, validateEventFilters } from '../event-bus.js';
import { filtersParam } from '../http-util.js';
import { sendJson } from '../http-util.js';
import { API_VERSION, MIN_API_VERSION, type Router } from '../router.js';
import type { EngineServices } from '../services.js';
import { parseTimeParam } from '../../containers/json-log.js';

export const ENGINE_VERSION = '0.1.0';

function goArch(): string { return arch() === 'x64' ? 'amd64' : arch(); }

function osName(): string {
  try {
    const m = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(readFileSync('/etc/os-release', 'utf8'));
    return m ? m[1] : 'Linux';
  } catch { return 'Linux'; }
}

function cgroupVersion(): string {
  try { readFileSync('/sys/fs/cgroup/cgroup.controllers'); return '2'; } catch { return '1'; }
}

export function versionBody(): VersionResponse {
  return {
    Platform: { Name: 'tscompose engine' },
    Components: [{ Name: 'Engine', Version: ENGINE_VERSION, Details: { ApiVersion: API_VERSION, MinAPIVersion: MIN_API_VERSION, Os: 'linux', Arch: goArch(), KernelVersion: release() } }],
    Version: ENGINE_VERSION,
    ApiVersion: API_VERSION,
    MinAPIVersion: MIN_API_VERSION,
    GitCommit: '',
    GoVersion: `node ${process.version}`,
    Os: 'linux',
    Arch: goArch(),
    KernelVersion: release(),
    BuildTime: '',
    Experimental: false,
  };
}

export function registerSystemRoutes(router: Router, s: EngineServices): void {
  const ping = (ctx: { res?: import('node:http').ServerResponse; req: import('node:http').IncomingMessage }): void => {
    const res = ctx.res!;
    res.writeHead(200, {
      'Api-Version': API_VERSION, 'Docker-Experimental': 'false', OSType: 'linux', 'Builder-Version': '1', Swarm: 'inactive',
      'Cache-Control': 'no-cache, no-store, must-revalidate', Pragma: 'no-cache', 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': 2,
    });
    res.end(ctx.req.method === 'HEAD' ? undefined : 'OK');
  };
  router.add('GET', '/_ping', ping);

  router.add('GET', '/version', (ctx) => sendJson(ctx.res!, 200, versionBody()));

  router.add('GET', '/info', (ctx) => {
    const all = s.containers.all();
    const running = all.filter((c) => c.State.Running && !c.State.Paused).length;
    const paused = all.filter((c) => c.State.Paused).length;
    const body: InfoResponse = {
      ID: s.info.id, Containers: all.length, ContainersRunning: running, ContainersPaused: paused,
      ContainersStopped: all.length - running - paused, Images: s.images.list().length, Driver: 'overlay2',
      DriverStatus: [['Backing Filesystem', 'overlay'], ['Supports d_type', 'true']],
      DockerRootDir: s.info.root, OperatingSystem: osName(), OSType: 'linux', OSVersion: '', Architecture: arch() === 'x64' ? 'x86_64' : arch(),
      NCPU: cpus().length, MemTotal: totalmem(), Name: hostname(), ServerVersion: ENGINE_VERSION, KernelVersion: release(),
      CgroupDriver: 'cgroupfs', CgroupVersion: cgroupVersion(), DefaultRuntime: s.info.defaultRuntime,
      Runtimes: Object.fromEntries(Object.entries(s.info.runtimes).map(([k, v]) => [k, { path: v }])),
      LoggingDriver: 'json-file', Plugins: { Volume: ['local'], Network: ['bridge', 'host', 'null'], Authorization: null, Log: ['json-file'] },
      MemoryLimit: true, SwapLimit: true, CpuCfsPeriod: true, CpuCfsQuota: true, CPUShares: true, PidsLimit: true, IPv4Forwarding: true,
      Debug: false, NFd: 0, NGoroutines: 0, SystemTime: new Date().toISOString(), NEventsListener: 0, IndexServerAddress: 'https://index.docker.io/v1/',
      RegistryConfig: { InsecureRegistryCIDRs: ['127.0.0.0/8'], IndexConfigs: {}, Mirrors: [] }, Labels: [], ExperimentalBuild: false,
      HttpProxy: '', HttpsProxy: '', NoProxy: '', LiveRestoreEnabled: true, Isolation: '', InitBinary: 'docker-init',
      SecurityOptions: ['name=seccomp,profile=builtin', 'name=no-new-privileges'], Warnings: [],
      Swarm: { NodeID: '', NodeAddr: '', LocalNodeState: 'inactive', ControlAvailable: false, Error: '', RemoteManagers: null },
    };
    sendJson(ctx.res!, 200, body);
  });

  router.add('GET', '/events', (ctx) => {
    const res = ctx.res!;
    const filters = filtersParam(ctx.query);
    validateEventFilters(filters);
    const sinceRaw = ctx.query.get('since');
    const untilRaw = ctx.query.get('until');
    let since: number | undefined;
    let until: number | undefined;
    try {
      since = sinceRaw ? parseTimeParam(sinceRaw) : undefined;
      until = untilRaw ? parseTimeParam(untilRaw) : undefined;
    } catch (e) { throw badParameter((e as Error).message); }
    if (since !== undefined && until !== undefined && since > until) throw badParameter('`since` time cannot be after `until` time');
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
    res.flushHeaders();
    const send = (ev: EngineEvent): void => { if (eventMatches(ev, filters)) res.write(JSON.stringify(ev) + '\n'); };
    if (since !== undefined) for (const ev of s.events.history(since, until ?? Infinity)) send(ev);
    const nowSec = Date.now() / 1000;
    if (until !== undefined && until <= nowSec) { res.end(); return; }
    const unsubscribe = s.events.subscribe((ev) => { if (until === undefined || ev.timeNano / 1e9 <= until) send(ev); });
    const timer = until !== undefined ? setTimeout(() => { unsubscribe(); res.end(); }, (until - nowSec) * 1000) : undefined;
    ctx.signal.addEventListener('abort', () => { unsubscribe(); if (timer) clearTimeout(timer); res.end(); }, { once: true });
  });
}
