// A real registry (Debian's docker-registry, distribution 2.8) on 127.0.0.1
// with htpasswd basic auth, and a minimal pusher for crafted images.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sha256 } from './tar.js';

export interface TestRegistry {
  host: string;
  /** The docker-registry process (benchmarks read its CPU time). */
  pid: number;
  port: number;
  user: string;
  password: string;
  storage: string;
  /** `https` when started with a server certificate. */
  scheme: 'http' | 'https';
  /** PEM of the CA that signed the server certificate (https). */
  ca?: string;
  /** Options for node's https.request that reach this registry (CA, client certificate). */
  tls: https.RequestOptions;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => res(port));
    });
    s.on('error', rej);
  });
}

export interface RegistryTlsOptions {
  /** Server certificate and key files (PEM). */
  cert: string;
  key: string;
  /** PEM of the CA that signed `cert`: trusted by the readiness check and the Pusher. */
  ca: string;
  /** CA files whose client certificates the registry requires (mutual TLS)... */
  clientCas?: string[];
  /** ...and the client certificate the readiness check and the Pusher present then. */
  client?: { cert: string; key: string };
}

export async function startRegistry(user = 'tsct', password = 'pw-' + Math.random().toString(36).slice(2), opts: { tls?: RegistryTlsOptions } = {}): Promise<TestRegistry> {
  const dir = mkdtempSync(join(tmpdir(), 'tsct-registry-'));
  const storage = join(dir, 'storage');
  const htpasswd = join(dir, 'htpasswd');
  execFileSync('htpasswd', ['-Bbc', htpasswd, user, password], { stdio: 'ignore' });
  const port = await freePort();
  const config = join(dir, 'config.yml');
  writeFileSync(
    config,
    [
      'version: 0.1',
      'log:',
      '  level: error',
      '  accesslog:',
      '    disabled: true',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${storage}`,
      '  delete:',
      '    enabled: true',
      'http:',
      `  addr: 127.0.0.1:${port}`,
      '  secret: tsct-test-secret',
      ...(opts.tls
        ? [
            '  tls:',
            `    certificate: ${opts.tls.cert}`,
            `    key: ${opts.tls.key}`,
            ...(opts.tls.clientCas?.length ? ['    clientcas:', ...opts.tls.clientCas.map((c) => `      - ${c}`)] : []),
          ]
        : []),
      'auth:',
      '  htpasswd:',
      '    realm: tsct-registry',
      `    path: ${htpasswd}`,
      '',
    ].join('\n'),
  );
  const scheme = opts.tls ? 'https' : 'http';
  const tlsClient = tlsClientOptions(opts.tls);
  const child: ChildProcess = spawn('/usr/bin/docker-registry', ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const host = `127.0.0.1:${port}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    const status = await new Promise<number>((res) => {
      const req = (opts.tls ? https : http).get(`${scheme}://${host}/v2/`, { ...tlsClient }, (r) => {
        r.resume();
        res(r.statusCode ?? 0);
      });
      req.on('error', () => res(0));
    });
    if (status === 401) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`docker-registry did not start on ${host}: ${stderr.slice(-500)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    host,
    pid: child.pid!,
    port,
    user,
    password,
    storage,
    scheme,
    ca: opts.tls?.ca,
    tls: tlsClient,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function tlsClientOptions(tls: RegistryTlsOptions | undefined): https.RequestOptions {
  if (!tls) return {};
  return { ca: tls.ca, ...(tls.client ? { cert: readFileSync(tls.client.cert), key: readFileSync(tls.client.key) } : {}) };
}

function request(
  method: string,
  url: string,
  auth: string,
  body?: Buffer,
  headers: Record<string, string> = {},
  tls: https.RequestOptions = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((res, rej) => {
    const mod = url.startsWith('https:') ? https : http;
    const req = mod.request(url, { method, ...tls, headers: { Authorization: auth, ...(body ? { 'Content-Length': String(body.length) } : { 'Content-Length': '0' }), ...headers } }, (r) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => res({ status: r.statusCode ?? 0, headers: r.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', rej);
    req.end(body);
  });
}

export class Pusher {
  private readonly auth: string;
  constructor(private readonly reg: TestRegistry) {
    this.auth = 'Basic ' + Buffer.from(`${reg.user}:${reg.password}`).toString('base64');
  }

  async blob(repo: string, data: Buffer): Promise<string> {
    const digest = sha256(data);
    const base = `${this.reg.scheme}://${this.reg.host}`;
    const start = await request('POST', `${base}/v2/${repo}/blobs/uploads/`, this.auth, undefined, {}, this.reg.tls);
    if (start.status !== 202) throw new Error(`upload start ${start.status}: ${start.body}`);
    const loc = new URL(String(start.headers.location), base);
    loc.searchParams.set('digest', digest);
    const put = await request('PUT', loc.toString(), this.auth, data, { 'Content-Type': 'application/octet-stream' }, this.reg.tls);
    if (put.status !== 201) throw new Error(`upload ${put.status}: ${put.body}`);
    return digest;
  }

  async manifest(repo: string, ref: string, body: Buffer, mediaType: string): Promise<string> {
    const r = await request('PUT', `${this.reg.scheme}://${this.reg.host}/v2/${repo}/manifests/${ref}`, this.auth, body, { 'Content-Type': mediaType }, this.reg.tls);
    if (r.status !== 201) throw new Error(`manifest put ${r.status}: ${r.body}`);
    return sha256(body);
  }

  /**
   * Pushes an image made of layer tars (compressed as asked) and returns
   * {manifestDigest, configDigest, manifest body}.
   */
  async image(
    repo: string,
    tag: string | undefined,
    layers: Buffer[],
    opts: { compression?: 'gzip' | 'zstd' | 'none'; docker?: boolean; arch?: string; config?: Record<string, unknown>; compress: (b: Buffer, c: 'gzip' | 'zstd') => Buffer },
  ): Promise<{ manifestDigest: string; configDigest: string; manifest: Buffer; size: number }> {
    const compression = opts.compression ?? 'gzip';
    const diffIds = layers.map((l) => sha256(l));
    const config = Buffer.from(
      JSON.stringify({
        architecture: opts.arch ?? 'amd64',
        os: 'linux',
        created: '2024-01-01T00:00:00Z',
        config: { Env: ['PATH=/bin'], Cmd: ['sh'], Labels: { 'tsct.image': `${repo}:${tag ?? ''}:${opts.arch ?? ''}` }, ...(opts.config ?? {}) },
        rootfs: { type: 'layers', diff_ids: diffIds },
        history: layers.map(() => ({ created: '2024-01-01T00:00:00Z', created_by: 'test' })),
      }),
    );
    const configDigest = await this.blob(repo, config);
    const descs = [];
    for (const l of layers) {
      const blob = compression === 'none' ? l : opts.compress(l, compression);
      const digest = await this.blob(repo, blob);
      const mediaType = opts.docker
        ? 'application/vnd.docker.image.rootfs.diff.tar.gzip'
        : compression === 'none'
          ? 'application/vnd.oci.image.layer.v1.tar'
          : `application/vnd.oci.image.layer.v1.tar+${compression}`;
      descs.push({ mediaType, digest, size: blob.length });
    }
    const mt = opts.docker ? 'application/vnd.docker.distribution.manifest.v2+json' : 'application/vnd.oci.image.manifest.v1+json';
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: mt,
        config: { mediaType: opts.docker ? 'application/vnd.docker.container.image.v1+json' : 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
        layers: descs,
      }),
    );
    const manifestDigest = tag ? await this.manifest(repo, tag, manifest, mt) : await this.manifest(repo, sha256(manifest), manifest, mt);
    return { manifestDigest, configDigest, manifest, size: manifest.length };
  }
}
