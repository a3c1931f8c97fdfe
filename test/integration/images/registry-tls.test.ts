// Pulls from Debian's docker-registry serving https on 127.0.0.1 with a
// certificate from a CA made here with openssl: trusted through Docker's
// certs.d convention (`<certs.d>/<host:port>/ca.crt`) in a folder of the
// test's own (the store's `certsDir` option, or TSCOMPOSE_CERTS_D), a clear
// error when the CA is not trusted, client certificates, the plain-http
// rules for loopback registries, and the docker CLI pulling through our
// engine over TLS.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../../runtime/engine/engine.js';
import { ImageStore, RegistryError } from '../../../runtime/images/index.js';
import { RegistryClient } from '../../../runtime/images/registry-client.js';
import { dockerCli, missingPrerequisite, removeCgroupParent, removeTestNetworks, testNetworkOptions } from '../engine/helpers.js';
import { buildUnpacker, guard, missing } from './helpers/env.js';
import { Pusher, startRegistry, type TestRegistry } from './helpers/registry.js';
import { gzip, makeTar } from './helpers/tar.js';
import { issueCert, makeCa, type CertFiles } from './helpers/tls.js';

const ok = guard(missing({ root: true, programs: ['docker-registry', 'htpasswd', 'openssl'] }));
const DOCKER = [process.env.TSCT_DOCKER_CLI ?? '', '/usr/local/bin/docker', '/usr/bin/docker'].find((p) => p && existsSync(p));
const cliWhy = missingPrerequisite() ?? (!DOCKER ? 'needs the docker CLI' : undefined);
const cliOk = ok && guard(cliWhy);
const compress = (b: Buffer) => gzip(b);

/** `<certsDir>/<host>/<file>` = pem, Docker's layout. */
function trust(certsDir: string, host: string, files: Record<string, string>): void {
  mkdirSync(join(certsDir, host), { recursive: true });
  for (const [name, content] of Object.entries(files)) writeFileSync(join(certsDir, host, name), content);
}

