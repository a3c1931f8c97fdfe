// The distribution client against a scripted registry on 127.0.0.1 (node
// http): the Bearer token flow that Debian's registry cannot serve without a
// token server, retries with back-off, redirects to another host.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { RegistryClient, readResponse } from '../../../runtime/images/registry-client.js';
import { RegistryError } from '../../../runtime/images/errors.js';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, base: string) => void;
const servers: http.Server[] = [];

async function serve(handler: Handler): Promise<string> {
  const server = http.createServer((req, res) => handler(req, res, `127.0.0.1:${(server.address() as AddressInfo).port}`));
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

describe('RegistryClient', () => {
  it('Bearer: asks the realm for a token with service, scope and Basic credentials, then reuses it', async () => {
    const seen: string[] = [];
    const host = await serve((req, res, base) => {
      seen.push(`${req.method} ${req.url} ${req.headers.authorization ?? '-'}`);
      if (req.url?.startsWith('/token')) {
        const u = new URL(req.url, 'http://x');
        const ok = req.headers.authorization === 'Basic ' + Buffer.from('alice:pw').toString('base64');
        if (!ok) return res.writeHead(401).end('{"details":"incorrect username or password"}');
        res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ token: `tok-${u.searchParams.get('scope')}-${u.searchParams.get('service')}` }));
        return;
      }
      if (req.headers.authorization !== 'Bearer tok-repository:lib/app:pull-reg') {
        res.writeHead(401, { 'WWW-Authenticate': `Bearer realm="http://${base}/token",service="reg",scope="repository:lib/app:pull"`, 'Content-Type': 'application/json' });
        return res.end('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}');
      }
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end(`ok ${req.url}`);
    });
    const c = new RegistryClient({ host, insecure: true, auth: { username: 'alice', password: 'pw' } });
    const r1 = await c.request('GET', '/v2/lib/app/manifests/latest', 'repository:lib/app:pull');
    expect((await readResponse(r1, 1000)).toString()).toBe('ok /v2/lib/app/manifests/latest');
    const r2 = await c.request('GET', '/v2/lib/app/blobs/x', 'repository:lib/app:pull');
    expect((await readResponse(r2, 1000)).toString()).toBe('ok /v2/lib/app/blobs/x');
    c.close();
    expect(seen.filter((s) => s.startsWith('GET /token'))).toHaveLength(1);
    expect(seen[0]).toBe('GET /v2/ -');
    expect(seen[1]).toMatch(/^GET \/token\?service=reg&scope=repository%3Alib%2Fapp%3Apull Basic /);
  });

  it('Bearer with wrong credentials: the token server\'s refusal is the error', async () => {
    const host = await serve((req, res, base) => {
      if (req.url?.startsWith('/token')) return res.writeHead(401).end('{}');
      res.writeHead(401, { 'WWW-Authenticate': `Bearer realm="http://${base}/token",service="reg"` }).end();
    });
    const c = new RegistryClient({ host, insecure: true, auth: { username: 'alice', password: 'bad' } });
    const p = c.request('GET', '/v2/a/manifests/b', 'repository:a:pull');
    await expect(p).rejects.toBeInstanceOf(RegistryError);
    await expect(p).rejects.toThrow(/get token from http:\/\/127\.0\.0\.1:\d+\/token: unauthorized: incorrect username or password/);
    c.close();
  });

  it('retries network errors and 5xx with back-off, then succeeds', async () => {
    let n = 0;
    const host = await serve((req, res) => {
      if (req.url === '/v2/') return res.writeHead(200).end('{}');
      n++;
      if (n === 1) return req.socket.destroy();
      if (n === 2) return res.writeHead(503).end('{"errors":[{"code":"UNAVAILABLE","message":"busy"}]}');
      res.writeHead(200).end('fine');
    });
    const waits: number[] = [];
    const c = new RegistryClient({ host, insecure: true, sleep: async (ms) => void waits.push(ms) });
    const r = await c.request('GET', '/v2/a/blobs/b', 'repository:a:pull');
    expect((await readResponse(r, 100)).toString()).toBe('fine');
    expect(n).toBe(3);
    expect(waits).toHaveLength(2);
    expect(waits[1]).toBeGreaterThan(waits[0] - 100);
    c.close();
  });

  it('gives up after the retries with the registry\'s words; 404 is not retried', async () => {
    let n = 0;
    const host = await serve((req, res) => {
      if (req.url === '/v2/') return res.writeHead(200).end('{}');
      n++;
      if (req.url?.includes('missing')) return res.writeHead(404).end('{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}');
      res.writeHead(500).end('{"errors":[{"code":"UNKNOWN","message":"disk on fire"}]}');
    });
    const c = new RegistryClient({ host, insecure: true, retries: 2, sleep: async () => undefined });
    await expect(c.request('GET', '/v2/a/blobs/b', 's')).rejects.toThrow(/500 unknown: disk on fire/);
    expect(n).toBe(3);
    n = 0;
    const nf = c.request('GET', '/v2/a/manifests/missing', 's');
    await expect(nf).rejects.toThrow(/404 manifest unknown: manifest unknown/);
    await expect(nf).rejects.toMatchObject({ statusCode: 404 });
    expect(n).toBe(1);
    c.close();
  });

  it('follows a redirect to blob storage on another host without the Authorization header', async () => {
    let storageAuth: string | undefined = 'unset';
    const storage = await serve((req, res) => {
      storageAuth = req.headers.authorization;
      res.writeHead(200).end('blob bytes');
    });
    const host = await serve((req, res) => {
      if (req.url === '/v2/') return res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="r"' }).end();
      if (!req.headers.authorization) return res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="r"' }).end();
      res.writeHead(307, { Location: `http://${storage}/bucket/blob?sig=1` }).end();
    });
    const c = new RegistryClient({ host, insecure: true, auth: { username: 'u', password: 'p' } });
    const r = await c.request('GET', '/v2/a/blobs/sha256:x', 'repository:a:pull');
    expect((await readResponse(r, 100)).toString()).toBe('blob bytes');
    expect(storageAuth).toBeUndefined();
    c.close();
  });
});
