// POST /auth (`docker login`): checks the credentials against the registry
// (`GET /v2/` with basic auth, or the token service its challenge names) and
// answers like dockerd. The CLI then stores them and sends them with pulls.

import http from 'node:http';
import https from 'node:https';
import { ApiError, badParameter } from '../api-error.js';
import { jsonBody, sendJson } from '../http-util.js';
import type { Router } from '../router.js';
import { certsDirOf, loadRegistryTls, tlsErrorFor } from '../../images/registry-tls.js';

interface AuthConfig { username?: string; password?: string; serveraddress?: string; identitytoken?: string }

type Tls = ReturnType<typeof loadRegistryTls>;

function get(url: string, headers: Record<string, string>, tls?: Tls): Promise<{ status: number; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const secure = url.startsWith('https:');
    const mod = secure ? https : http;
    const extra = secure && tls ? { ca: tls.ca, cert: tls.cert, key: tls.key } : {};
    const req = mod.get(url, { headers, timeout: 15_000, ...extra }, (res) => { res.resume(); resolve({ status: res.statusCode ?? 0, headers: res.headers }); });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url} within 15 s`)));
    req.on('error', reject);
  });
}

/** The registry's base URL; a loopback registry with a certs.d folder is reached over https, as pulls do. */
export function registryBase(server: string, insecure: readonly string[] = [], hasCerts = false): string {
  const s = server.replace(/\/+$/, '');
  if (/^https?:\/\//.test(s)) return s.replace(/\/v[12]$/, '');
  const host = s.split('/')[0];
  if (host === 'docker.io' || host === 'index.docker.io' || host === 'registry-1.docker.io') return 'https://registry-1.docker.io';
  const hostname = host.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  const plain = !hasCerts && (hostname === 'localhost' || hostname === '::1' || /^127\./.test(hostname) || insecure.includes(host));
  return `${plain ? 'http' : 'https'}://${host}`;
}

function parseChallenge(h: string | undefined): Record<string, string> | undefined {
  if (!h || !/^bearer\s/i.test(h)) return undefined;
  const out: Record<string, string> = {};
  for (const m of h.slice(7).matchAll(/(\w+)="([^"]*)"/g)) out[m[1].toLowerCase()] = m[2];
  return out;
}

export function registerAuthRoute(router: Router, insecure: readonly string[] = [], certsDir?: string): void {
  router.add('POST', '/auth', async (ctx) => {
    const cfg = await jsonBody<AuthConfig>(ctx.req);
    if (!cfg || !cfg.username || !cfg.password) throw badParameter('username and password are required');
    const server = cfg.serveraddress || 'docker.io';
    const host = server.replace(/^https?:\/\//, '').split('/')[0];
    const dir = certsDirOf(certsDir);
    const tls = loadRegistryTls(dir, host);
    const base = registryBase(server, insecure, tls !== undefined);
    const basic = 'Basic ' + Buffer.from(`${cfg.username}:${cfg.password}`).toString('base64');
    const url = `${base}/v2/`;
    let res: { status: number; headers: http.IncomingHttpHeaders };
    try {
      res = await get(url, { Authorization: basic }, tls);
      const challenge = parseChallenge(res.headers['www-authenticate'] as string | undefined);
      if (res.status === 401 && challenge?.realm) {
        const tokenUrl = new URL(challenge.realm);
        if (challenge.service) tokenUrl.searchParams.set('service', challenge.service);
        tokenUrl.searchParams.set('account', cfg.username);
        res = await get(tokenUrl.toString(), { Authorization: basic }, tokenUrl.host === host ? tls : undefined);
      }
    } catch (e) {
      const tlsError = tlsErrorFor(e, host, dir);
      throw new ApiError(500, tlsError ? tlsError.message : `Get "${url}": ${(e as Error).message}`);
    }
    if (res.status === 401 || res.status === 403) {
      throw new ApiError(401, `login attempt to ${url} failed with status: ${res.status} ${http.STATUS_CODES[res.status]}`);
    }
    if (res.status >= 400) throw new ApiError(500, `login attempt to ${url} failed with status: ${res.status} ${http.STATUS_CODES[res.status] ?? ''}`.trim());
    sendJson(ctx.res!, 200, { Status: 'Login Succeeded', IdentityToken: '' });
  });
}