describe.runIf(ok)('pull from a TLS registry', () => {
  let dir: string;
  let ca: CertFiles;
  let otherCa: CertFiles;
  let reg: TestRegistry;
  let certsDir: string;
  let layer: Buffer;
  const registries: TestRegistry[] = [];
  const auth = (r: TestRegistry) => ({ username: r.user, password: r.password });
  const newStore = (opts: Parameters<typeof ImageStore.open>[1] = {}) => ImageStore.open(mkdtempSync(join(dir, 'store-')), opts);

  beforeAll(async () => {
    buildUnpacker();
    dir = mkdtempSync(join(tmpdir(), 'tsct-tls-'));
    ca = makeCa(dir, 'tsct-ca');
    otherCa = makeCa(dir, 'tsct-other-ca');
    const server = issueCert(dir, 'registry', ca, { sans: ['IP:127.0.0.1', 'DNS:localhost'] });
    reg = await startRegistry(undefined, undefined, { tls: { cert: server.cert, key: server.key, ca: ca.pem } });
    registries.push(reg);
    layer = await makeTar([
      { name: 'bin/', type: 'directory' },
      { name: 'bin/busybox', data: readFileSync('/bin/busybox'), mode: 0o755 },
      { name: 'bin/sh', type: 'symlink', linkname: 'busybox' },
      { name: 'etc/', type: 'directory' },
      { name: 'etc/motd', data: 'over tls\n' },
    ]);
    await new Pusher(reg).image('tsct/tls', 'v1', [layer], { compress, config: { Cmd: ['sh'], Env: ['PATH=/bin'] } });
    certsDir = join(dir, 'certs.d');
    trust(certsDir, reg.host, { 'ca.crt': ca.pem });
  });

  afterAll(async () => {
    for (const r of registries) await r.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('pulls over https, trusting the CA in <certsDir>/<host:port>/ca.crt', async () => {
    const store = await newStore({ certsDir });
    const img = await store.pull(`${reg.host}/tsct/tls:v1`, { auth: auth(reg) });
    expect(img.RepoTags).toEqual([`${reg.host}/tsct/tls:v1`]);
    const [diff] = await store.rootfsLayers(img.Id);
    expect(readFileSync(join(diff, 'etc/motd'), 'utf8')).toBe('over tls\n');
    // the registry speaks only https: a plain-http request is answered 400 by it
    const client = new RegistryClient({ host: reg.host, insecure: false, tls: { dir: join(certsDir, reg.host), ca: [ca.pem] } });
    try {
      await client.ping();
      expect(client.tlsInUse).toBe(true);
    } finally {
      client.close();
    }
  });

  it('takes certs.d from TSCOMPOSE_CERTS_D when the store is given none', async () => {
    const before = process.env.TSCOMPOSE_CERTS_D;
    process.env.TSCOMPOSE_CERTS_D = certsDir;
    try {
      const store = await newStore();
      const fetched = await store.fetch(`${reg.host}/tsct/tls:v1`, { auth: auth(reg) });
      expect(fetched.downloaded).toBeGreaterThan(0);
      // the pull after a fetch unpacks the stored blob: nothing is downloaded again
      const events: string[] = [];
      const img = await store.pull(`${reg.host}/tsct/tls:v1`, { auth: auth(reg), onProgress: (e) => events.push(e.status) });
      expect(events).not.toContain('Downloading');
      expect(events).toContain('Pull complete');
      expect(existsSync(join((await store.rootfsLayers(img.Id))[0], 'bin/busybox'))).toBe(true);
    } finally {
      if (before === undefined) delete process.env.TSCOMPOSE_CERTS_D;
      else process.env.TSCOMPOSE_CERTS_D = before;
    }
  });

  it('fails with an error naming the registry and the fix when the CA is not trusted', async () => {
    const wrong = join(dir, 'wrong-certs.d');
    trust(wrong, reg.host, { 'ca.crt': otherCa.pem });
    const store = await newStore({ certsDir: wrong });
    const err = await store.pull(`${reg.host}/tsct/tls:v1`, { auth: auth(reg) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegistryError);
    const msg = (err as Error).message;
    expect(msg).toContain(`registry ${reg.host}: TLS certificate not trusted`);
    expect(msg).toContain(join(wrong, reg.host, 'ca.crt'));
    expect(msg).toContain(`--insecure-registry ${reg.host}`);
    expect(store.list()).toEqual([]);
    expect(readdirSync(join(store.dir, 'ingest'))).toEqual([]);

    // the fix the message names: a registry listed as insecure is reached without verification
    const insecure = await newStore({ certsDir: wrong, insecureRegistries: [reg.host] });
    expect((await insecure.pull(`${reg.host}/tsct/tls:v1`, { auth: auth(reg) })).RepoTags).toEqual([`${reg.host}/tsct/tls:v1`]);
  });

  it('refuses a certificate from an unknown CA over https with no certs.d folder (any registry that is not loopback or listed insecure)', async () => {
    const none = join(dir, 'empty-certs.d');
    const client = new RegistryClient({ host: reg.host, insecure: false, certsDir: none });
    try {
      const err = await client.ping().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RegistryError);
      expect((err as Error).message).toMatch(new RegExp(`^registry ${reg.host.replace(/\./g, '\\.')}: TLS certificate not trusted: .*self[- ]signed|unable to verify`));
      expect((err as Error).message).toContain(`Put the CA certificate that signed the registry's certificate in ${join(none, reg.host, 'ca.crt')}`);
    } finally {
      client.close();
    }
  });

  it('a loopback registry without a certs.d folder is tried over plain http, then over https without verification as Docker does for insecure registries', async () => {
    const store = await newStore({ certsDir: join(dir, 'no-such-certs.d') });
    const img = await store.pull(`${reg.host}/tsct/tls:v1`, { auth: auth(reg) });
    expect(img.RepoTags).toEqual([`${reg.host}/tsct/tls:v1`]);
  });

  it('plain http still holds for loopback registries; a certs.d folder for a plain-http registry is a clear error', async () => {
    const plain = await startRegistry();
    registries.push(plain);
    await new Pusher(plain).image('tsct/plain', 'v1', [layer], { compress });
    const store = await newStore({ certsDir });
    const img = await store.pull(`${plain.host}/tsct/plain:v1`, { auth: auth(plain) });
    expect(img.RepoTags).toEqual([`${plain.host}/tsct/plain:v1`]);

    trust(certsDir, plain.host, { 'ca.crt': ca.pem });
    const err = await (await newStore({ certsDir })).pull(`${plain.host}/tsct/plain:v1`, { auth: auth(plain) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegistryError);
    expect((err as Error).message).toBe(
      `registry ${plain.host}: TLS handshake failed (the server does not speak TLS); if the registry serves plain http, run the engine with --insecure-registry ${plain.host} or remove ${join(certsDir, plain.host)}`,
    );
  });

  it('presents the client certificate of certs.d (NAME.cert + NAME.key) to a registry that requires one', async () => {
    const clientCa = makeCa(dir, 'tsct-client-ca');
    const clientCert = issueCert(dir, 'tsct-client', clientCa, { client: true });
    const server = issueCert(dir, 'mtls-registry', ca, { sans: ['IP:127.0.0.1'] });
    const mtls = await startRegistry(undefined, undefined, {
      tls: { cert: server.cert, key: server.key, ca: ca.pem, clientCas: [clientCa.cert], client: { cert: clientCert.cert, key: clientCert.key } },
    });
    registries.push(mtls);
    await new Pusher(mtls).image('tsct/mtls', 'v1', [layer], { compress });

    const withCa = join(dir, 'mtls-ca-only');
    trust(withCa, mtls.host, { 'ca.crt': ca.pem });
    await expect((await newStore({ certsDir: withCa })).pull(`${mtls.host}/tsct/mtls:v1`, { auth: auth(mtls) })).rejects.toThrow();

    const full = join(dir, 'mtls-full');
    trust(full, mtls.host, { 'ca.crt': ca.pem, 'client.cert': clientCert.pem, 'client.key': readFileSync(clientCert.key, 'utf8') });
    const img = await (await newStore({ certsDir: full })).pull(`${mtls.host}/tsct/mtls:v1`, { auth: auth(mtls) });
    expect(img.RepoTags).toEqual([`${mtls.host}/tsct/mtls:v1`]);

    const noKey = join(dir, 'mtls-no-key');
    trust(noKey, mtls.host, { 'ca.crt': ca.pem, 'client.cert': clientCert.pem });
    await expect((await newStore({ certsDir: noKey })).pull(`${mtls.host}/tsct/mtls:v1`, { auth: auth(mtls) })).rejects.toThrow(
      `client certificate ${join(noKey, mtls.host, 'client.cert')} has no key: put it in ${join(noKey, mtls.host, 'client.key')}`,
    );
  });

  describe.runIf(cliOk)('the docker CLI through our engine', () => {
    const prefix = `tsct${Math.random().toString(36).slice(2, 8)}`;
    let engineDir = '';
    let sock = '';
    let engine: Engine | undefined;
    let untrusted: TestRegistry;
    const { docker, ok: okDocker } = dockerCli(DOCKER!, () => sock, () => join(engineDir, 'docker-config'));

    beforeAll(async () => {
      engineDir = mkdtempSync(join(tmpdir(), `${prefix}-`));
      sock = join(engineDir, 'engine.sock');
      // a second TLS registry whose certificate comes from a CA the engine's certs.d does not hold
      const server = issueCert(dir, 'untrusted-registry', otherCa, { sans: ['IP:127.0.0.1'] });
      untrusted = await startRegistry(reg.user, reg.password, { tls: { cert: server.cert, key: server.key, ca: otherCa.pem } });
      registries.push(untrusted);
      await new Pusher(untrusted).image('tsct/tls', 'v1', [layer], { compress });
      trust(certsDir, untrusted.host, { 'ca.crt': ca.pem });
      // credentials as `docker login` leaves them: the CLI sends them with the pull
      mkdirSync(join(engineDir, 'docker-config'));
      const entry = { auth: Buffer.from(`${reg.user}:${reg.password}`).toString('base64') };
      writeFileSync(join(engineDir, 'docker-config', 'config.json'), JSON.stringify({ auths: { [reg.host]: entry, [untrusted.host]: entry } }));
      engine = await Engine.start({ root: join(engineDir, 'root'), socketPath: sock, cgroupParent: prefix, certsDir, log: () => {}, ...testNetworkOptions(prefix) });
    });

    afterAll(async () => {
      await engine?.close();
      if (engineDir) await removeTestNetworks(join(engineDir, 'root'), testNetworkOptions(prefix).networkLinkPrefix);
      await removeCgroupParent(prefix);
      if (engineDir) rmSync(engineDir, { recursive: true, force: true });
    });

    it('docker pull over https with the CA from the engine certs.d', async () => {
      const out = await okDocker(['pull', `${reg.host}/tsct/tls:v1`]);
      expect(out).toContain(`Status: Downloaded newer image for ${reg.host}/tsct/tls:v1`);
      expect((await okDocker(['images', '--format', '{{.Repository}}:{{.Tag}}'])).split('\n')).toContain(`${reg.host}/tsct/tls:v1`);
    });

    it('docker login over https trusts the same certs.d; an untrusted CA is named with the fix', async () => {
      const out = await okDocker(['login', '-u', reg.user, '-p', reg.password, reg.host]);
      expect(out).toContain('Login Succeeded');
      const bad = await docker(['login', '-u', reg.user, '-p', 'wrong', reg.host]);
      expect(bad.code).not.toBe(0);
      expect(bad.stderr).toMatch(/401 Unauthorized/);
      // the untrusted registry's CA is not the one in its certs.d folder
      const r = await docker(['login', '-u', reg.user, '-p', reg.password, untrusted.host]);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain(`registry ${untrusted.host}: TLS certificate not trusted`);
    });

    it('docker pull from a registry whose CA is not trusted shows the registry and the fix', async () => {
      const r = await docker(['pull', `${untrusted.host}/tsct/tls:v1`]);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain(`registry ${untrusted.host}: TLS certificate not trusted`);
      expect(r.stderr).toContain(join(certsDir, untrusted.host, 'ca.crt'));
    });
  });
});
