// `tscompose run SERVICE [COMMAND...]`: a one-off container of a service,
// with its dependencies converged first (unless --no-deps), the service's
// ports only with --service-ports, then attached until it exits; its exit
// status becomes ours. --rm removes it afterwards. When our stdin is a
// terminal it gets a TTY and our keyboard, like docker compose (-T: neither);
// a pipe or a file on our stdin is its stdin, and its end the container's
// end of input (`echo hi | tscompose run -T svc cat`, `< dump.sql`).

import { randomBytes } from 'node:crypto';
import { isAbsolute, resolve } from 'node:path';
import type { Command } from 'commander';
import { parsePortSpec } from '../../normalize/ports.js';
import { shellSplit } from '../../normalize/shell-split.js';
import { oneOffName } from '../../plan/index.js';
import type { Project, ServiceConfig, ServicePortConfig, ServiceVolumeConfig } from '../../types.js';
import { copyContainerOutput, pipeHijacked } from '../attach.js';
import { UsageError } from '../context.js';
import { converge } from '../converge.js';
import { ExitStatus } from '../executor/errors.js';
import { checkServices } from '../project-containers.js';
import { withProject } from '../session.js';
import { chooseStdio, holdTerminal, stdinCarriesData, utf8Writer } from '../tty.js';
import type { HijackedStream } from '../../../runtime/client/index.js';
import type { Engine } from '../executor/engine-port.js';
import type { CommandContext, CommandSetup } from './index.js';
import { collect, parseEnvFlags } from './options.js';

interface RunOptions {
  rm?: boolean;
  detach?: boolean;
  env?: string[];
  TTY?: boolean;
  deps?: boolean;
  servicePorts?: boolean;
  publish?: string[];
  name?: string;
  entrypoint?: string;
  user?: string;
  workdir?: string;
  volume?: string[];
  label?: string[];
}

/** `-v SRC:DST[:ro]`: a path (absolute, `.`, `~`) is a bind, anything else a volume name. */
function volumeFlag(spec: string, cwd: string): ServiceVolumeConfig {
  const parts = spec.split(':');
  if (parts.length === 1) return { type: 'volume', target: parts[0] };
  const [source, target, mode] = parts;
  const readOnly = mode === 'ro';
  if (source.startsWith('/') || source.startsWith('.') || source.startsWith('~')) {
    return { type: 'bind', source: isAbsolute(source) ? source : resolve(cwd, source), target, read_only: readOnly || undefined, bind: { create_host_path: true } };
  }
  return { type: 'volume', source, target, read_only: readOnly || undefined };
}

/**
 * The service as `run` runs it: command, flags, and no ports unless asked;
 * `terminal`: with a TTY and stdin open (interactive); `openStdin`: stdin
 * open without a TTY (our stdin is piped to it).
 */
export function runConfig(
  project: Project, service: string, command: string[], options: RunOptions, env: Readonly<Record<string, string | undefined>>, cwd: string, terminal = false,
  openStdin = terminal,
): ServiceConfig {
  const base = project.services[service];
  const ports: ServicePortConfig[] = options.servicePorts ? [...(base.ports ?? [])] : [];
  for (const p of options.publish ?? []) ports.push(...(parsePortSpec(p) as ServicePortConfig[]));
  const labels = { ...(base.labels ?? {}) };
  for (const l of options.label ?? []) {
    const at = l.indexOf('=');
    labels[at < 0 ? l : l.slice(0, at)] = at < 0 ? '' : l.slice(at + 1);
  }
  const config: Record<string, unknown> = {
    ...base,
    ports,
    labels,
    environment: { ...(base.environment ?? {}), ...parseEnvFlags(options.env, env) },
    volumes: [...(base.volumes ?? []), ...(options.volume ?? []).map((v) => volumeFlag(v, cwd))],
    tty: options.TTY === false ? false : terminal || (base.tty ?? false),
  };
  if (terminal || openStdin) config.stdin_open = true;
  if (command.length > 0) config.command = command;
  if (options.entrypoint !== undefined) config.entrypoint = shellSplit(options.entrypoint);
  if (options.user !== undefined) config.user = options.user;
  if (options.workdir !== undefined) config.working_dir = options.workdir;
  // A one-off container is never named by the service's container_name.
  delete config.container_name;
  return config as ServiceConfig;
}

