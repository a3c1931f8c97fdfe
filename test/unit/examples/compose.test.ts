// The example stacks load cleanly through the compose core, use only images
// that examples/images builds, and switch to official images through the
// documented variables and override files.
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadProject } from '../../../compose/load/index.js';
import { IMAGES } from '../../../examples/images/images.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const dir = (x: string) => path.join(repo, 'examples', x);

async function load(example: string, environment: Record<string, string> = {}, official = false) {
  const files = official ? ['compose.yaml', 'compose.official.yaml'] : ['compose.yaml'];
  return loadProject({ files, workingDir: dir(example), environment, homeDir: '/home/user' });
}

describe('example compose files', () => {
  const built = new Set(IMAGES.map((i) => i.ref));

  it.each(['guestbook', 'proxy', 'queue'])('%s loads without warnings and uses only example images', async (example) => {
    const { project, warnings } = await load(example);
    expect(warnings).toEqual([]);
    for (const [name, s] of Object.entries(project.services)) {
      expect(built.has(s.image ?? ''), `${example}: ${name} uses ${s.image}, which examples/images does not build`).toBe(true);
    }
  });

  it('guestbook: db is healthy before web starts; data on a named volume; port 8080', async () => {
    const { project } = await load('guestbook');
    const { db, web } = project.services;
    expect(db.healthcheck?.test?.[0]).toBe('CMD-SHELL');
    expect(db.healthcheck?.test?.[1]).toContain('$MARIADB_ROOT_PASSWORD');
    expect(db.volumes).toEqual([expect.objectContaining({ type: 'volume', source: 'db-data', target: '/var/lib/mysql' })]);
    expect(project.volumes?.['db-data']?.name).toBe('guestbook_db-data');
    expect(web.depends_on?.db?.condition).toBe('service_healthy');
    expect(web.ports).toEqual([expect.objectContaining({ target: 8080, published: '8080' })]);
    expect(web.environment).toMatchObject({ DB_HOST: 'db', DB_USER: 'guestbook', DB_NAME: 'guestbook' });
    expect(web.environment?.DB_PASSWORD).toBe(db.environment?.MARIADB_PASSWORD);
  });

  it('guestbook: official images through DB_IMAGE and compose.official.yaml', async () => {
    const { project } = await load('guestbook', { DB_IMAGE: 'mariadb:11' }, true);
    expect(project.services.db.image).toBe('mariadb:11');
    expect(project.services.web.build?.context).toBe(dir('guestbook/app'));
    expect(project.services.web.image).toBe('guestbook-web:dev');
  });

  it('proxy: only nginx publishes a port, with its config mounted read-only', async () => {
    const { project } = await load('proxy');
    const { proxy, web, db } = project.services;
    expect(proxy.ports).toEqual([expect.objectContaining({ target: 80, published: '8081' })]);
    expect(web.ports ?? []).toEqual([]);
    expect(db.ports ?? []).toEqual([]);
    expect(proxy.volumes).toEqual([expect.objectContaining({
      type: 'bind', source: dir('proxy/nginx/default.conf'), target: '/etc/nginx/conf.d/default.conf', read_only: true,
    })]);
    expect(proxy.depends_on?.web?.condition).toBe('service_healthy');
  });

  it('queue: two workers and an API wait for a healthy redis', async () => {
    const { project } = await load('queue');
    const { redis, api, worker } = project.services;
    expect(redis.healthcheck?.test).toEqual(['CMD', 'redis-cli', 'ping']);
    expect(worker.scale).toBe(2);
    expect(worker.command).toEqual(['node', 'worker.js']);
    for (const s of [api, worker]) expect(s.depends_on?.redis?.condition).toBe('service_healthy');
    expect(api.ports).toEqual([expect.objectContaining({ target: 8080, published: '8082' })]);
  });
});

describe('queue app: the RESP codec', () => {
  const resp = createRequire(import.meta.url)(path.join(repo, 'examples/queue/app/resp.js')) as {
    encode(args: unknown[]): string;
    parse(buf: Buffer, pos: number): [unknown, number] | undefined;
    RedisError: new (m: string) => Error;
  };

  it('encodes commands as arrays of bulk strings (byte lengths)', () => {
    expect(resp.encode(['SET', 'k', 'héllo'])).toBe('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$6\r\nhéllo\r\n');
  });

  it('parses every reply type, and waits for incomplete ones', () => {
    const b = (s: string) => Buffer.from(s);
    expect(resp.parse(b('+PONG\r\n'), 0)).toEqual(['PONG', 7]);
    expect(resp.parse(b(':42\r\n'), 0)).toEqual([42, 5]);
    expect(resp.parse(b('$-1\r\n'), 0)).toEqual([null, 5]);
    expect(resp.parse(b('$4\r\nhé!\r\n'), 0)).toEqual(['hé!', 10]); // é is two bytes
    expect(resp.parse(b('*2\r\n$4\r\njobs\r\n$1\r\n7\r\n'), 0)).toEqual([['jobs', '7'], 21]);
    expect(resp.parse(b('*-1\r\n'), 0)).toEqual([null, 5]);
    const [err] = resp.parse(b('-ERR wrong type\r\n'), 0)!;
    expect(err).toBeInstanceOf(resp.RedisError);
    expect((err as Error).message).toBe('ERR wrong type');
    expect(resp.parse(b('$5\r\nhel'), 0)).toBeUndefined();
    expect(resp.parse(b('*2\r\n$4\r\njobs\r\n'), 0)).toBeUndefined();
    expect(resp.parse(b(':1'), 0)).toBeUndefined();
  });
});
