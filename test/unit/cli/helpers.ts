// Shared fixtures for CLI tests: projects from inline YAML through the real
// loader, and a recorder for events.

import { loadProject, type LoadResult } from '../../../compose/load/index.js';
import type { ProgressEvent } from '../../../compose/cli/executor/events.js';
import type { Clock } from '../../../compose/cli/executor/clock.js';
import { main } from '../../../compose/cli/main.js';
import { setCliTestHooks } from '../../../compose/cli/session.js';
import { FakeEngine } from './fake-engine.js';

export async function loadInline(yaml: string, projectName = 'app'): Promise<LoadResult> {
  return loadProject({ files: ['-'], stdin: yaml, workingDir: '/srv/app', projectName, environment: {} });
}

export const THREE_TIER = `
services:
  web:
    image: nginx:1.27
    ports: ["8080:80"]
    depends_on: [api]
  api:
    image: example/api:1
    environment:
      DB_HOST: db
    depends_on:
      db:
        condition: service_healthy
  db:
    image: mariadb:11
    volumes: [data:/var/lib/mysql]
    healthcheck:
      test: ["CMD", "healthcheck.sh", "--connect"]
      interval: 2s
volumes:
  data: {}
`;

export function recorder(): { events: ProgressEvent[]; emit: (e: ProgressEvent) => void; lines: () => string[] } {
  const events: ProgressEvent[] = [];
  return {
    events,
    emit: (e) => events.push(e),
    lines: () =>
      events.map((e) => (e.kind === 'resource' ? `${e.resource} ${e.name} ${e.status}${e.detail ? ` (${e.detail})` : ''}` : e.kind === 'warning' ? `warning ${e.message}` : `log ${e.container} ${e.line}`)),
  };
}

/** A clock whose sleeps return at once and advance time. */
export function instantClock(start = 0): Clock {
  let now = start;
  return {
    now: () => now,
    sleep: async (ms) => {
      now += ms;
      await Promise.resolve();
    },
  };
}

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the real CLI in-process (`main`) on a FakeEngine, with the compose file given inline. */
export async function runCli(engine: FakeEngine, yaml: string, args: readonly string[], options: { env?: Record<string, string>; now?: number; isTTY?: boolean; cwd?: string } = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  setCliTestHooks({ connect: async () => engine, now: () => options.now ?? 1_700_000_000_000 + 120_000, isTTY: options.isTTY ?? false, pollMs: 1 });
  try {
    const fileArgs = options.cwd ? [] : ['-f', '-'];
    const code = await main(['node', 'tscompose', ...fileArgs, '-p', 'app', ...args], {
      stdout: (s) => (stdout += s),
      stderr: (s) => (stderr += s),
      cwd: options.cwd ?? '/srv/app',
      env: options.env ?? {},
      readStdin: () => yaml,
      writeFile: () => {
        throw new Error('no files in tests');
      },
    });
    return { code, stdout, stderr };
  } finally {
    setCliTestHooks({});
  }
}

/** A FakeEngine that has the images of the fixtures. */
export function seededEngine(behaviour: ConstructorParameters<typeof FakeEngine>[0] = {}): FakeEngine {
  const engine = new FakeEngine(behaviour);
  for (const image of ['nginx:1.27', 'example/api:1', 'mariadb:11', 'busybox:latest']) engine.addImage(image);
  return engine;
}