export const run: CommandSetup = (program: Command, ctx: CommandContext) => {
  // Everything after the service goes to the container (`exec db mysql -e ...`):
  // commander needs positional options for that, so global flags come before
  // the command, as docker compose requires anyway.
  program.enablePositionalOptions();
  program
    .command('run')
    .description('Run a one-off command on a service')
    .argument('<service>', 'the service')
    .argument('[command...]', 'the command and its arguments (default: the service command)')
    .passThroughOptions()
    .option('--rm', 'automatically remove the container when it exits')
    .option('-d, --detach', 'run container in background and print container ID')
    .option('-e, --env <key=value>', 'set environment variables (repeatable)', collect)
    .option('-l, --label <key=value>', 'add or override a label (repeatable)', collect)
    .option('-T, --no-TTY', 'disable pseudo-TTY allocation')
    .option('--no-deps', "don't start linked services")
    .option('-P, --service-ports', "run command with all service's ports enabled and mapped to the host")
    .option('-p, --publish <port>', "publish a container's port(s) to the host (repeatable)", collect)
    .option('--name <name>', 'assign a name to the container')
    .option('--entrypoint <command>', 'override the entrypoint of the image')
    .option('-u, --user <user>', 'run as specified username or uid')
    .option('-w, --workdir <dir>', 'working directory inside the container')
    .option('-v, --volume <volume>', 'bind mount a volume (repeatable)', collect)
    .action(async (service: string, command: string[], options: RunOptions) => {
      if (options.rm && options.detach) throw new UsageError('--rm and -d are incompatible: a detached container is not waited for, so it cannot be removed');
      await withProject(ctx, [service], async (session) => {
        const project = session.loaded.project;
        checkServices(project, [service]);
        const engine = session.engine;
        const slug = randomBytes(32).toString('hex');
        const realStdio = session.io.env === process.env;
        const stdio = chooseStdio({
          noTty: options.TTY === false, detach: !!options.detach, realStdio, stdinIsTerminal: realStdio && Boolean(process.stdin.isTTY),
          stdinCarriesData: realStdio && stdinCarriesData(),
        });
        const terminal = stdio.tty;
        const piped = stdio.stdin && !stdio.tty;
        const config = runConfig(project, service, command, options, session.io.env, session.io.cwd, terminal, stdio.stdin);
        const containerName = options.name ?? oneOffName(project.name, service, slug);
        const attaching = new AbortController();
        const attached = terminal || piped ? attachWhenCreated(engine, containerName, attaching.signal) : undefined;
        try {
          await converge(session, project, {
            noDeps: options.deps === false,
            oneoff: { service, slug, name: options.name, config },
          });
        } catch (err) {
          attaching.abort();
          void attached?.then((s) => s?.socket.destroy(), () => undefined);
          // A one-off that cannot start (command not found, permission denied)
          // goes too with --rm, as Docker's auto-remove takes it.
          if (options.rm) await engine.removeContainer(containerName, { force: true, volumes: true }).catch(() => undefined);
          throw err;
        }
        if (options.detach) {
          session.io.stdout(`${(await engine.inspectContainer(containerName)).Id}\n`);
          return;
        }
        if (terminal) {
          const { StatusCode } = await runInTerminal(engine, containerName, attached!, session.io.stdout, session.io.stderr);
          if (options.rm) await engine.removeContainer(containerName, { force: true, volumes: true });
          if (StatusCode !== 0) throw new ExitStatus(StatusCode);
          return;
        }
        if (piped) {
          const waited = engine.waitContainer(containerName);
          const stream = (await attached) ?? (await engine.attachContainer(containerName, { stdin: true, stdout: true, stderr: true, logs: true, stream: true }));
          await pipeHijacked(stream, { tty: false, stdout: utf8Writer(session.io.stdout), stderr: utf8Writer(session.io.stderr), stdin: process.stdin });
          const { StatusCode } = await waited;
          if (options.rm) await engine.removeContainer(containerName, { force: true, volumes: true });
          if (StatusCode !== 0) throw new ExitStatus(StatusCode);
          return;
        }
        const abort = new AbortController();
        const output = copyContainerOutput(engine, containerName, session.io, { follow: true, signal: abort.signal });
        const { StatusCode } = await engine.waitContainer(containerName);
        await output.catch(() => undefined);
        abort.abort();
        if (options.rm) await engine.removeContainer(containerName, { force: true, volumes: true });
        if (StatusCode !== 0) throw new ExitStatus(StatusCode);
      });
    });
};

/**
 * Attaches to the one-off as soon as it exists, so that, like docker compose,
 * we are there before it starts (the engine holds a created container's
 * attach until the start). Its log comes first in case the start won the
 * race; before the start it is empty.
 */
async function attachWhenCreated(engine: Engine, containerName: string, signal: AbortSignal): Promise<HijackedStream | undefined> {
  while (!signal.aborted) {
    if (await engine.inspectContainer(containerName).then(() => true, () => false)) {
      return engine.attachContainer(containerName, { stdin: true, stdout: true, stderr: true, logs: true, stream: true });
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  return undefined;
}

/** The one-off container on our terminal: its output, our keyboard as its stdin, our size as its TTY's. */
async function runInTerminal(
  engine: Engine, containerName: string, attached: Promise<HijackedStream | undefined>, stdout: (s: string) => void, stderr: (s: string) => void,
): Promise<{ StatusCode: number }> {
  const waited = engine.waitContainer(containerName);
  const stream = (await attached) ?? (await engine.attachContainer(containerName, { stdin: true, stdout: true, stderr: true, logs: true, stream: true }));
  const resizeContainer = engine.resizeContainer?.bind(engine);
  const release = holdTerminal((rows, cols) => resizeContainer?.(containerName, rows, cols) ?? Promise.resolve());
  try {
    await pipeHijacked(stream, { tty: true, stdout: utf8Writer(stdout), stderr: utf8Writer(stderr), stdin: process.stdin });
  } finally {
    release();
    process.stdin.pause();
  }
  return waited;
}
