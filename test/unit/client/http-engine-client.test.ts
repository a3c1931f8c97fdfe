// The client against a scripted server on a temp unix socket: paths,
// queries, bodies, error mapping, streams and hijacking.

import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineApiError, EngineStreamError, EngineUnreachableError, HttpEngineClient, encodeFrame, splitRef } from '../../../runtime/client/index.js';

let dir: string;
let server: http.Server;
let client: HttpEngineClient;
const seen: { method: string; url: string; body: string; headers: http.IncomingHttpHeaders }[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tsct-client-'));
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, body, headers: req.headers });
      const url = new URL(req.url!, 'http://x');
      if (url.pathname === '/_ping') { res.writeHead(200, { 'Api-Version': '1.41', OSType: 'linux', 'Docker-Experimental': 'false' }); res.end('OK'); return; }
      if (url.pathname === '/v1.41/containers/missing/json') { res.writeHead(404, { 'Content-Type': 'application/json' }); res.end('{"message":"No such container: missing"}\n'); return; }
      if (url.pathname === '/v1.41/containers/plain/json') { res.writeHead(500); res.end('boom'); return; }
      if (url.pathname === '/v1.41/containers/create') { res.writeHead(201, { 'Content-Type': 'application/json' }); res.end('{"Id":"abc","Warnings":[]}'); return; }
      if (url.pathname === '/v1.41/containers/json') { res.writeHead(200, { 'Content-Type': 'application/json' }); res.end('[]'); return; }
      if (url.pathname === '/v1.41/containers/abc/logs') {
        res.writeHead(200, { 'Content-Type': 'application/vnd.docker.multiplexed-stream' });
        res.write(encodeFrame('stdout', 'out\n').subarray(0, 5));
        res.end(Buffer.concat([encodeFrame('stdout', 'out\n').subarray(5), encodeFrame('stderr', 'err\n')]));
        return;
      }
      if (url.pathname === '/v1.41/images/create') {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.write('{"status":"Pulling from library/busybox","id":"latest"}\r\n');
        res.end('{"errorDetail":{"message":"manifest unknown"},"error":"manifest unknown"}\r\n');
        return;
      }
      if (url.pathname === '/v1.41/containers/abc/stop') { res.writeHead(304); res.end(); return; }
      res.writeHead(404, { 'Content-Type': 'application/json' });
      res.end('{"message":"page not found"}');
    });
  });
  server.on('upgrade', (req, socket) => {
    seen.push({ method: req.method!, url: req.url!, body: '', headers: req.headers });
    socket.write('HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n');
    socket.end(encodeFrame('stdout', 'attached\n'));
  });
  await new Promise<void>((r) => server.listen(join(dir, 's.sock'), r));
  client = new HttpEngineClient({ host: `unix://${join(dir, 's.sock')}` });
});

afterAll(async () => {
  client.close();
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

describe('HttpEngineClient', () => {
  it('pings without a version prefix and reads the headers', async () => {
    expect(await client.ping()).toEqual({ apiVersion: '1.41', osType: 'linux', experimental: false });
  });

  it('sends versioned paths, JSON bodies and encoded queries', async () => {
    await client.createContainer({ Image: 'busybox', Cmd: ['true'] }, { name: 'web-1' });
    const create = seen.find((s) => s.url.startsWith('/v1.41/containers/create'))!;
    expect(create.url).toBe('/v1.41/containers/create?name=web-1');
    expect(JSON.parse(create.body)).toEqual({ Image: 'busybox', Cmd: ['true'] });
    expect(create.headers['content-type']).toBe('application/json');
    await client.listContainers({ all: true, filters: { label: ['com.docker.compose.project=demo'] } });
    const list = seen.find((s) => s.url.startsWith('/v1.41/containers/json'))!;
    expect(new URL(list.url, 'http://x').searchParams.get('filters')).toBe('{"label":["com.docker.compose.project=demo"]}');
    expect(new URL(list.url, 'http://x').searchParams.get('all')).toBe('1');
  });

  it('turns error answers into EngineApiError with status, method, path and message', async () => {
    const err = await client.inspectContainer('missing').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineApiError);
    expect(err).toMatchObject({ status: 404, method: 'GET', path: '/containers/missing/json', message: 'No such container: missing' });
    await expect(client.inspectContainer('plain')).rejects.toMatchObject({ status: 500, message: 'boom' });
  });

  it('treats 304 as success', async () => {
    await expect(client.stopContainer('abc')).resolves.toBeUndefined();
  });

  it('demultiplexes logs split across chunks', async () => {
    expect(await client.logsText('abc')).toEqual({ stdout: 'out\n', stderr: 'err\n' });
  });

  it('reports an in-band pull error', async () => {
    const seenMsgs: string[] = [];
    const run = async () => { for await (const m of client.pullImage('busybox')) seenMsgs.push(m.status ?? ''); };
    const err = await run().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineStreamError);
    expect((err as Error).message).toBe('manifest unknown');
    expect(seenMsgs).toEqual(['Pulling from library/busybox']);
    expect(seen.find((s) => s.url.startsWith('/v1.41/images/create'))!.url).toBe('/v1.41/images/create?fromImage=busybox');
  });

  it('hijacks attach with Upgrade: tcp', async () => {
    const { socket, head } = await client.attachContainer('abc');
    const chunks: Buffer[] = [head];
    await new Promise<void>((r) => { socket.on('data', (b: Buffer) => chunks.push(b)); socket.on('end', () => r()); });
    expect(Buffer.concat(chunks)).toEqual(encodeFrame('stdout', 'attached\n'));
    const req = seen.find((s) => s.url.includes('/attach'))!;
    expect(req.headers.upgrade).toBe('tcp');
    expect(req.url).toBe('/v1.41/containers/abc/attach?stdout=1&stderr=1&stream=1');
  });

  it('says when nothing answers', async () => {
    const c = new HttpEngineClient({ host: `unix://${join(dir, 'none.sock')}` });
    const err = await c.ping().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineUnreachableError);
    expect((err as Error).message).toBe(`cannot reach the engine at unix://${join(dir, 'none.sock')}: no socket there (is the engine running? \`tscompose engine start\`)`);
    c.close();
  });

  it('splits image references for pull', () => {
    expect(splitRef('busybox')).toEqual({ name: 'busybox' });
    expect(splitRef('busybox:1.36')).toEqual({ name: 'busybox', tag: '1.36' });
    expect(splitRef('127.0.0.1:5000/app')).toEqual({ name: '127.0.0.1:5000/app' });
    expect(splitRef('127.0.0.1:5000/app:v2')).toEqual({ name: '127.0.0.1:5000/app', tag: 'v2' });
    expect(splitRef('app@sha256:abc')).toEqual({ name: 'app', tag: 'sha256:abc' });
  });
});
