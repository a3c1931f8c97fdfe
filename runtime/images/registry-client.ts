// OCI distribution API client over node's http/https: the /v2/ ping, Bearer
// tokens (realm/service/scope from WWW-Authenticate) and Basic auth,
// redirects (blob storage elsewhere), retries with back-off on network
// errors and 5xx/429.
import http from 'node:http';
import https from 'node:https';
import type { IncomingMessage } from 'node:http';
import { RegistryError } from './errors.js';
import type { RegistryAuth } from './types.js';
import { parseWwwAuthenticate, type Challenge } from './www-authenticate.js';
import { DEFAULT_CERTS_DIR, tlsErrorFor, type RegistryTls } from './registry-tls.js';

export interface RegistryClientOptions {
  /** host[:port] to reach (`registry-1.docker.io`, `127.0.0.1:5000`). */
  host: string;
  /**
   * Plain http. A server that answers that it speaks https (Go's "Client
   * sent an HTTP request to an HTTPS server") is then reached over https
   * without certificate verification, as Docker does for insecure registries.
   */
  insecure: boolean;
  /** CAs and client certificate from certs.d for https (see registry-tls.ts). */
  tls?: RegistryTls;
  /** The certs.d root, named in the error for an untrusted certificate. */
  certsDir?: string;
  auth?: RegistryAuth;
  signal?: AbortSignal;
  /** Retries after the first try for network errors and 5xx/429. Default 3. */
  retries?: number;
  /** Back-off before retry n (0-based); injectable for tests. */
  sleep?: (ms: number) => Promise<void>;
}

const RETRY_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'ECONNABORTED', 'UND_ERR_SOCKET']);
const USER_AGENT = 'tscompose/0.1 (+oci-distribution)';

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/:\d+$/, '').toLowerCase();
  return h === 'localhost' || h === '127.0.0.1' || h === '[::1]' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h) || h.endsWith('.localhost');
}

export function isRetryableError(err: unknown): boolean {
  const e = err as NodeJS.ErrnoException & { statusCode?: number; httpStatus?: number };
  if (e?.code && RETRY_CODES.has(e.code)) return true;
  if (e instanceof RegistryError) return e.httpStatus >= 500 || e.httpStatus === 429;
  return /socket hang up|aborted/i.test(String(e?.message ?? '')) && e?.name !== 'AbortError';
}

export function backoffMs(attempt: number): number {
  return Math.min(4000, 200 * 2 ** attempt) + Math.floor(Math.random() * 100);
}

interface RegistryErrorBody {
  errors?: Array<{ code?: string; message?: string; detail?: unknown }>;
}

async function readAll(res: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of res as AsyncIterable<Buffer>) {
    n += c.length;
    if (n > limit) {
      res.destroy();
      throw new RegistryError(`response from ${res.url ?? 'registry'} larger than ${limit} bytes`, 502, '');
    }
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}

function errorText(body: Buffer): string {
  try {
    const j = JSON.parse(body.toString('utf8')) as RegistryErrorBody;
    if (j.errors?.length) return j.errors.map((e) => `${(e.code ?? '').toLowerCase().replace(/_/g, ' ')}: ${e.message ?? ''}`.replace(/^: /, '')).join('; ');
  } catch {
    /* not JSON */
  }
  return body.toString('utf8').trim().slice(0, 200);
}

/** What Go's net/http and nginx answer to plain http on a TLS port. */
const HTTPS_ONLY_RE = /client sent an http request to an https server|plain http request was sent to https port/i;

export class RegistryClient {
  private agent: http.Agent;
  private readonly tokens = new Map<string, string>();
  private challenge: Challenge | undefined;
  private pinged = false;
  private scheme: 'http' | 'https';
  private baseUrl: string;

  constructor(readonly opts: RegistryClientOptions) {
    this.scheme = opts.insecure ? 'http' : 'https';
    this.baseUrl = `${this.scheme}://${opts.host}`;
    this.agent = opts.insecure ? new http.Agent({ keepAlive: true, maxSockets: 8 }) : this.httpsAgent(true);
  }

