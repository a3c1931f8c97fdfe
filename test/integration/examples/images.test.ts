// The example images, built from local parts (examples/images/build-all.sh),
// checked without the engine: each archive loads through the engine's image
// store, and each image's main process runs under runc and does its job —
// MariaDB initializes from MARIADB_* and keeps its data across a restart, the
// guestbook serves and stores entries, nginx proxies to it with the example's
// own config, Redis answers, and the queue's producer and worker process a job.
//
// The first run builds the images (debootstrap from the Debian mirror: a few
// minutes); later runs find them in the cache (TSCOMPOSE_EXAMPLES_CACHE,
// default /var/cache/tscompose-examples) and take seconds.
import { execFile } from 'node:child_process';
import { chownSync, createReadStream, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImageStore } from '../../../runtime/images/index.js';
import { IMAGES } from '../../../examples/images/images.js';
import { runCleanups } from '../../helpers/cleanup.js';
import { requireRoot } from '../../helpers/require-root.js';
import { REPO_ROOT } from '../../helpers/rootfs.js';
import { tempDir } from '../../helpers/tmp.js';
import { freePort, http, ImageRunner, waitFor, type Running } from './image-runner.js';

const gate = requireRoot(['runc', 'debootstrap', 'chroot'], 'the example image tests');
const CACHE = process.env.TSCOMPOSE_EXAMPLES_CACHE ?? '/var/cache/tscompose-examples';
const BUILD_TIMEOUT_MS = 40 * 60_000;

function buildAll(): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(path.join(REPO_ROOT, 'examples/images/build-all.sh'), [], {
      timeout: BUILD_TIMEOUT_MS, maxBuffer: 64 << 20, env: { ...process.env, TSCOMPOSE_EXAMPLES_CACHE: CACHE },
    }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      const tail = `${stdout}\n${stderr}`.trim().split('\n').slice(-25).join('\n');
      reject(new Error(
        `building the example images failed (examples/images/build-all.sh; it needs the Debian mirror `
        + `${process.env.DEBIAN_MIRROR ?? 'http://deb.debian.org/debian'} on the first run): ${err.message}\n${tail}`,
      ));
    });
  });
}

const uidOf = (store: ImageStore, ref: string): [number, number] => {
  const [u, g] = (store.config(ref).User || '0:0').split(':').map(Number);
  return [u, g ?? u];
};

