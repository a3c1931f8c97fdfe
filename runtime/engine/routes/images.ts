// /images/...: pull and import (images/create), list, inspect, tag, remove,
// load, save (get), prune — delegated to the image store.

import type { ServerResponse } from 'node:http';
import { toImageInspect, toImageSummary, decodeRegistryAuthHeader, type PullProgress } from '../../images/index.js';
import { badParameter, notFound, toApiError } from '../api-error.js';
import { boolParam, filtersParam, sendJson } from '../http-util.js';
import type { RouteContext, Router } from '../router.js';
import type { EngineServices } from '../services.js';

/**
 * A JSON-lines progress answer that starts only with the first line: an
 * error before that is a proper HTTP status (404 for an unknown image, as
 * the docker CLI expects); an error after it is an in-band errorDetail line.
 */
class ProgressStream {
  private started = false;
  constructor(private readonly res: ServerResponse) {}
  write = (ev: PullProgress | Record<string, unknown>): void => {
    if (!this.started) {
      this.started = true;
      this.res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
    }
    this.res.write(JSON.stringify(ev) + '\r\n');
  };
  fail(err: unknown): void {
    if (!this.started) throw err;
    const { message } = toApiError(err);
    this.res.write(JSON.stringify({ errorDetail: { message }, error: message }) + '\r\n');
  }
  end(): void {
    if (!this.started) { this.res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': 0 }); }
    this.res.end();
  }
}

function imageNotFound(name: string): never { throw notFound(`No such image: ${name}`); }

export function registerImageRoutes(router: Router, s: EngineServices): void {
  const store = s.images;
  const emit = (action: string, id: string, attrs: Record<string, string> = {}): void => { s.events.publish('image', action, id, attrs); };

  router.add('POST', '/images/create', async (ctx) => {
    const q = ctx.query;
    const fromImage = q.get('fromImage');
    const fromSrc = q.get('fromSrc');
    const progress = new ProgressStream(ctx.res!);
    if (fromSrc !== null) {
      if (fromSrc !== '-') throw badParameter('importing from a URL is not supported: use fromSrc=- and send the tar in the body');
      const repo = q.get('repo') ?? '';
      const tag = q.get('tag') ?? '';
      const ref = repo ? (tag ? `${repo}:${tag}` : repo) : undefined;
      try {
        const changes = q.getAll('changes').flatMap((c) => c.split('\n')).filter(Boolean);
        const img = await store.importRootfs(ctx.req, { ref, changes, message: q.get('message') ?? undefined, platform: q.get('platform') ?? undefined, onProgress: progress.write });
        emit('import', img.Id, { name: ref ?? img.Id });
      } catch (err) { progress.fail(err); }
      progress.end();
      return;
    }
    if (!fromImage) throw badParameter('fromImage or fromSrc is required');
    const tag = q.get('tag');
    const ref = tag ? (tag.startsWith('sha256:') ? `${fromImage}@${tag}` : `${fromImage}:${tag}`) : fromImage;
    const authHeader = ctx.req.headers['x-registry-auth'];
    const auth = typeof authHeader === 'string' && authHeader ? decodeRegistryAuthHeader(authHeader) : undefined;
    try {
      const img = await store.pull(ref, { auth, onProgress: progress.write, signal: ctx.signal, platform: q.get('platform') || undefined });
      emit('pull', img.Id, { name: ref });
    } catch (err) { progress.fail(err); }
    progress.end();
  });

  router.add('GET', '/images/json', (ctx) => {
    const filters = filtersParam(ctx.query);
    for (const k of Object.keys(filters)) {
      if (!['dangling', 'label', 'before', 'since', 'reference', 'until'].includes(k)) throw badParameter(`invalid filter '${k}'`);
    }
    const inUse = new Map<string, number>();
    for (const r of s.containers.all()) inUse.set(r.Image, (inUse.get(r.Image) ?? 0) + 1);
    let images = store.list();
    if (filters.dangling?.length) {
      const want = filters.dangling[0] === 'true' || filters.dangling[0] === '1';
      images = images.filter((i) => (i.RepoTags.length === 0) === want);
    }
    for (const l of filters.label ?? []) {
      const eq = l.indexOf('=');
      images = images.filter((i) => { const labels = i.Config.Labels ?? {}; return eq < 0 ? l in labels : labels[l.slice(0, eq)] === l.slice(eq + 1); });
    }
    if (filters.reference?.length) {
      const pats = filters.reference.map((p) => new RegExp(`^${p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '.')}$`));
      images = images.filter((i) => i.RepoTags.some((t) => pats.some((re) => re.test(t) || re.test(t.replace(/:[^:/]+$/, '')))));
    }
    sendJson(ctx.res!, 200, images.map((i) => toImageSummary(i, inUse.get(i.Id) ?? 0)));
  });

  router.add('POST', '/images/load', async (ctx) => {
    const progress = new ProgressStream(ctx.res!);
    const quiet = boolParam(ctx.query, 'quiet');
    try {
      const loaded = await store.load(ctx.req, quiet ? undefined : progress.write);
      for (const img of loaded) {
        const names = img.RepoTags.length ? img.RepoTags : [img.Id];
        for (const n of names) progress.write({ stream: `Loaded image${img.RepoTags.length ? '' : ' ID'}: ${n}\n` });
        emit('load', img.Id, { name: names[0] });
      }
    } catch (err) { progress.fail(err); }
    progress.end();
  });

  const save = async (ctx: RouteContext, names: string[]): Promise<void> => {
    if (!names.length) throw badParameter('no images named: use names=IMAGE');
    for (const n of names) if (!store.inspect(n)) imageNotFound(n);
    const res = ctx.res!;
    res.writeHead(200, { 'Content-Type': 'application/x-tar', 'Transfer-Encoding': 'chunked' });
    try {
      await store.save(names, res);
      for (const n of names) emit('save', store.inspect(n)?.Id ?? n, { name: n });
    } catch {
      res.destroy();
      return;
    }
    if (!res.writableEnded) res.end();
  };
  router.add('GET', '/images/get', (ctx) => save(ctx, ctx.query.getAll('names').flatMap((n) => n.split(',')).filter(Boolean)));
  router.add('GET', '/images/{name*}/get', (ctx) => save(ctx, [ctx.params.name]));

  router.add('POST', '/images/prune', async (ctx) => {
    const filters = filtersParam(ctx.query);
    for (const k of Object.keys(filters)) {
      if (!['dangling', 'label', 'label!', 'until'].includes(k)) throw badParameter(`invalid filter '${k}'`);
    }
    const all = filters.dangling?.[0] === 'false' || filters.dangling?.[0] === '0';
    const result = await store.prune({ all, filters: { label: filters.label, 'label!': filters['label!'], until: filters.until } });
    for (const d of result.ImagesDeleted ?? []) if (d.Deleted) emit('delete', d.Deleted);
    emit('prune', '', { reclaimed: String(result.SpaceReclaimed) });
    sendJson(ctx.res!, 200, { ImagesDeleted: result.ImagesDeleted?.length ? result.ImagesDeleted : null, SpaceReclaimed: result.SpaceReclaimed });
  });

  router.add('GET', '/images/{name*}/json', async (ctx) => {
    const img = store.inspect(ctx.params.name) ?? imageNotFound(ctx.params.name);
    const layers = await store.rootfsLayers(img.Id).catch(() => [] as string[]);
    sendJson(ctx.res!, 200, toImageInspect(img, layers));
  });

  router.add('GET', '/images/{name*}/history', (ctx) => {
    const img = store.inspect(ctx.params.name) ?? imageNotFound(ctx.params.name);
    if (store.history) { sendJson(ctx.res!, 200, store.history(img.Id)); return; }
    const created = img.Created ? Math.floor(Date.parse(img.Created) / 1000) : 0;
    sendJson(ctx.res!, 200, [{ Id: img.Id, Created: created, CreatedBy: '', Tags: img.RepoTags, Size: img.Size, Comment: img.Comment }]);
  });

  router.add('POST', '/images/{name*}/tag', async (ctx) => {
    const repo = ctx.query.get('repo');
    if (!repo) throw badParameter('repository name must have at least one component');
    const tag = ctx.query.get('tag');
    const img = store.inspect(ctx.params.name) ?? imageNotFound(ctx.params.name);
    const target = tag ? `${repo}:${tag}` : repo;
    await store.tag(ctx.params.name, target);
    emit('tag', img.Id, { name: target });
    ctx.res!.writeHead(201, { 'Content-Length': 0 });
    ctx.res!.end();
  });

  router.add('DELETE', '/images/{name*}', async (ctx) => {
    const name = ctx.params.name;
    const img = store.inspect(name) ?? imageNotFound(name);
    const force = boolParam(ctx.query, 'force');
    const byId = img.Id === name || img.Id === `sha256:${name}` || (/^[0-9a-f]+$/.test(name) && img.Id.startsWith(`sha256:${name}`));
    const user = s.containers.all().find((r) => r.Image === img.Id);
    // Docker refuses to drop the last name of an image a container uses unless forced (the store would only untag).
    if (!byId && !force && user && img.RepoTags.length <= 1) {
      throw Object.assign(new Error(`conflict: unable to remove repository reference "${name}" (must force) - container ${user.Id.slice(0, 12)} is using its referenced image ${img.Id.replace('sha256:', '').slice(0, 12)}`), { statusCode: 409 });
    }
    const result = await store.remove(name, { force, noprune: boolParam(ctx.query, 'noprune') });
    const items = [...result.untagged.map((u) => ({ Untagged: u })), ...result.deleted.map((d) => ({ Deleted: d }))];
    for (const u of result.untagged) emit('untag', img.Id, { name: u });
    if (result.deleted.length) emit('delete', img.Id, { name });
    sendJson(ctx.res!, 200, items);
  });
}