  private httpsAgent(verify: boolean): https.Agent {
    const t = this.opts.tls;
    return new https.Agent({ keepAlive: true, maxSockets: 8, ca: t?.ca, cert: t?.cert, key: t?.key, rejectUnauthorized: verify });
  }

  /** `http(s)://host[:port]`, after the insecure fallback to https, if any. */
  get base(): string {
    return this.baseUrl;
  }

  /** Whether requests go over https (after the insecure fallback, if any). */
  get tlsInUse(): boolean {
    return this.scheme === 'https';
  }

  close(): void {
    this.agent.destroy();
  }

  private sleep(ms: number): Promise<void> {
    return this.opts.sleep ? this.opts.sleep(ms) : new Promise((r) => setTimeout(r, ms));
  }

  /** GET /v2/: learns how the registry wants to be authenticated. */
  async ping(): Promise<void> {
    if (this.pinged) return;
    let res = await this.withRetries(() => this.raw('GET', `${this.base}/v2/`, {}));
    let body = await readAll(res, 1 << 20);
    if (this.scheme === 'http' && res.statusCode === 400 && HTTPS_ONLY_RE.test(body.toString('utf8'))) {
      this.agent.destroy();
      this.scheme = 'https';
      this.baseUrl = `https://${this.opts.host}`;
      this.agent = this.httpsAgent(false);
      res = await this.withRetries(() => this.raw('GET', `${this.base}/v2/`, {}));
      body = await readAll(res, 1 << 20);
    }
    if (res.statusCode === 401) {
      const ch = parseWwwAuthenticate(String(res.headers['www-authenticate'] ?? ''));
      this.challenge = ch.find((c) => c.scheme === 'bearer') ?? ch.find((c) => c.scheme === 'basic');
    } else if (res.statusCode !== 200) {
      throw new RegistryError(`registry ${this.opts.host} answered ${res.statusCode} to GET /v2/: ${errorText(body) || res.statusMessage}`, res.statusCode ?? 500, `${this.base}/v2/`);
    }
    this.pinged = true;
  }

  /**
   * An authenticated request for `path` (under /v2/) needing `scope`
   * (`repository:library/nginx:pull`). Resolves with a 2xx response; other
   * statuses become RegistryError (with the registry's error text).
   */
  async request(method: string, path: string, scope: string, headers: Record<string, string> = {}): Promise<IncomingMessage> {
    await this.ping();
    return this.withRetries(async () => {
      let res = await this.follow(method, `${this.base}${path}`, { ...headers, ...(await this.authHeader(scope, false)) });
      if (res.statusCode === 401) {
        const ch = parseWwwAuthenticate(String(res.headers['www-authenticate'] ?? ''));
        res.resume();
        const c = ch.find((x) => x.scheme === 'bearer') ?? ch.find((x) => x.scheme === 'basic');
        if (c) this.challenge = c;
        res = await this.follow(method, `${this.base}${path}`, { ...headers, ...(await this.authHeader(scope, true)) });
      }
      if (res.statusCode && res.statusCode >= 200 && res.statusCode < 300) return res;
      const body = await readAll(res, 1 << 20).catch(() => Buffer.alloc(0));
      const text = errorText(body) || res.statusMessage || '';
      const url = `${this.base}${path}`;
      if (res.statusCode === 401 || res.statusCode === 403) {
        const who = this.opts.auth ? 'the credentials were rejected' : 'no credentials were given (docker login, or X-Registry-Auth)';
        throw new RegistryError(`${method} ${url}: ${res.statusCode === 401 ? 'unauthorized' : 'denied'}: ${text || 'authentication required'} (${who})`, res.statusCode, url);
      }
      throw new RegistryError(`${method} ${url}: ${res.statusCode} ${text}`.trim(), res.statusCode ?? 500, url);
    });
  }

