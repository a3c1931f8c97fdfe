// /containers/...: create, list, inspect, lifecycle, logs, attach, top.

import type { ContainerCreateRequest, ExecCreateRequest } from '../../client/types.js';
import { encodeFrame, FrameDemuxer } from '../../client/streams.js';
import { controlSocketFor, resizeThroughMonitor } from '../../containers/monitor.js';
import { badParameter, toApiError } from '../api-error.js';
import { boolParam, filtersParam, intParam, jsonBody, sendEmpty, sendJson } from '../http-util.js';
import type { RouteContext, Router } from '../router.js';
import type { EngineServices } from '../services.js';

/** The body of an upgraded request (Content-Length bytes at the start of the raw stream) and what came after it. */
function readUpgradeBody(ctx: RouteContext): Promise<{ body: Buffer; rest: Buffer }> {
  const length = Number(ctx.req.headers['content-length'] ?? 0);
  let buf: Buffer = ctx.head ?? Buffer.alloc(0);
  if (buf.length >= length) return Promise.resolve({ body: buf.subarray(0, length), rest: buf.subarray(length) });
  const sock = ctx.socket!;
  return new Promise((resolve, reject) => {
    const onData = (b: Buffer): void => {
      buf = Buffer.concat([buf, b]);
      if (buf.length < length) return;
      sock.off('data', onData);
      sock.pause();
      resolve({ body: buf.subarray(0, length), rest: buf.subarray(length) });
      setImmediate(() => sock.resume());
    };
    sock.on('data', onData);
    sock.once('error', reject);
  });
}

/** Where a streamed answer goes: an HTTP response, or a hijacked socket after our own 101 headers. */
interface Sink { write(b: Buffer): boolean; end(): void; closed: () => boolean }

function openStream(ctx: RouteContext, contentType: string): Sink {
  if (ctx.socket) {
    const sock = ctx.socket;
    sock.write(`HTTP/1.1 101 UPGRADED\r\nContent-Type: ${contentType}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n`);
    return { write: (b) => sock.write(b), end: () => sock.end(), closed: () => sock.destroyed };
  }
  const res = ctx.res!;
  res.writeHead(200, { 'Content-Type': contentType, 'Transfer-Encoding': 'chunked' });
  res.flushHeaders();
  return { write: (b) => res.write(b), end: () => res.end(), closed: () => res.destroyed };
}

/** A client's stdin on its way to a container: queued until `deliver` is set; null is its end. */
interface StdinQueue { chunks: Buffer[]; ended: boolean; deliver?: (b: Buffer | null) => void }

/** `?h=&w=` of a resize: rows and columns of a terminal, 1..65535. */
function ttySize(ctx: RouteContext): { rows: number; cols: number } {
  const rows = intParam(ctx.query, 'h');
  const cols = intParam(ctx.query, 'w');
  const ok = (n: number | undefined): n is number => n !== undefined && n > 0 && n <= 65535;
  if (!ok(rows) || !ok(cols)) throw badParameter('resize needs h and w, the rows and columns of the terminal (1 to 65535)');
  return { rows, cols };
}

