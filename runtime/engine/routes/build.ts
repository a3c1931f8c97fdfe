// POST /build (the classic builder, as `DOCKER_BUILDKIT=0 docker build`
// and compose use it) and POST /build/prune, over runtime/build.
// The body is the context tar; the answer a JSON-lines stream of
// `{"stream": "Step 1/3 : FROM ..."}` lines, `{"aux": {"ID": "sha256:..."}}`
// and, on failure after the stream started, `{"error", "errorDetail"}`.

import type { ServerResponse } from 'node:http';
import { decodeRegistryAuthHeader, type RegistryAuth } from '../../images/index.js';
import { ApiError, badParameter, toApiError } from '../api-error.js';
import { boolParam, sendJson } from '../http-util.js';
import type { Router } from '../router.js';
import type { EngineServices } from '../services.js';

/** Starts the 200 answer with the first line, so an error before any output is a plain HTTP error. */
class BuildStream {
  private started = false;
  constructor(private readonly res: ServerResponse) {}
  get isStarted(): boolean { return this.started; }
  write = (msg: object): void => {
    if (!this.started) {
      this.started = true;
      this.res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
    }
    this.res.write(JSON.stringify(msg) + '\r\n');
  };
  fail(message: string): void {
    this.write({ errorDetail: { message }, error: message });
  }
}

function jsonParam<T>(q: URLSearchParams, name: string): T | undefined {
  const raw = q.get(name);
  if (raw === null || raw === '') return undefined;
  try {
    return JSON.parse(raw) as T;
  } catch {
    throw badParameter(`invalid ${name}: not JSON: ${raw.slice(0, 100)}`);
  }
}

/** X-Registry-Config: base64 JSON of credentials by registry host. */
function registryConfig(header: string | string[] | undefined): Record<string, RegistryAuth> | undefined {
  if (typeof header !== 'string' || !header) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(header.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8'));
  } catch {
    return undefined;
  }
  if (!parsed || typeof parsed !== 'object') return undefined;
  const out: Record<string, RegistryAuth> = {};
  for (const [host, v] of Object.entries(parsed as Record<string, unknown>)) {
    const auth = decodeRegistryAuthHeader(Buffer.from(JSON.stringify(v)).toString('base64'));
    if (auth) out[host.replace(/^https?:\/\//, '').replace(/\/.*$/, '')] = auth;
  }
  return out;
}

export function registerBuildRoutes(router: Router, s: EngineServices): void {
  router.add('POST', '/build', async (ctx) => {
    const builder = s.builder;
    if (!builder) throw new ApiError(501, 'this engine has no builder (it runs without an image store of its own)');
    const q = ctx.query;
    if (q.get('version') === '2') throw badParameter('BuildKit is not supported by this engine: build with the classic builder (DOCKER_BUILDKIT=0)');
    if (q.get('remote')) throw badParameter('building from a remote context (URL or git repository) is not supported: send the context as a tar');
    const stream = new BuildStream(ctx.res!);
    try {
      await builder.build({
        context: ctx.req,
        dockerfile: q.get('dockerfile') || undefined,
        tags: q.getAll('t').filter(Boolean),
        buildArgs: jsonParam<Record<string, string | null>>(q, 'buildargs'),
        labels: jsonParam<Record<string, string>>(q, 'labels'),
        target: q.get('target') || undefined,
        noCache: boolParam(q, 'nocache'),
        pull: boolParam(q, 'pull'),
        rm: boolParam(q, 'rm', true),
        forceRm: boolParam(q, 'forcerm'),
        quiet: boolParam(q, 'q'),
        networkMode: q.get('networkmode') && q.get('networkmode') !== 'default' ? q.get('networkmode')! : undefined,
        platform: q.get('platform') || undefined,
        auth: registryConfig(ctx.req.headers['x-registry-config']),
        signal: ctx.signal,
        output: stream.write,
      });
    } catch (err) {
      if (!stream.isStarted) {
        // Read what is left of the context, so the client sees the answer rather than a broken upload.
        if (!ctx.req.readableEnded) {
          ctx.req.resume();
          await new Promise<void>((r) => { ctx.req.once('end', r); ctx.req.once('error', () => r()); ctx.req.once('close', () => r()); });
        }
        throw err;
      }
      stream.fail(toApiError(err).message);
    }
    ctx.res!.end();
  });

  router.add('POST', '/build/prune', async (ctx) => {
    const n = s.builder ? await s.builder.pruneCache() : 0;
    sendJson(ctx.res!, 200, { CachesDeleted: n ? [`${n} cache entries`] : null, SpaceReclaimed: 0 });
  });
}