describe.skipIf(gate.skip)('example images (examples/images)', () => {
  let store: ImageStore;
  let runner: ImageRunner;

  beforeAll(async () => {
    await buildAll();
    store = await ImageStore.open(tempDir('examples-store'));
    runner = new ImageRunner(store);
  }, BUILD_TIMEOUT_MS + 60_000);

  afterAll(runCleanups, 120_000);

  it('every archive loads through the engine image store with its config', async () => {
    for (const spec of IMAGES) {
      const [rec] = await store.load(createReadStream(path.join(CACHE, 'archives', spec.archive)));
      expect(rec.RepoTags).toEqual([spec.ref]);
      const cfg = store.config(spec.ref);
      expect(cfg.Cmd).toEqual(spec.config.Cmd);
      expect(Object.keys(cfg.ExposedPorts ?? {})).toEqual(spec.config.ExposedPorts);
      if (spec.user) expect(cfg.User).toMatch(/^\d+:\d+$/);
    }
    // The two Node images share their base layer.
    const web = await store.rootfsLayers('tscompose-examples/guestbook-web:1');
    const queue = await store.rootfsLayers('tscompose-examples/queue-app:1');
    expect(web[0]).toBe(queue[0]);
  }, 300_000);

  describe('guestbook: mariadb + web + nginx', () => {
    const dbEnv = {
      MARIADB_ROOT_PASSWORD: "r00t'pw", MARIADB_DATABASE: 'guestbook', MARIADB_USER: 'guestbook', MARIADB_PASSWORD: 'gb-secret',
    };
    let dataDir: string;
    let dbPort: number;
    let webPort: number;
    let db: Running;
    let web: Running;

    const startDb = async (): Promise<Running> => {
      const c = await runner.run('tscompose-examples/mariadb:10.11', {
        cmd: ['mariadbd', '--bind-address=127.0.0.1', `--port=${dbPort}`],
        env: dbEnv,
        binds: [{ source: dataDir, target: '/var/lib/mysql' }],
      });
      // The compose file's health check, run the way the engine runs it.
      await waitFor('mariadb health check', async () => {
        const r = await c.exec(['sh', '-c', `mariadb -h 127.0.0.1 -P ${dbPort} -u root -p"$MARIADB_ROOT_PASSWORD" -e 'SELECT 1'`]);
        return r.code === 0 ? true : undefined;
      }, 120_000, c.logs);
      return c;
    };

    it('mariadb initializes from MARIADB_* and passes its health check', async () => {
      dataDir = tempDir('mysql-data');
      dbPort = await freePort();
      db = await startDb();
      expect(db.logs()).toContain('initializing database files');
      const r = await db.exec(['mariadb', '-h', '127.0.0.1', '-P', String(dbPort), '-u', 'guestbook', '-pgb-secret', 'guestbook', '-N', '-e', 'SELECT DATABASE(), CURRENT_USER()']);
      expect(r.stderr).toBe('');
      expect(r.stdout.trim()).toBe('guestbook\tguestbook@%');
    }, 180_000);

    it('the web app creates its table, serves the page and stores entries', async () => {
      webPort = await freePort();
      web = await runner.run('tscompose-examples/guestbook-web:1', {
        env: { HOST: '127.0.0.1', PORT: String(webPort), DB_HOST: '127.0.0.1', DB_PORT: String(dbPort), DB_USER: 'guestbook', DB_PASSWORD: 'gb-secret', DB_NAME: 'guestbook' },
      });
      const base = `http://127.0.0.1:${webPort}`;
      await waitFor('guestbook /healthz', async () => ((await http('GET', `${base}/healthz`)).status === 200 ? true : undefined), 60_000, web.logs);
      // The image's own HEALTHCHECK command.
      expect((await web.exec(['node', '/app/healthcheck.js'])).code).toBe(0);

      const empty = await http('GET', `${base}/`);
      expect(empty.status).toBe(200);
      expect(empty.body).toContain('No entries yet');

      const json = await http('POST', `${base}/entries`, { type: 'application/json', data: JSON.stringify({ name: 'Ada', message: 'Hello <from> JSON' }) });
      expect(json.status).toBe(201);
      expect(JSON.parse(json.body)).toMatchObject({ id: 1, name: 'Ada', message: 'Hello <from> JSON' });

      const form = await http('POST', `${base}/entries`, { type: 'application/x-www-form-urlencoded', data: 'name=Grace&message=Signed+with+a+form' });
      expect(form.status).toBe(303);
      expect(form.headers.location).toBe('/');

      const bad = await http('POST', `${base}/entries`, { type: 'application/json', data: '{"message": ""}' });
      expect(bad.status).toBe(400);

      const page = await http('GET', `${base}/`);
      expect(page.body).toContain('Hello &lt;from&gt; JSON');
      expect(page.body).toContain('Signed with a form');
      expect(page.body).toContain('2 entries');
    }, 120_000);

    it('nginx proxies to the web app with examples/proxy/nginx/default.conf', async () => {
      const proxyPort = await freePort();
      const conf = readFileSync(path.join(REPO_ROOT, 'examples/proxy/nginx/default.conf'), 'utf8');
      expect(conf).toMatch(/listen 80;/);
      expect(conf).toContain('web:8080');
      const confDir = tempDir('nginx-conf');
      writeFileSync(path.join(confDir, 'default.conf'), conf.replace(/listen 80;/g, `listen 127.0.0.1:${proxyPort};`).replaceAll('web:8080', `127.0.0.1:${webPort}`));
      const proxy = await runner.run('tscompose-examples/nginx:1.22', {
        binds: [{ source: path.join(confDir, 'default.conf'), target: '/etc/nginx/conf.d/default.conf', ro: true }],
      });
      const base = `http://127.0.0.1:${proxyPort}`;
      const page = await waitFor('nginx', async () => {
        const r = await http('GET', `${base}/`);
        return r.status === 200 ? r : undefined;
      }, 30_000, proxy.logs);
      expect(page.body).toContain('Signed with a form');
      expect(page.headers['x-served-via']).toBe('nginx');
      const post = await http('POST', `${base}/entries`, { type: 'application/json', data: '{"name":"Via","message":"through the proxy"}' });
      expect(post.status).toBe(201);
      expect((await http('GET', `${base}/nginx-health`)).status).toBe(200);
      // Access log lines go to the container's stdout, as with the official image.
      await waitFor('nginx access log', async () => (proxy.logs().includes('POST /entries') ? true : undefined), 5_000, proxy.logs);
      await proxy.stop();
    }, 120_000);

    it('entries survive a restart of the database on the same data dir', async () => {
      await db.stop();
      db = await startDb();
      expect(db.logs()).not.toContain('initializing database files');
      const base = `http://127.0.0.1:${webPort}`;
      const entries = await waitFor('entries after restart', async () => {
        const r = await http('GET', `${base}/entries`);
        return r.status === 200 ? (JSON.parse(r.body) as Array<{ message: string }>) : undefined;
      }, 60_000, web.logs);
      expect(entries.map((e) => e.message)).toEqual(['through the proxy', 'Signed with a form', 'Hello <from> JSON']);
      await web.stop();
      await db.stop();
    }, 180_000);
  });

  describe('queue: redis + producer + worker', () => {
    it('a job posted to the producer is processed by the worker', async () => {
      const redisPort = await freePort();
      const apiPort = await freePort();
      const data = tempDir('redis-data');
      const [ru, rg] = uidOf(store, 'tscompose-examples/redis:7.0');
      chownSync(data, ru, rg);
      const redis = await runner.run('tscompose-examples/redis:7.0', {
        cmd: ['redis-server', '--bind', '127.0.0.1', '--port', String(redisPort), '--protected-mode', 'no', '--dir', '/data', '--appendonly', 'yes'],
        binds: [{ source: data, target: '/data' }],
      });
      await waitFor('redis-cli ping', async () => {
        const r = await redis.exec(['redis-cli', '-p', String(redisPort), 'ping']);
        return r.stdout.trim() === 'PONG' ? true : undefined;
      }, 30_000, redis.logs);

      const env = { REDIS_HOST: '127.0.0.1', REDIS_PORT: String(redisPort) };
      const producer = await runner.run('tscompose-examples/queue-app:1', { env: { ...env, HOST: '127.0.0.1', PORT: String(apiPort) } });
      const worker = await runner.run('tscompose-examples/queue-app:1', { cmd: ['node', 'worker.js'], env });
      const base = `http://127.0.0.1:${apiPort}`;
      await waitFor('producer /healthz', async () => ((await http('GET', `${base}/healthz`)).status === 200 ? true : undefined), 30_000, producer.logs);

      const posted = await http('POST', `${base}/jobs`, { type: 'application/json', data: JSON.stringify({ text: 'hello queue world' }) });
      expect(posted.status).toBe(202);
      const { id } = JSON.parse(posted.body) as { id: number };
      const job = await waitFor('job done', async () => {
        const j = JSON.parse((await http('GET', `${base}/jobs/${id}`)).body) as { status: string; result?: { words: number; upper: string }; worker?: string };
        return j.status === 'done' ? j : undefined;
      }, 30_000, worker.logs);
      expect(job.result).toMatchObject({ words: 3, upper: 'HELLO QUEUE WORLD' });
      expect(job.worker).toBe(worker.id);
      expect((await http('GET', `${base}/jobs/999999`)).status).toBe(404);
      expect((await http('POST', `${base}/jobs`, { type: 'application/json', data: '{}' })).status).toBe(400);

      // Results are in Redis's append-only file on the data dir.
      await worker.stop();
      await producer.stop();
      await redis.stop();
      expect(readFileSync(path.join(data, 'appendonlydir', 'appendonly.aof.1.incr.aof'), 'utf8')).toContain('HELLO QUEUE WORLD');
    }, 180_000);
  });
});