export function registerContainerRoutes(router: Router, s: EngineServices): void {
  const c = s.containers;

  router.add('POST', '/containers/create', async (ctx) => {
    const body = await jsonBody<ContainerCreateRequest>(ctx.req);
    if (body === undefined || body === null) throw badParameter('config cannot be empty in order to create a container');
    if (typeof body !== 'object' || Array.isArray(body)) throw badParameter('invalid JSON: the container config must be an object');
    const name = ctx.query.get('name') ?? undefined;
    sendJson(ctx.res!, 201, await c.create(name || undefined, body));
  });

  router.add('GET', '/containers/json', (ctx) => {
    const limit = intParam(ctx.query, 'limit');
    sendJson(ctx.res!, 200, c.list({ all: boolParam(ctx.query, 'all'), limit, filters: filtersParam(ctx.query) }));
  });

  router.add('POST', '/containers/prune', async (ctx) => {
    const filters = filtersParam(ctx.query);
    const deleted: string[] = [];
    for (const r of c.all()) {
      if (r.State.Running) continue;
      const labels = r.Config.Labels ?? {};
      const ok = (filters.label ?? []).every((l) => { const i = l.indexOf('='); return i < 0 ? l in labels : labels[l.slice(0, i)] === l.slice(i + 1); });
      if (!ok) continue;
      await c.remove(r.Id, {});
      deleted.push(r.Id);
    }
    sendJson(ctx.res!, 200, { ContainersDeleted: deleted, SpaceReclaimed: 0 });
  });

  router.add('GET', '/containers/{id}/json', (ctx) => sendJson(ctx.res!, 200, c.inspect(ctx.params.id)));

  router.add('POST', '/containers/{id}/start', async (ctx) => {
    if (ctx.query.get('checkpoint')) throw badParameter('checkpoints are not supported');
    sendEmpty(ctx.res!, (await c.start(ctx.params.id)) ? 204 : 304);
  });

  router.add('POST', '/containers/{id}/stop', async (ctx) => {
    const t = intParam(ctx.query, 't');
    const signal = ctx.query.get('signal') || undefined;
    sendEmpty(ctx.res!, (await c.stop(ctx.params.id, { timeout: t, signal })) ? 204 : 304);
  });

  router.add('POST', '/containers/{id}/restart', async (ctx) => {
    const t = intParam(ctx.query, 't');
    await c.restart(ctx.params.id, { timeout: t, signal: ctx.query.get('signal') || undefined });
    sendEmpty(ctx.res!, 204);
  });

  router.add('POST', '/containers/{id}/kill', async (ctx) => {
    await c.kill(ctx.params.id, ctx.query.get('signal') || 'SIGKILL');
    sendEmpty(ctx.res!, 204);
  });

  router.add('POST', '/containers/{id}/wait', async (ctx) => {
    const res = ctx.res!;
    const condition = ctx.query.get('condition') ?? 'not-running';
    c.find(ctx.params.id);
    const result = c.wait(ctx.params.id, condition, ctx.signal);
    // Headers go out once the waiter is registered, like dockerd: the docker CLI starts the container only then.
    let early: unknown;
    await Promise.race([result.catch((e: unknown) => { early = e; }), new Promise((r) => setImmediate(r))]);
    if (early) throw early;
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
    res.flushHeaders();
    try {
      res.end(JSON.stringify(await result) + '\n');
    } catch (err) {
      if (!ctx.signal.aborted) res.end(JSON.stringify({ StatusCode: -1, Error: { Message: toApiError(err).message } }) + '\n');
    }
  });

  router.add('GET', '/containers/{id}/logs', async (ctx) => {
    const q = ctx.query;
    const rec = c.find(ctx.params.id);
    const stdout = boolParam(q, 'stdout');
    const stderr = boolParam(q, 'stderr');
    if (!stdout && !stderr) throw badParameter('Bad parameters: you must choose at least one stream');
    const tail = q.get('tail') ?? 'all';
    if (tail !== 'all' && tail !== '' && !/^-?\d+$/.test(tail)) throw badParameter(`invalid value for tail: "${tail}"`);
    const tty = !!rec.Config.Tty;
    const gen = c.logs(rec.Id, {
      stdout, stderr, follow: boolParam(q, 'follow'), since: q.get('since') || undefined, until: q.get('until') || undefined,
      tail: tail === '' || Number(tail) < 0 ? 'all' : tail, timestamps: boolParam(q, 'timestamps'), signal: ctx.signal,
    });
    // Pull the first chunk before answering so that bad since/until values still get a 400.
    let first: IteratorResult<{ stream: 'stdout' | 'stderr'; data: Buffer }>;
    try { first = await gen.next(); } catch (e) { throw badParameter((e as Error).message); }
    const sink = openStream(ctx, tty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream');
    const emit = (chunk: { stream: 'stdout' | 'stderr'; data: Buffer }): void => { sink.write(tty ? chunk.data : encodeFrame(chunk.stream, chunk.data)); };
    try {
      if (!first.done) {
        emit(first.value);
        for await (const chunk of gen) { if (sink.closed()) break; emit(chunk); }
      }
    } finally { sink.end(); }
  });

  const attach = async (ctx: RouteContext): Promise<void> => {
    const q = ctx.query;
    const rec = c.find(ctx.params.id);
    if (!boolParam(q, 'stream') && !boolParam(q, 'logs')) throw badParameter('Bad parameters: you must choose at least one stream');
    const want = { stdout: boolParam(q, 'stdout'), stderr: boolParam(q, 'stderr') };
    const tty = !!rec.Config.Tty;
    const abort = new AbortController();
    ctx.signal.addEventListener('abort', () => abort.abort(), { once: true });
    ctx.socket?.on('close', () => abort.abort());
    ctx.socket?.on('error', () => abort.abort());
    // Stdin that comes before the container's stdin is reachable (`docker run -i` attaches, sends and may even end
    // its input before the start) waits here; without the monitor it is read and dropped so the socket stays healthy.
    const stdin = boolParam(q, 'stdin') && !!ctx.socket && c.attachesThroughMonitor(rec.Id);
    const input: StdinQueue = { chunks: stdin && ctx.head?.length ? [ctx.head] : [], ended: false };
    ctx.socket?.on('data', (b: Buffer) => { if (!stdin) return; if (input.deliver) input.deliver(b); else input.chunks.push(b); });
    ctx.socket?.on('end', () => { if (!stdin) return; if (input.deliver) input.deliver(null); else input.ended = true; });
    if (c.attachesThroughMonitor(rec.Id)) {
      await attachThroughMonitor(ctx, rec.Id, {
        ...want, stdin, stdinOnce: !!rec.Config.StdinOnce, tty, logs: boolParam(q, 'logs'), stream: boolParam(q, 'stream'),
      }, input, abort);
      return;
    }
    const logsPart = boolParam(q, 'logs')
      ? c.logs(rec.Id, { stdout: want.stdout, stderr: want.stderr, follow: false, timestamps: false })
      : undefined;
    const live = boolParam(q, 'stream') ? c.attachOutput(rec.Id, want, abort.signal) : undefined;
    // Start the live follower now: it records where the log ends before we answer, so nothing between attach and start is lost.
    const firstLive = live?.next();
    const sink = openStream(ctx, tty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream');
    const emit = (chunk: { stream: 'stdout' | 'stderr'; data: Buffer }): void => { sink.write(tty ? chunk.data : encodeFrame(chunk.stream, chunk.data)); };
    try {
      if (logsPart) for await (const chunk of logsPart) emit(chunk);
      if (live && firstLive) {
        const f = await firstLive;
        if (!f.done) {
          emit(f.value);
          for await (const chunk of live) { if (sink.closed()) break; emit(chunk); }
        }
      }
    } finally { sink.end(); }
  };
  /** Proxies the client to the monitor's attach socket: output out, stdin in. */
  const attachThroughMonitor = async (
    ctx: RouteContext, id: string,
    want: { stdout: boolean; stderr: boolean; stdin: boolean; stdinOnce: boolean; tty: boolean; logs: boolean; stream: boolean },
    input: StdinQueue, abort: AbortController,
  ): Promise<void> => {
    const sink = openStream(ctx, want.tty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream');
    const filter = !want.tty && !(want.stdout && want.stderr);
    const emit = (chunk: { stream: 'stdout' | 'stderr'; data: Buffer }): void => { sink.write(want.tty ? chunk.data : encodeFrame(chunk.stream, chunk.data)); };
    if (want.logs) for await (const chunk of c.logs(id, { stdout: want.stdout, stderr: want.stderr, follow: false, timestamps: false })) emit(chunk);
    if (!want.stream) { sink.end(); return; }
    const conn = await c.openAttach(id, abort.signal);
    if (!conn) { sink.end(); return; }
    const demux = filter ? new FrameDemuxer() : undefined;
    conn.on('data', (b: Buffer) => {
      if (!demux) { sink.write(b); return; }
      for (const f of demux.push(b)) if (f.stream === 'stdout' ? want.stdout : f.stream === 'stderr' ? want.stderr : false) sink.write(encodeFrame(f.stream === 'stdout' ? 'stdout' : 'stderr', f.data));
    });
    if (want.stdin) {
      // The client's half-close is the end of its stdin, as dockerd reads it: with StdinOnce (`docker run -i`)
      // the container's stdin ends (the monitor runs with --stdin-once) and its output still flows; otherwise
      // (`docker attach`, a TTY) the attach session ends and the container goes on.
      input.deliver = (b) => {
        if (b) conn.write(b);
        else if (want.stdinOnce && !want.tty) conn.end();
        else abort.abort();
      };
      for (const b of input.chunks.splice(0)) input.deliver(b);
      if (input.ended) input.deliver(null);
    }
    await new Promise<void>((resolve) => {
      conn.on('close', () => resolve());
      conn.on('error', () => resolve());
      abort.signal.addEventListener('abort', () => { conn.destroy(); resolve(); }, { once: true });
    });
    sink.end();
  };

  router.add('POST', '/containers/{id}/attach', attach, { hijack: true });

  router.add('POST', '/containers/{id}/exec', async (ctx) => {
    const body = await jsonBody<ExecCreateRequest>(ctx.req);
    if (!body || typeof body !== 'object') throw badParameter('No exec command specified');
    sendJson(ctx.res!, 201, c.execs.create(ctx.params.id, body));
  });

  router.add('GET', '/exec/{id}/json', (ctx) => sendJson(ctx.res!, 200, c.execs.inspect(ctx.params.id)));

  router.add('POST', '/exec/{id}/resize', (ctx) => {
    const { rows, cols } = ttySize(ctx);
    c.execs.resize(ctx.params.id, rows, cols);
    ctx.res!.writeHead(201, { 'Content-Length': 0 });
    ctx.res!.end();
  });

  router.add('POST', '/exec/{id}/start', async (ctx) => {
    // On a hijacked request the JSON body is the first bytes of the raw stream; what follows is stdin.
    let rest: Buffer = Buffer.alloc(0);
    let body: { Detach?: boolean; Tty?: boolean } | undefined;
    if (ctx.socket) {
      const r = await readUpgradeBody(ctx);
      rest = r.rest;
      try { body = r.body.length ? JSON.parse(r.body.toString('utf8')) : {}; } catch { throw badParameter('invalid JSON in the exec start body'); }
    } else {
      body = (await jsonBody<{ Detach?: boolean; Tty?: boolean }>(ctx.req)) ?? {};
    }
    const { child, exited, config } = c.execs.start(ctx.params.id);
    const tty = !!config.Tty;
    if (body?.Detach) {
      child.stdin.end();
      child.stdout.resume();
      child.stderr.resume();
      if (ctx.res) { ctx.res.writeHead(200, { 'Content-Length': 0 }); ctx.res.end(); }
      else ctx.socket?.end('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    // With a TTY the stream is the pty's raw bytes; stderr then carries only the runtime's own messages.
    const sink = openStream(ctx, tty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream');
    child.stdout.on('data', (b: Buffer) => { if (config.AttachStdout !== false) sink.write(tty ? b : encodeFrame('stdout', b)); });
    child.stderr.on('data', (b: Buffer) => { if (config.AttachStderr !== false || tty) sink.write(tty ? b : encodeFrame('stderr', b)); });
    if (config.AttachStdin && ctx.socket) {
      if (rest.length) child.stdin.write(rest);
      ctx.socket.on('data', (b: Buffer) => child.stdin.write(b));
      // The client's half-close is stdin's end (`echo x | docker exec -i`); a TTY has no end of input, the relay ignores it.
      ctx.socket.on('end', () => child.stdin.end());
    } else {
      child.stdin.end();
    }
    child.stdin.on('error', () => {});
    ctx.signal.addEventListener('abort', () => { child.stdin.end(); }, { once: true });
    await Promise.all([exited, new Promise((r) => child.stdout.on('close', r)), new Promise((r) => child.stderr.on('close', r))]);
    sink.end();
  }, { hijack: true });

  // A container TTY's size, set through its monitor's control socket. A container without a TTY, or one that is not
  // running, has nothing to resize: that is answered 200 too (the docker CLI resizes right after start, and retries
  // and warns on errors, which would only race a quick container's exit).
  router.add('POST', '/containers/{id}/resize', async (ctx) => {
    const rec = c.find(ctx.params.id);
    const { rows, cols } = ttySize(ctx);
    if (rec.Config.Tty && rec.State.Running && rec.AttachSocket) await resizeThroughMonitor(controlSocketFor(rec.AttachSocket), rows, cols);
    ctx.res!.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': 0 });
    ctx.res!.end();
  });

  router.add('GET', '/containers/{id}/top', async (ctx) => {
    sendJson(ctx.res!, 200, await c.top(ctx.params.id, ctx.query.get('ps_args') ?? undefined));
  });

  router.add('POST', '/containers/{id}/pause', async (ctx) => { await c.pause(ctx.params.id); sendEmpty(ctx.res!, 204); });
  router.add('POST', '/containers/{id}/unpause', async (ctx) => { await c.unpause(ctx.params.id); sendEmpty(ctx.res!, 204); });

  router.add('POST', '/containers/{id}/rename', (ctx) => {
    const name = ctx.query.get('name');
    if (!name) throw badParameter('Neither old nor new names may be empty');
    c.rename(ctx.params.id, name);
    sendEmpty(ctx.res!, 204);
  });

  router.add('DELETE', '/containers/{id}', async (ctx) => {
    if (boolParam(ctx.query, 'link')) throw badParameter('Conflict, cannot remove the default link name of the container');
    await c.remove(ctx.params.id, { force: boolParam(ctx.query, 'force'), volumes: boolParam(ctx.query, 'v') });
    sendEmpty(ctx.res!, 204);
  });
}
