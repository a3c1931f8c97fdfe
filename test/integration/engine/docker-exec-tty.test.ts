// exec and attach as interactive as with dockerd, driven by the real docker
// CLI: stdin EOF reaches the process (exec -i, run -i), exec -t gets a pty
// (through `tscrun exec-relay`), `exec -it` is interactive under a real
// terminal (util-linux `script` gives the CLI one), and resizes of an exec's
// or a container's TTY reach the process (`stty size`).

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HijackedStream } from '../../../runtime/client/index.js';
import { DOCKER, engineTestGate, newPrefix, startEngineFixture, waitFor, type EngineFixture } from './engine-fixture.js';

const why = engineTestGate('docker exec/attach TTY tests') ?? (!existsSync('/usr/bin/script') ? 'needs script (util-linux)' : undefined);
if (why && process.env.CI) throw new Error(`docker exec/attach TTY tests cannot run: ${why}`);
const d = why ? describe.skip : describe;

let f: EngineFixture;

/** A command under a pty of its own (`script`), typed into through `input()`. */
function underTerminal(args: string[]): { input: (s: string) => void; output: () => string; exited: Promise<number | null> } {
  const line = [DOCKER!, '-H', `unix://${f.socket}`, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const child = spawn('script', ['-qfec', line, '/dev/null'], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, DOCKER_CONFIG: join(f.dir, 'docker-config'), DOCKER_HOST: '', DOCKER_CONTEXT: '', TERM: 'dumb' },
  });
  let out = '';
  child.stdout.on('data', (b: Buffer) => { out += b.toString('utf8'); });
  child.stderr.on('data', (b: Buffer) => { out += b.toString('utf8'); });
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => { clearTimeout(timer); resolve(code); }));
  return { input: (s) => child.stdin.write(s), output: () => out, exited };
}

const COMPOSE_V1 = ['/usr/bin/docker-compose'].find((p) => existsSync(p));
if (!COMPOSE_V1 && process.env.CI) throw new Error('docker exec/attach TTY tests: needs docker-compose (1.29, apt)');

/** `docker-compose` (1.29: Python, dockerpty) under a pty of its own, in a project folder `dir`. */
function composeUnderTerminal(dir: string, args: string[]): { input: (s: string) => void; output: () => string; exited: Promise<number | null> } {
  const line = [COMPOSE_V1!, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const child = spawn('script', ['-qfec', line, '/dev/null'], {
    cwd: dir, stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, DOCKER_HOST: `unix://${f.socket}`, DOCKER_CONFIG: join(f.dir, 'docker-config'), DOCKER_CONTEXT: '', TERM: 'dumb' },
  });
  let out = '';
  child.stdout.on('data', (b: Buffer) => { out += b.toString('utf8'); });
  child.stderr.on('data', (b: Buffer) => { out += b.toString('utf8'); });
  const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => { clearTimeout(timer); resolve(code); }));
  return { input: (s) => child.stdin.write(s), output: () => out, exited };
}

/** Everything a hijacked stream sends, as text so far. */
function collect(stream: HijackedStream): { text: () => string; ended: Promise<void> } {
  let text = stream.head.toString('utf8');
  stream.socket.on('data', (b: Buffer) => { text += b.toString('utf8'); });
  const ended = new Promise<void>((resolve) => { stream.socket.on('end', resolve); stream.socket.on('close', resolve); });
  return { text: () => text, ended };
}