  private async withRetries<T>(fn: () => Promise<T>): Promise<T> {
    const retries = this.opts.retries ?? 3;
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        if (attempt >= retries || !isRetryableError(err) || this.opts.signal?.aborted) throw err;
        await this.sleep(backoffMs(attempt));
      }
    }
  }

  private async authHeader(scope: string, refresh: boolean): Promise<Record<string, string>> {
    const ch = this.challenge;
    if (!ch) return {};
    if (ch.scheme === 'basic') {
      const a = this.opts.auth;
      if (a && 'username' in a) return { Authorization: 'Basic ' + Buffer.from(`${a.username}:${a.password}`).toString('base64') };
      return {};
    }
    if (!refresh) {
      const t = this.tokens.get(scope);
      if (t) return { Authorization: `Bearer ${t}` };
    }
    return { Authorization: `Bearer ${await this.fetchToken(ch, scope)}` };
  }

  private async fetchToken(ch: Challenge, scope: string): Promise<string> {
    const realm = ch.params.realm;
    if (!realm) throw new RegistryError(`registry ${this.opts.host} asks for a Bearer token without a realm`, 401, this.base);
    const u = new URL(realm);
    const service = ch.params.service;
    const a = this.opts.auth;
    let res: IncomingMessage;
    if (a && 'identitytoken' in a) {
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: a.identitytoken, client_id: 'tscompose', scope });
      if (service) form.set('service', service);
      res = await this.follow('POST', u.toString(), { 'Content-Type': 'application/x-www-form-urlencoded' }, Buffer.from(form.toString()));
    } else {
      if (service) u.searchParams.set('service', service);
      if (scope) u.searchParams.set('scope', scope);
      const headers: Record<string, string> = {};
      if (a && 'username' in a) headers.Authorization = 'Basic ' + Buffer.from(`${a.username}:${a.password}`).toString('base64');
      res = await this.follow('GET', u.toString(), headers);
    }
    const body = await readAll(res, 1 << 20);
    if (res.statusCode !== 200) {
      throw new RegistryError(
        `get token from ${u.origin}${u.pathname}: ${res.statusCode === 401 ? 'unauthorized: incorrect username or password' : `${res.statusCode} ${errorText(body)}`}`,
        res.statusCode ?? 500,
        u.toString(),
      );
    }
    let j: { token?: string; access_token?: string };
    try {
      j = JSON.parse(body.toString('utf8')) as typeof j;
    } catch {
      throw new RegistryError(`token server ${u.origin} answered with invalid JSON`, 502, u.toString());
    }
    const t = j.token ?? j.access_token;
    if (!t) throw new RegistryError(`token server ${u.origin} answered without a token`, 502, u.toString());
    this.tokens.set(scope, t);
    return t;
  }

  /** One request, following up to 5 redirects (Authorization dropped when the host changes). */
  private async follow(method: string, url: string, headers: Record<string, string>, body?: Buffer): Promise<IncomingMessage> {
    let current = url;
    let hdrs = headers;
    for (let i = 0; i < 6; i++) {
      const res = await this.raw(method, current, hdrs, body);
      const loc = res.headers.location;
      if (res.statusCode && [301, 302, 303, 307, 308].includes(res.statusCode) && loc) {
        res.resume();
        const next = new URL(loc, current);
        if (next.host !== new URL(current).host) {
          const { Authorization: _drop, ...rest } = hdrs;
          hdrs = rest;
        }
        current = next.toString();
        continue;
      }
      return res;
    }
    throw new RegistryError(`too many redirects from ${url}`, 502, url);
  }

  private raw(method: string, url: string, headers: Record<string, string>, body?: Buffer): Promise<IncomingMessage> {
    const u = new URL(url);
    const mod = u.protocol === 'http:' ? http : https;
    const agent = u.protocol === `${this.scheme}:` && u.host === this.opts.host ? this.agent : undefined;
    return new Promise((resolve, reject) => {
      const req = mod.request(
        u,
        {
          method,
          agent,
          headers: { 'User-Agent': USER_AGENT, ...headers, ...(body ? { 'Content-Length': String(body.length) } : {}) },
          signal: this.opts.signal,
        },
        resolve,
      );
      req.on('error', (err) => reject((u.protocol === 'https:' && tlsErrorFor(err, u.host, this.opts.certsDir ?? DEFAULT_CERTS_DIR)) || err));
      req.end(body);
    });
  }
}

export { readAll as readResponse };
