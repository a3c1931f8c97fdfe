// /containers/{id}/stats (docker stats) and /containers/{id}/archive
// (docker cp: GET a tar, HEAD a stat, PUT a tar in).

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ContainerRecord } from '../../containers/container-record.js';
import { ArchiveError, archiveFromView, encodePathStat, extractIntoView, normalizeArchivePath, openContainerView, statInView, type ArchiveTarget, type ContainerView } from '../../containers/archive.js';
import { lookupInRoot } from '../../containers/archive-path.js';
import { statsOnce, statsStream, type StatsTarget } from '../../containers/stats.js';
import { parseGroup, parsePasswd, resolveUser } from '../../containers/user.js';
import { defaultUnpackBinary } from '../../images/layer-store.js';
import { boolParam, sendJson } from '../http-util.js';
import type { RouteContext, Router } from '../router.js';
import type { EngineServices } from '../services.js';

const PATH_STAT_HEADER = 'X-Docker-Container-Path-Stat';

export interface StatsArchiveOptions {
  /** tsc-unpack (tests may point elsewhere). */
  unpackBinary?: string;
}

export function registerStatsArchiveRoutes(router: Router, s: EngineServices, opts: StatsArchiveOptions = {}): void {
  const c = s.containers;

  const statsTarget = (ref: string) => (): StatsTarget | undefined => {
    let rec: ContainerRecord;
    try { rec = c.find(ref); } catch { return undefined; }
    return {
      id: rec.Id, name: rec.Name, pid: rec.State.Pid, running: rec.State.Running && !rec.State.Restarting,
      hostNetwork: rec.HostConfig.NetworkMode === 'host',
    };
  };

  router.add('GET', '/containers/{id}/stats', async (ctx) => {
    c.find(ctx.params.id); // 404 before any header
    const target = statsTarget(ctx.params.id);
    const res = ctx.res!;
    if (!boolParam(ctx.query, 'stream', true)) {
      const one = await statsOnce(target, boolParam(ctx.query, 'one-shot'), ctx.signal);
      if (!ctx.signal.aborted && one) sendJson(res, 200, one);
      else if (!res.headersSent) sendJson(res, 404, { message: `No such container: ${ctx.params.id}` });
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
    res.flushHeaders();
    for await (const sample of statsStream(target, ctx.signal)) {
      if (res.destroyed) break;
      res.write(JSON.stringify(sample) + '\n');
    }
    res.end();
  });

  const archiveTarget = (ctx: RouteContext): { rec: ContainerRecord; target: ArchiveTarget } => {
    const rec = c.find(ctx.params.id);
    const upper = c.inspect(rec.Id).GraphDriver.Data?.UpperDir;
    const containerDir = upper ? dirname(upper) : join(s.info.root, 'containers', rec.Id);
    const planned = rec.MountPlan?.filter((m) => m.type !== 'tmpfs' && m.source).map((m) => ({ source: m.source, destination: m.destination, readOnly: m.readOnly }));
    const mounts = planned ?? c.inspect(rec.Id).Mounts.filter((m) => m.Source && m.Type !== 'tmpfs').map((m) => ({ source: m.Source, destination: m.Destination, readOnly: !m.RW }));
    return {
      rec,
      target: {
        ref: ctx.params.id, running: rec.State.Running, pid: rec.State.Pid, containerDir, stateRoot: s.info.root,
        layers: () => s.images.rootfsLayers(rec.Image), mounts,
      },
    };
  };

  const withView = async <T>(target: ArchiveTarget, fn: (view: ContainerView) => Promise<T>): Promise<T> => {
    const view = await openContainerView(target);
    try { return await fn(view); } finally { await view.release(); }
  };

  router.add('GET', '/containers/{id}/archive', async (ctx) => {
    const path = normalizeArchivePath(ctx.query.get('path'));
    const { target } = archiveTarget(ctx);
    const res = ctx.res!;
    if (ctx.req.method === 'HEAD') {
      const stat = await withView(target, async (view) => statInView(view, path, ctx.params.id));
      res.writeHead(200, { [PATH_STAT_HEADER]: encodePathStat(stat), 'Content-Type': 'application/json', 'Content-Length': 0 });
      res.end();
      return;
    }
    await withView(target, async (view) => {
      const { stat, tar } = archiveFromView(view, path, ctx.params.id);
      res.writeHead(200, { [PATH_STAT_HEADER]: encodePathStat(stat), 'Content-Type': 'application/x-tar', 'Transfer-Encoding': 'chunked' });
      ctx.signal.addEventListener('abort', () => tar.destroy(), { once: true });
      await new Promise<void>((resolve) => {
        tar.on('error', () => { res.destroy(); resolve(); });
        tar.on('end', () => { res.end(); resolve(); });
        res.on('close', () => resolve());
        tar.pipe(res, { end: false });
      });
    });
  });

  router.add('PUT', '/containers/{id}/archive', async (ctx) => {
    const path = normalizeArchivePath(ctx.query.get('path'));
    const { rec, target } = archiveTarget(ctx);
    const noOverwriteDirNonDir = boolParam(ctx.query, 'noOverwriteDirNonDir');
    const copyUIDGID = boolParam(ctx.query, 'copyUIDGID');
    await withView(target, async (view) => {
      const chownTo = copyUIDGID ? containerUser(view, rec.Config.User ?? '') : undefined;
      await extractIntoView(view, path, ctx.params.id, ctx.req, {
        noOverwriteDirNonDir, chownTo, unpackBinary: opts.unpackBinary ?? defaultUnpackBinary(),
        readOnlyRootfs: rec.HostConfig.ReadonlyRootfs ? { writableMounts: target.mounts.filter((m) => !m.readOnly).map((m) => m.destination) } : undefined,
      });
    });
    ctx.res!.writeHead(200, { 'Content-Length': 0 });
    ctx.res!.end();
  });
}

/** copyUIDGID: the container's configured user, from its own /etc/passwd and /etc/group (read inside the root). */
function containerUser(view: ContainerView, user: string): { uid: number; gid: number } | undefined {
  if (!user) return undefined;
  const read = (p: string): string => {
    try { const f = lookupInRoot(view.root, p, true); try { return readFileSync(f.hostPath, 'utf8'); } finally { f.close(); } } catch { return ''; }
  };
  try {
    const u = resolveUser(user, parsePasswd(read('/etc/passwd')), parseGroup(read('/etc/group')));
    return { uid: u.uid, gid: u.gid };
  } catch (e) {
    throw new ArchiveError(400, (e as Error).message);
  }
}