d('docker exec and attach: stdin EOF, TTY, resize', () => {
  let box = '';
  beforeAll(async () => {
    f = await startEngineFixture(newPrefix());
    box = (await f.ok(['run', '-d', '--name', `${f.prefix}-box`, f.image, 'sleep', '600'])).trim();
  }, 120_000);
  afterAll(async () => { await f?.teardown(); }, 120_000);

  it('echo hi | docker exec -i C cat: the process sees the end of stdin', async () => {
    expect(await f.docker(['exec', '-i', box, 'cat'], 'hi\n')).toEqual({ code: 0, stdout: 'hi\n', stderr: '' });
    expect(await f.docker(['exec', '-i', box, 'wc', '-c'], 'x'.repeat(100_000))).toMatchObject({ code: 0, stdout: expect.stringMatching(/^\s*100000\n$/) });
  });

  it('echo hi | docker run -i --rm IMAGE cat: the container sees the end of stdin', async () => {
    expect(await f.docker(['run', '-i', '--rm', f.image, 'cat'], 'hi\n')).toEqual({ code: 0, stdout: 'hi\n', stderr: '' });
    expect(await f.docker(['run', '-i', '--rm', f.image, 'sh', '-c', 'cat; exit 7'], 'a\nb\n')).toEqual({ code: 7, stdout: 'a\nb\n', stderr: '' });
  });

  it('attach to a container without StdinOnce: stdin EOF ends the session, the container goes on', async () => {
    const id = (await f.ok(['run', '-di', f.image, 'cat'])).trim(); // detached: OpenStdin, no StdinOnce
    const stream = await f.client.attachContainer(id, { stdin: true, stdout: true, stderr: true, stream: true });
    const out = collect(stream);
    stream.socket.write('hi\n');
    await waitFor('the echo', () => out.text().includes('hi\n'));
    stream.socket.end();
    await out.ended;
    expect((await f.client.inspectContainer(id)).State.Running).toBe(true);
    // and a new session still reaches its stdin
    const again = await f.client.attachContainer(id, { stdin: true, stdout: true, stream: true });
    const out2 = collect(again);
    again.socket.write('again\n');
    await waitFor('the second echo', () => out2.text().includes('again\n'));
    again.socket.destroy();
    await f.ok(['rm', '-f', id]);
  });

  it('docker exec -t C tty: a pty of its own, TERM=xterm, the exit code', async () => {
    const r = await f.docker(['exec', '-t', box, 'sh', '-c', 'tty; echo $TERM; exit 5']);
    expect(r.code).toBe(5);
    expect(r.stdout).toMatch(/^\/dev\/pts\/\d+\r\nxterm\r\n$/);
  });

  it('docker exec -t of a missing command: the runtime says why, exit 126 as with dockerd', async () => {
    const r = await f.docker(['exec', '-t', box, 'no-such-command']);
    expect(r.code).toBe(126);
    expect(r.stdout + r.stderr).toContain('no-such-command');
  });

  it('docker exec -it under a real terminal: type, see the output, exit 3', async () => {
    const t = underTerminal(['exec', '-it', box, 'sh']);
    t.input('echo $((40 + 2))\n');
    await waitFor('the answer', () => /\b42\r?\n/.test(t.output()), 30_000);
    t.input('exit 3\n');
    expect(await t.exited).toBe(3);
  });

  it('docker run -it under a real terminal: the container shell is interactive', async () => {
    const t = underTerminal(['run', '-it', '--rm', f.image, 'sh']);
    t.input('echo $((6 * 7))\n');
    await waitFor('the answer', () => /\b42\r?\n/.test(t.output()), 30_000);
    t.input('exit 4\n');
    expect(await t.exited).toBe(4);
  });

  it.skipIf(!COMPOSE_V1)('docker-compose 1.29 exec is interactive too (its own pty code, dockerpty)', async () => {
    const dir = join(f.dir, 'compose-v1');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'docker-compose.yml'), `version: "2.4"\nservices:\n  web:\n    image: ${f.image}\n    command: ["sleep", "300"]\n`);
    const project = `${f.prefix}v1`;
    const up = composeUnderTerminal(dir, ['-p', project, 'up', '-d']);
    expect(await up.exited).toBe(0);
    const t = composeUnderTerminal(dir, ['-p', project, 'exec', 'web', 'sh']);
    t.input('tty; echo $((40 + 2))\n');
    await waitFor('the tty and the answer', () => /\/dev\/pts\/\d+\r\n42\r\n/.test(t.output()), 60_000);
    t.input('exit 3\n');
    expect(await t.exited).toBe(3);
    expect(await composeUnderTerminal(dir, ['-p', project, 'down']).exited).toBe(0);
  });

  it('an exec TTY resize reaches the process; exec inspect shows the exit code', async () => {
    const { Id } = await f.client.createExec(box, { Cmd: ['sh'], Tty: true, AttachStdin: true, AttachStdout: true, AttachStderr: true });
    await f.client.resizeExec(Id, 30, 100); // before start: the initial size
    const stream = await f.client.startExec(Id, { Tty: true });
    const out = collect(stream);
    stream.socket.write('stty size\n');
    await waitFor('the initial size', () => /\b30 100\r\n/.test(out.text()));
    await f.client.resizeExec(Id, 33, 77);
    stream.socket.write('stty size\n');
    await waitFor('the new size', () => /\b33 77\r\n/.test(out.text()));
    expect((await f.client.inspectExec(Id)).Running).toBe(true);
    stream.socket.write('exit 6\n');
    await out.ended;
    await waitFor('the exec to end', async () => !(await f.client.inspectExec(Id)).Running);
    expect(await f.client.inspectExec(Id)).toMatchObject({ Running: false, ExitCode: 6, ProcessConfig: { tty: true } });
  });

  it("a container TTY resize reaches the container's process", async () => {
    const id = (await f.ok(['run', '-dit', f.image, 'sh'])).trim();
    await f.client.resizeContainer(id, 41, 123);
    expect(await f.ok(['exec', id, 'stty', '-F', '/dev/pts/0', 'size'])).toBe('41 123\n');
    await f.client.resizeContainer(id, 24, 80);
    expect(await f.ok(['exec', id, 'stty', '-F', '/dev/pts/0', 'size'])).toBe('24 80\n');
    const bad = await fetchStatus(`/containers/${id}/resize?h=0&w=80`);
    expect(bad).toBe(400);
    await f.ok(['rm', '-f', id]);
  });

  it('a resize of a container without a TTY, or of a stopped one, is a no-op', async () => {
    await f.client.resizeContainer(box, 30, 90);
    const id = (await f.ok(['create', '-t', f.image, 'sh'])).trim();
    await f.client.resizeContainer(id, 30, 90);
    await f.ok(['rm', '-f', id]);
  });
});

async function fetchStatus(path: string): Promise<number> {
  const http = await import('node:http');
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: f.socket, path: `/v1.41${path}`, method: 'POST' }, (res) => { res.resume(); resolve(res.statusCode ?? 0); });
    req.on('error', reject);
    req.end();
  });
}
