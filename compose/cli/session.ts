// What every engine command starts with: the project (through the same
// loader options as `config`), the engine connection (--host, TSCOMPOSE_HOST,
// DOCKER_HOST, else the embedded engine started on demand), the output
// settings resolved once, and a renderer. Tests swap the connection and the
// clock through setCliTestHooks.

import { HttpEngineClient } from '../../runtime/client/index.js';
import { DEFAULT_SOCKET, ensureEngine } from '../../runtime/engine/launcher.js';
import { ProjectError } from '../errors.js';
import { loadProject, type LoadResult } from '../load/index.js';
import type { CommandContext } from './commands/index.js';
import type { CliIo, GlobalOptions } from './context.js';
import type { Engine } from './executor/engine-port.js';
import type { ProgressEvent } from './executor/events.js';
import { loadOptions } from './project-options.js';
import { resolveOutput, type OutputSettings } from './ui/progress-mode.js';
import { createRenderer, type BoardLine, type Renderer } from './ui/renderer.js';
import { packageVersion } from './commands/version.js';

export interface CliTestHooks {
  readonly connect?: (globals: GlobalOptions) => Promise<Engine>;
  readonly now?: () => number;
  /** Treat the output as a terminal (default: only the real process's stderr). */
  readonly isTTY?: boolean;
  readonly pollMs?: number;
}

let hooks: CliTestHooks = {};

/** For unit tests: inject a FakeEngine and a fixed clock; call with {} to reset. */
export function setCliTestHooks(next: CliTestHooks): void {
  hooks = next;
}

export function nowMs(): number {
  return hooks.now ? hooks.now() : Date.now();
}

export function pollMs(): number | undefined {
  return hooks.pollMs;
}

async function connect(globals: GlobalOptions, io: CliIo): Promise<Engine & { close?: () => void }> {
  if (hooks.connect) return hooks.connect(globals);
  // An engine named with --host is used as it is, like `docker -H`: starting
  // an engine (on the default state root) behind a mistyped socket path would
  // hide the mistake. The embedded engine starts only on its own socket.
  if (globals.host !== undefined && globals.host !== `unix://${DEFAULT_SOCKET}`) return new HttpEngineClient({ host: globals.host });
  const host = globals.host ?? io.env.TSCOMPOSE_HOST ?? io.env.DOCKER_HOST;
  const address = await ensureEngine({ host });
  return new HttpEngineClient({ host: address });
}

function isTerminal(io: CliIo): boolean {
  if (hooks.isTTY !== undefined) return hooks.isTTY;
  return io.env === process.env && Boolean(process.stderr.isTTY);
}

export interface Session {
  readonly io: CliIo;
  readonly globals: GlobalOptions;
  readonly engine: Engine;
  readonly output: OutputSettings;
  readonly version: string;
  /** Runs `work` under a board titled `title` with these lines; events go to the renderer. */
  board<T>(title: string, lines: readonly BoardLine[], work: (emit: (e: ProgressEvent) => void) => Promise<T>): Promise<T>;
  warn(message: string): void;
  close(): void;
}

export async function openSession(ctx: CommandContext): Promise<Session> {
  const globals = ctx.globals();
  const io = ctx.io;
  const output = resolveOutput({ progress: globals.progress, ansi: globals.ansi, isTTY: isTerminal(io), env: io.env });
  const engine = await connect(globals, io);
  const rendererOut = { write: (text: string) => io.stderr(text) };
  return {
    io,
    globals,
    engine,
    output,
    version: packageVersion(),
    async board(title, lines, work) {
      const renderer: Renderer = createRenderer(output, rendererOut);
      renderer.begin(title, lines);
      try {
        return await work((e) => renderer.event(e));
      } finally {
        await renderer.end();
      }
    },
    warn(message) {
      if (output.mode === 'json') io.stderr(`${JSON.stringify({ kind: 'warning', message })}\n`);
      else io.stderr(`WARN ${message}\n`);
    },
    close() {
      engine.close?.();
    },
  };
}

export interface ProjectSession extends Session {
  readonly loaded: LoadResult;
}

/** What a project-scoped command runs on when there is no compose file but -p names the project. */
export function fileless(projectName: string, cwd: string): LoadResult {
  return {
    project: { name: projectName, services: {} },
    warnings: [],
    model: {},
    files: [],
    envFiles: [],
    activeProfiles: [],
    disabledServices: {},
    environment: {},
    projectDirectory: cwd,
  };
}

function isMissingFile(err: unknown): boolean {
  return err instanceof ProjectError && err.message.startsWith('no configuration file provided');
}

/**
 * A session with the project loaded (selected services enable their profiles).
 * With `withoutFile`, `-p NAME` alone is enough (`down -p app` after the file is gone).
 */
export async function openProjectSession(ctx: CommandContext, services: readonly string[] = [], withoutFile = false): Promise<ProjectSession> {
  const globals = ctx.globals();
  let loaded: LoadResult;
  try {
    loaded = await loadProject(loadOptions(globals, ctx.io, { services }));
  } catch (err) {
    if (!(withoutFile && globals.projectName && !globals.file && isMissingFile(err))) throw err;
    loaded = fileless(globals.projectName.toLowerCase(), ctx.io.cwd);
  }
  const session = await openSession(ctx);
  for (const warning of loaded.warnings) session.warn(warning);
  return { ...session, loaded };
}

/** Runs a command body with a session and always closes the connection. */
export async function withProject<T>(ctx: CommandContext, services: readonly string[], body: (s: ProjectSession) => Promise<T>, withoutFile = false): Promise<T> {
  const session = await openProjectSession(ctx, services, withoutFile);
  try {
    return await body(session);
  } finally {
    session.close();
  }
}
