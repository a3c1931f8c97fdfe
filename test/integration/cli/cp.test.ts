// `tscompose cp` on our own engine (in-process, private root and socket):
// both directions, a file, a directory, a directory's content, -L, --index,
// every replica by default, a stopped container, and `-` (a tar on stdin and
// on stdout, through a real CLI process).

import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import tar from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../compose/cli/main.js';
import { setCliTestHooks } from '../../../compose/cli/session.js';
import { HttpEngineClient } from '../../../runtime/client/index.js';
import { Engine } from '../../../runtime/engine/engine.js';
import { makeBusyboxRootfs, missingPrerequisite, removeCgroupParent, removeTestNetworks, singleLayerImages, testNetworkOptions } from '../engine/helpers.js';

const why = missingPrerequisite();
if (why && process.env.CI) throw new Error(`tscompose cp tests cannot run: ${why}`);
const d = why ? describe.skip : describe;

const prefix = `tsct${Math.random().toString(36).slice(2, 8)}`;
const YAML = `
services:
  web:
    image: busybox
    network_mode: none
    command: ["sleep", "300"]
    stop_signal: SIGKILL
    scale: 2
    volumes: ["data:/vol"]
volumes:
  data: {}
`;
const REPO = resolve(import.meta.dirname, '../../..');

let dir = '';
let socket = '';
let engine: Engine | undefined;

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(['node', 'tscompose', '-p', prefix, ...args], {
    stdout: (s) => (stdout += s), stderr: (s) => (stderr += s), cwd: dir, env: {}, readStdin: () => '', writeFile: () => {},
  });
  return { code, stdout, stderr };
}

/** The CLI as its own process, for stdin and stdout as byte streams. */
function cliProcess(args: string[], input?: Buffer): Promise<{ code: number; stdout: Buffer; stderr: string }> {
  const runner = join(dir, 'run-cli.mts');
  writeFileSync(runner, `import { main } from ${JSON.stringify(join(REPO, 'compose/cli/main.ts'))};\nprocess.exitCode = await main(process.argv);\n`);
  return new Promise((done) => {
    // From the checkout, where `tsx` resolves; the project is named by its file.
    const child = execFile(process.execPath, ['--import', 'tsx', runner, '--host', `unix://${socket}`, '-f', join(dir, 'compose.yaml'), '-p', prefix, ...args], {
      cwd: REPO, encoding: 'buffer', timeout: 60_000, env: { ...process.env, NODE_OPTIONS: '' },
    }, (err, stdout, stderr) => {
      done({ code: err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0, stdout, stderr: stderr.toString() });
    });
    child.stdin?.end(input);
  });
}

async function tarEntries(buf: Buffer): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const ex = tar.extract();
  ex.on('entry', (h, stream, next) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: unknown) => { chunks.push(c as Buffer); });
    stream.on('end', () => { out[h.name] = Buffer.concat(chunks).toString(); next(); });
  });
  const finished = new Promise<void>((r) => ex.on('finish', () => r()));
  ex.end(buf);
  await finished;
  return out;
}

