// `tscompose config` end to end: files on disk -> printed project.

import { afterEach, describe, expect, it } from 'vitest';
import { projectDir, runCli } from './run-cli.js';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));

function setup(files: Record<string, string>): string {
  const { dir, cleanup } = projectDir(files);
  cleanups.push(cleanup);
  return dir;
}

const APP = `services:
  web:
    image: nginx:\${TAG:-1.27}
    ports: ["8080:80"]
    depends_on: [db]
    profiles: [front]
  db:
    image: postgres:16
    volumes: ["data:/var/lib/postgresql/data"]
    environment:
      POSTGRES_PASSWORD: example
  builder:
    build: ./app
volumes:
  data: {}
`;

describe('tscompose config', () => {
  it('prints JSON like docker compose config --format json', async () => {
    const dir = setup({ 'compose.yaml': 'services:\n  web:\n    image: nginx\n    ports: ["8080:80"]\n' });
    const r = await runCli(['-p', 'demo', 'config', '--format', 'json'], { cwd: dir });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      `${JSON.stringify(
        {
          name: 'demo',
          networks: { default: { name: 'demo_default', ipam: {} } },
          services: {
            web: {
              command: null,
              entrypoint: null,
              image: 'nginx',
              networks: { default: null },
              ports: [{ mode: 'ingress', target: 80, published: '8080', protocol: 'tcp' }],
            },
          },
        },
        null,
        2,
      )}\n`,
    );
  });

  it('prints YAML by default', async () => {
    const dir = setup({ 'compose.yaml': 'services:\n  web:\n    image: nginx\n    command: echo hi\n' });
    const r = await runCli(['-p', 'demo', 'config'], { cwd: dir });
    expect(r.stdout).toBe(
      'name: demo\nservices:\n  web:\n    command:\n      - echo\n      - hi\n    image: nginx\n    networks:\n      default: null\nnetworks:\n  default:\n    name: demo_default\n',
    );
  });

  it('--services, --volumes, --networks, --images, --profiles', async () => {
    const dir = setup({ 'compose.yaml': APP });
    const env = { PATH: '/usr/bin' };
    expect((await runCli(['-p', 'shop', '--profile', 'front', 'config', '--services'], { cwd: dir, env })).stdout).toBe('builder\ndb\nweb\n');
    expect((await runCli(['-p', 'shop', 'config', '--services'], { cwd: dir, env })).stdout).toBe('builder\ndb\n');
    expect((await runCli(['-p', 'shop', 'config', '--volumes'], { cwd: dir, env })).stdout).toBe('data\n');
    expect((await runCli(['-p', 'shop', 'config', '--networks'], { cwd: dir, env })).stdout).toBe('default\n');
    expect((await runCli(['-p', 'shop', '--profile', 'front', 'config', '--images'], { cwd: dir, env })).stdout).toBe('shop-builder\npostgres:16\nnginx:1.27\n');
    expect((await runCli(['-p', 'shop', 'config', '--profiles'], { cwd: dir, env })).stdout).toBe('front\n');
  });

  it('interpolates from the environment and .env; --no-interpolate keeps the text', async () => {
    const dir = setup({ 'compose.yaml': APP, '.env': 'TAG=1.25\n' });
    const r = await runCli(['-p', 'shop', '--profile', 'front', 'config', '--format', 'json'], { cwd: dir, env: { TAG: '2.0' } });
    expect(JSON.parse(r.stdout).services.web.image).toBe('nginx:2.0');
    const raw = await runCli(['-p', 'shop', '--profile', 'front', 'config', '--no-interpolate', '--format', 'json'], { cwd: dir });
    expect(JSON.parse(raw.stdout).services.web.image).toBe('nginx:${TAG:-1.27}');
  });

  it('--no-normalize prints the merged model', async () => {
    const dir = setup({ 'compose.yaml': 'services:\n  web:\n    image: nginx\n    ports: ["80"]\n' });
    const r = await runCli(['-p', 'demo', 'config', '--no-normalize', '--format', 'json'], { cwd: dir });
    expect(JSON.parse(r.stdout).services.web).toEqual({ image: 'nginx', ports: ['80'] });
  });

  it('-q prints nothing and succeeds; -o writes the file', async () => {
    const dir = setup({ 'compose.yaml': 'services:\n  web:\n    image: nginx\n' });
    const quiet = await runCli(['config', '-q'], { cwd: dir });
    expect([quiet.code, quiet.stdout, quiet.stderr]).toEqual([0, '', '']);
    const out = await runCli(['-p', 'demo', 'config', '-o', 'out.yaml'], { cwd: dir });
    expect(out.stdout).toBe('');
    expect(Object.values(out.written)[0]).toContain('image: nginx');
  });

  it('--hash prints one "service hash" line per service', async () => {
    const dir = setup({ 'compose.yaml': 'services:\n  a:\n    image: nginx\n  b:\n    image: redis\n' });
    const r = await runCli(['config', '--hash', '*'], { cwd: dir });
    expect(r.stdout).toMatch(/^a [0-9a-f]{64}\nb [0-9a-f]{64}\n$/);
    const one = await runCli(['config', '--hash', 'b'], { cwd: dir });
    expect(one.stdout).toBe(r.stdout.split('\n')[1] + '\n');
  });

  it('schema errors: one located line each, exit 1', async () => {
    const dir = setup({ 'compose.yaml': 'services:\n  web:\n    image: nginx\n    ports: 80\n    prots: [1]\n' });
    const r = await runCli(['config'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe("compose.yaml:4:5: services.web.ports must be a list\ncompose.yaml:5:5: services.web additional property 'prots' is not allowed\n");
  });

  it('consistency errors: exit 1, no stack', async () => {
    const dir = setup({ 'compose.yaml': 'services:\n  web:\n    image: nginx\n    depends_on: [db]\n' });
    const r = await runCli(['config'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('service "web" depends on undefined service "db": invalid compose project\n');
  });

  it('unsupported keys warn on stderr and still print', async () => {
    const dir = setup({ 'compose.yaml': 'services:\n  web:\n    image: nginx\n    gpus: all\n' });
    const r = await runCli(['config', '-q'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("WARN service web: 'gpus' is not supported yet, ignored\n");
  });

  it('-f - reads standard input', async () => {
    const dir = setup({});
    const r = await runCli(['-p', 'x', '-f', '-', 'config', '--services'], { cwd: dir, stdin: 'services:\n  only:\n    image: busybox\n' });
    expect(r.stdout).toBe('only\n');
  });

  it('unknown options and commands exit non-zero with a message', async () => {
    const dir = setup({ 'compose.yaml': 'services: {}\n' });
    const r = await runCli(['config', '--bogus'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("unknown option '--bogus'");
    const bad = await runCli(['config', '--format', 'xml'], { cwd: dir });
    expect([bad.code, bad.stderr]).toEqual([1, 'unsupported format "xml": use yaml or json\n']);
  });

  it('version', async () => {
    const r = await runCli(['version', '--short'], { cwd: '/' });
    expect(r.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });
});

describe('tscompose config details', () => {
  it('naming services keeps them and their dependencies', async () => {
    const dir = setup({ 'compose.yaml': 'services:\n  web:\n    image: nginx\n    depends_on: [api]\n  api:\n    image: api\n    depends_on: [db]\n  db:\n    image: pg\n  other:\n    image: x\n' });
    const r = await runCli(['-p', 'demo', 'config', '--format', 'json', 'api'], { cwd: dir });
    expect(Object.keys(JSON.parse(r.stdout).services)).toEqual(['api', 'db']);
    const missing = await runCli(['config', 'nope'], { cwd: dir });
    expect([missing.code, missing.stderr]).toEqual([1, 'no such service: nope\n']);
  });

  it('a literal $ prints as $$ so the output loads again', async () => {
    const dir = setup({ 'compose.yaml': 'services:\n  web:\n    image: nginx\n    environment:\n      PASS: "pa$$word"\n' });
    const r = await runCli(['-p', 'demo', 'config', '--format', 'json'], { cwd: dir });
    expect(JSON.parse(r.stdout).services.web.environment).toEqual({ PASS: 'pa$$word' });
  });
});
