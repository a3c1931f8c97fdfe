// `tscompose exec` and `tscompose run` on a terminal, like docker compose: a
// TTY by default when stdin is a terminal (util-linux `script` gives the CLI
// one), -T for none, and a piped stdin reaching the process's end of input.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliStack, cliEntry, eventually, missingPrerequisite } from './cli-harness.js';

const why = missingPrerequisite() ?? (!existsSync('/usr/bin/script') ? 'needs script (util-linux)' : undefined);
if (why && process.env.CI) throw new Error(`compose exec/run TTY tests cannot run: ${why}`);
const d = why ? describe.skip : describe;

const s = new CliStack();
const quote = (a: string): string => `'${a.replace(/'/g, `'\\''`)}'`;
const cli = (args: string[]): string => [process.execPath, ...cliEntry(), '--host', s.host, '-p', s.project, ...args].map(quote).join(' ');

/** `sh -c LINE` with the CLI's output collected; LINE may pipe into it. */
function shell(line: string, viaTerminal: boolean): { input: (t: string) => void; output: () => string; exited: Promise<number | null> } {
  const child = viaTerminal
    ? spawn('script', ['-qfec', line, '/dev/null'], { cwd: s.projectDir, env: { PATH: process.env.PATH ?? '', HOME: s.dir, TERM: 'dumb' } })
    : spawn('sh', ['-c', line], { cwd: s.projectDir, env: { PATH: process.env.PATH ?? '', HOME: s.dir } });
  let out = '';
  child.stdout.on('data', (b: Buffer) => { out += b.toString('utf8'); });
  child.stderr.on('data', (b: Buffer) => { out += b.toString('utf8'); });
  const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => { clearTimeout(timer); resolve(code); }));
  return { input: (t) => child.stdin.write(t), output: () => out, exited };
}

d('tscompose exec and run on a terminal', () => {
  beforeAll(async () => {
    await s.start();
    s.writeCompose('services:\n  web:\n    image: busybox\n    command: ["sleep", "300"]\n    stop_signal: SIGKILL\n');
    await s.ok('up', '-d');
  }, 120_000);
  afterAll(async () => { await s.stop(); }, 120_000);

  it('exec allocates a TTY when stdin is a terminal: interactive, exit code kept', async () => {
    const t = shell(cli(['exec', 'web', 'sh']), true);
    t.input('tty; echo $((40 + 2))\n');
    await eventually(() => (/\/dev\/pts\/\d+\r\n42\r\n/.test(t.output()) ? true : undefined), 60_000, 'the tty and the answer');
    t.input('exit 3\n');
    expect(await t.exited).toBe(3);
  });

  it('exec -T on a terminal: no TTY', async () => {
    const t = shell(cli(['exec', '-T', 'web', 'tty']), true);
    expect(await t.exited).toBe(1); // tty(1) exits 1 on "not a tty"
    expect(t.output()).toContain('not a tty');
  });

  it('echo hi | exec -T: the piped stdin reaches the process, and its end', async () => {
    const t = shell(`echo hi | ${cli(['exec', '-T', 'web', 'cat'])}`, false);
    expect(await t.exited).toBe(0);
    expect(t.output()).toBe('hi\n');
  });

  it('echo hi | run -T: the piped stdin reaches the one-off, and its end; the exit code is ours', async () => {
    const t = shell(`printf 'hi\\nthere\\n' | ${cli(['run', '--rm', '-T', 'web', 'sh', '-c', 'cat; exit 3'])} 2>/dev/null`, false);
    expect(await t.exited).toBe(3);
    expect(t.output()).toBe('hi\nthere\n');
  });

  it('run on a terminal: a TTY and our keyboard; --rm removes it', async () => {
    const t = shell(cli(['run', '--rm', 'web', 'sh', '-c', 'echo first words; exec sh']), true);
    await eventually(() => (t.output().includes('first words\r\n') ? true : undefined), 60_000, 'the first output');
    t.input('tty; echo $((6 * 7))\n');
    await eventually(() => (/\/dev\/pts\/\d+\r\n42\r\n/.test(t.output()) ? true : undefined), 60_000, 'the tty and the answer');
    t.input('exit 5\n');
    expect(await t.exited).toBe(5);
    const left = (await s.client().listContainers({ all: true })).filter((c) => c.Labels?.['com.docker.compose.oneoff'] === 'True');
    expect(left).toEqual([]);
  });
});