d('tscompose cp on the tscompose engine', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
    socket = join(dir, 'engine.sock');
    const layer = makeBusyboxRootfs(join(dir, 'layer'));
    mkdirSync(join(layer, 'data', 'sub'), { recursive: true });
    writeFileSync(join(layer, 'data', 'hello.txt'), 'hello\n');
    writeFileSync(join(layer, 'data', 'sub', 'deep.txt'), 'deep\n');
    symlinkSync('/data/hello.txt', join(layer, 'link'));
    engine = await Engine.start({ root: join(dir, 'root'), socketPath: socket, images: singleLayerImages(layer), cgroupParent: prefix, log: () => {}, ...testNetworkOptions(prefix) });
    setCliTestHooks({ connect: async () => new HttpEngineClient({ host: `unix://${socket}` }), pollMs: 50 });
    writeFileSync(join(dir, 'compose.yaml'), YAML);
    const up = await cli('up', '-d');
    if (up.code !== 0) throw new Error(`up failed: ${up.stderr}`);
  }, 120_000);

  afterAll(async () => {
    // down still goes through the hooks to the test's engine: without them the CLI would start the default engine
    if (socket && engine) await cli('down', '-v', '-t', '0');
    setCliTestHooks({});
    if (socket) {
      const client = new HttpEngineClient({ host: `unix://${socket}` });
      for (const c of await client.listContainers({ all: true }).catch(() => [])) await client.removeContainer(c.Id, { force: true, volumes: true }).catch(() => {});
      client.close();
    }
    await engine?.close();
    await removeCgroupParent(prefix);
    if (dir) await removeTestNetworks(join(dir, 'root'), testNetworkOptions(prefix).networkLinkPrefix);
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('copies a file, a directory and a directory\'s content out of a service', async () => {
    expect((await cli('cp', 'web:/data/hello.txt', './hello-copy.txt')).code).toBe(0);
    expect(readFileSync(join(dir, 'hello-copy.txt'), 'utf8')).toBe('hello\n');
    expect((await cli('cp', 'web:/data', 'newdir')).code).toBe(0);
    expect(readFileSync(join(dir, 'newdir', 'sub', 'deep.txt'), 'utf8')).toBe('deep\n');
    mkdirSync(join(dir, 'existing'));
    expect((await cli('cp', 'web:/data', 'existing')).code).toBe(0);
    expect(readFileSync(join(dir, 'existing', 'data', 'hello.txt'), 'utf8')).toBe('hello\n');
    mkdirSync(join(dir, 'flat'));
    expect((await cli('cp', 'web:/data/.', 'flat')).code).toBe(0);
    expect(readFileSync(join(dir, 'flat', 'hello.txt'), 'utf8')).toBe('hello\n');
    // -L copies what the link points to, under the link's name.
    expect((await cli('cp', '-L', 'web:/link', 'followed')).code).toBe(0);
    expect(readFileSync(join(dir, 'followed'), 'utf8')).toBe('hello\n');
    const missing = await cli('cp', 'web:/nope', '.');
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain(`Could not find the file /nope in container ${prefix}-web-1`);
  }, 60_000);

  it('copies into every replica, or the one --index names, and reads back from a stopped one', async () => {
    writeFileSync(join(dir, 'local.txt'), 'local\n');
    const r = await cli('cp', 'local.txt', 'web:/tmp/');
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`to ${prefix}-web-1:/tmp/`);
    expect(r.stderr).toContain(`to ${prefix}-web-2:/tmp/`);
    expect((await cli('cp', '--index', '2', 'local.txt', 'web:/tmp/only-two.txt')).code).toBe(0);
    expect((await cli('cp', '--index', '2', 'web:/tmp/only-two.txt', 'two.txt')).code).toBe(0);
    expect(readFileSync(join(dir, 'two.txt'), 'utf8')).toBe('local\n');
    expect((await cli('cp', '--index', '1', 'web:/tmp/only-two.txt', 'one.txt')).code).not.toBe(0);
    mkdirSync(join(dir, 'tree', 'in'), { recursive: true });
    writeFileSync(join(dir, 'tree', 'in', 'f'), 'f\n');
    expect((await cli('cp', '--index', '1', 'tree', 'web:/vol/tree')).code).toBe(0);
    expect((await cli('stop', 'web')).code).toBe(0);
    expect((await cli('cp', '--index', '1', 'web:/vol/tree/in/f', 'from-stopped')).code).toBe(0);
    expect(readFileSync(join(dir, 'from-stopped'), 'utf8')).toBe('f\n');
    expect((await cli('cp', '--index', '1', 'local.txt', 'web:/vol/while-stopped.txt')).code).toBe(0);
    expect((await cli('start', 'web')).code).toBe(0);
    expect((await cli('cp', '--index', '2', 'web:/vol/while-stopped.txt', 'shared.txt')).code).toBe(0);
    expect(readFileSync(join(dir, 'shared.txt'), 'utf8')).toBe('local\n');
  }, 120_000);

  it('takes a tar on stdin and gives one on stdout with -', async () => {
    const pack = tar.pack();
    pack.entry({ name: 'piped.txt' }, 'piped\n');
    pack.finalize();
    const chunks: Buffer[] = [];
    for await (const c of pack) chunks.push(c as Buffer);
    const put = await cliProcess(['cp', '--index', '1', '-', 'web:/tmp'], Buffer.concat(chunks));
    expect(put.stderr).toContain('Copied stdin');
    expect(put.code).toBe(0);
    const get = await cliProcess(['cp', '--index', '1', 'web:/tmp/piped.txt', '-']);
    expect(get.code).toBe(0);
    expect(await tarEntries(get.stdout)).toEqual({ 'piped.txt': 'piped\n' });
    expect(existsSync(join(dir, '-'))).toBe(false);
  }, 120_000);

  it('keeps the local owners with -a, gives root\'s otherwise', async () => {
    writeFileSync(join(dir, 'owned.txt'), 'owned\n');
    chownSync(join(dir, 'owned.txt'), 1234, 4321);
    expect((await cli('cp', '--index', '1', 'owned.txt', 'web:/tmp/plain.txt')).code).toBe(0);
    expect((await cli('cp', '-a', '--index', '1', 'owned.txt', 'web:/tmp/kept.txt')).code).toBe(0);
    const client = new HttpEngineClient({ host: `unix://${socket}` });
    const owner = async (path: string): Promise<string> => {
      const { tar: body } = await client.getContainerArchive(`${prefix}-web-1`, path);
      const ex = tar.extract();
      let ids = '';
      ex.on('entry', (h, stream, next) => { ids = `${h.uid}:${h.gid}`; stream.resume(); next(); });
      const finished = new Promise<void>((r) => ex.on('finish', () => r()));
      body.pipe(ex);
      await finished;
      return ids;
    };
    try {
      expect(await owner('/tmp/plain.txt')).toBe('0:0');
      expect(await owner('/tmp/kept.txt')).toBe('1234:4321');
    } finally { client.close(); }
  }, 60_000);

  it('refuses two services or none', async () => {
    expect((await cli('cp', 'web:/a', 'web:/b')).stderr).toContain('copying between services is not supported');
    expect((await cli('cp', './a', './b')).stderr).toContain('must specify at least one container');
    expect((await cli('cp', 'nosuch:/a', '.')).stderr).toContain('no such service: nosuch');
  }, 60_000);
});
