// /volumes/...: create, list, inspect, remove, prune — and the Volumes part
// of /system/df — delegated to the volume store. Errors of the store carry
// their status and Docker's message already.

import { badParameter } from '../api-error.js';
import { boolParam, filtersParam, jsonBody, sendEmpty, sendJson } from '../http-util.js';
import { compareVersions, type Router } from '../router.js';
import type { EngineServices } from '../services.js';
import type { VolumeStore } from '../../volumes/index.js';
import { toImageSummary } from '../../images/index.js';

const CREATE_FIELDS: Record<string, 'string' | 'map'> = { Name: 'string', Driver: 'string', DriverOpts: 'map', Labels: 'map' };

/** The create body, checked field by field: Docker answers a wrong type with a 400 naming the field. */
function createBody(raw: unknown): { Name?: string; Driver?: string; DriverOpts?: Record<string, string>; Labels?: Record<string, string> } {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw badParameter('invalid JSON: the volume create body must be a JSON object');
  const body = raw as Record<string, unknown>;
  for (const [k, kind] of Object.entries(CREATE_FIELDS)) {
    const v = body[k];
    if (v === undefined || v === null) continue;
    if (kind === 'string' && typeof v !== 'string') throw badParameter(`invalid JSON: field ${k} must be a string`);
    if (kind === 'map') {
      if (typeof v !== 'object' || Array.isArray(v) || Object.values(v as object).some((x) => typeof x !== 'string')) {
        throw badParameter(`invalid JSON: field ${k} must be an object of strings`);
      }
    }
  }
  return body as ReturnType<typeof createBody>;
}

export function registerVolumeRoutes(router: Router, s: EngineServices): void {
  const store = (): VolumeStore => {
    if (!s.volumes) throw Object.assign(new Error('volumes are not available on this engine'), { statusCode: 501 });
    return s.volumes;
  };

  router.add('POST', '/volumes/create', async (ctx) => {
    const body = createBody(await jsonBody<unknown>(ctx.req));
    sendJson(ctx.res!, 201, store().create(body));
  });

  router.add('GET', '/volumes', (ctx) => {
    const { Volumes, Warnings } = store().list({ filters: filtersParam(ctx.query) });
    sendJson(ctx.res!, 200, { Volumes, Warnings });
  });

  router.add('POST', '/volumes/prune', async (ctx) => {
    const filters = filtersParam(ctx.query);
    // Before API 1.42 prune removed named volumes too; dockerd keeps that for old clients.
    if (compareVersions(ctx.version, '1.42') < 0 && !filters.all) filters.all = ['true'];
    sendJson(ctx.res!, 200, await store().prune({ filters }));
  });

  router.add('GET', '/volumes/{name}', (ctx) => {
    sendJson(ctx.res!, 200, store().inspect(ctx.params.name));
  });

  router.add('DELETE', '/volumes/{name}', async (ctx) => {
    await store().remove(ctx.params.name, { force: boolParam(ctx.query, 'force') });
    sendEmpty(ctx.res!, 204);
  });

  // Disk usage: the engine has no other /system/df, so it answers for images and containers too.
  router.add('GET', '/system/df', (ctx) => {
    const types = ctx.query.getAll('type');
    const want = (t: string): boolean => types.length === 0 || types.includes(t);
    const inUse = new Map<string, number>();
    for (const r of s.containers.all()) inUse.set(r.Image, (inUse.get(r.Image) ?? 0) + 1);
    const images = want('image') ? s.images.list().map((i) => toImageSummary(i, inUse.get(i.Id) ?? 0)) : [];
    sendJson(ctx.res!, 200, {
      LayersSize: images.reduce((n, i) => n + (i.Size ?? 0), 0),
      Images: images,
      Containers: want('container') ? s.containers.list({ all: true }) : [],
      Volumes: want('volume') && s.volumes ? s.volumes.list({ usage: true }).Volumes : [],
      BuildCache: [],
    });
  });
}
