// `tscompose exec SERVICE COMMAND...`: run a command in a running service
// container (-index picks the replica) and exit with its status. A TTY when
// our stdin is a terminal, unless -T; stdin forwarded with a TTY or when it is
// a pipe or a file (tty.ts).

import type { Command } from 'commander';
import { EngineApiError } from '../../../runtime/client/index.js';
import { ComposeRunError, ExitStatus } from '../executor/errors.js';
import { pipeHijacked } from '../attach.js';
import { checkServices, listProjectContainers, numberOf } from '../project-containers.js';
import { withProject } from '../session.js';
import { chooseStdio, holdTerminal, stdinCarriesData, utf8Writer } from '../tty.js';
import type { CommandContext, CommandSetup } from './index.js';
import { collect, intOption, parseEnvFlags } from './options.js';

interface ExecOptions {
  detach?: boolean;
  tty?: boolean;
  env?: string[];
  workdir?: string;
  user?: string;
  index: number;
  privileged?: boolean;
}

export const exec: CommandSetup = (program: Command, ctx: CommandContext) => {
  // Everything after the service goes to the container (`exec db mysql -e ...`):
  // commander needs positional options for that, so global flags come before
  // the command, as docker compose requires anyway.
  program.enablePositionalOptions();
  program
    .command('exec')
    .description('Execute a command in a running container')
    .argument('<service>', 'the service')
    .argument('<command...>', 'the command and its arguments')
    .passThroughOptions()
    .option('-d, --detach', 'detached mode: run command in the background')
    .option('-T, --no-TTY', 'disable pseudo-TTY allocation (default: auto-detected)')
    .option('-e, --env <key=value>', 'set environment variables (repeatable)', collect)
    .option('-w, --workdir <dir>', 'path to workdir directory for this command')
    .option('-u, --user <user>', 'run the command as this user')
    .option('--index <n>', 'index of the container if service has multiple replicas', intOption('--index'), 1)
    .option('--privileged', 'give extended privileges to the process')
    .action(async (service: string, command: string[], options: ExecOptions & { TTY?: boolean }) => {
      await withProject(ctx, [service], async (session) => {
        const project = session.loaded.project;
        checkServices(project, [service]);
        const container = (await listProjectContainers(session.engine, project.name, { services: [service] })).find((c) => numberOf(c) === options.index);
        if (!container) throw new ComposeRunError(`service "${service}" is not running container #${options.index}; start it first (tscompose up -d ${service})`);
        const realStdio = session.io.env === process.env;
        const stdio = chooseStdio({
          noTty: options.TTY === false, detach: !!options.detach, realStdio,
          stdinIsTerminal: realStdio && Boolean(process.stdin.isTTY), stdinCarriesData: realStdio && stdinCarriesData(),
        });
        const interactive = stdio.tty;
        const out = process.stdout;
        const created = await session.engine
          .createExec(container.Id, {
          Cmd: command,
          AttachStdin: stdio.stdin,
          AttachStdout: !options.detach,
          AttachStderr: !options.detach,
          Tty: interactive,
          ConsoleSize: interactive && out.isTTY && out.rows > 0 ? [out.rows, out.columns] : undefined,
          Env: Object.entries(parseEnvFlags(options.env, session.io.env)).map(([k, v]) => `${k}=${v}`),
          WorkingDir: options.workdir,
          User: options.user,
          Privileged: options.privileged,
          })
          .catch((err: unknown) => {
            // 404 for a container we just listed: the engine has no exec endpoint.
            if (err instanceof EngineApiError && err.isNotFound && !/no such container/i.test(err.message)) {
              throw new ComposeRunError('this engine does not support exec yet; use --host with a Docker daemon, or `tscompose run` for a one-off command');
            }
            throw err;
          });
        const stream = await session.engine.startExec(created.Id, { Detach: options.detach, Tty: interactive });
        if (options.detach) {
          stream.socket.destroy();
          return;
        }
        const resizeExec = session.engine.resizeExec?.bind(session.engine);
        const release = interactive ? holdTerminal((rows, cols) => resizeExec?.(created.Id, rows, cols) ?? Promise.resolve()) : undefined;
        try {
          await pipeHijacked(stream, {
            tty: interactive,
            stdout: utf8Writer(session.io.stdout),
            stderr: utf8Writer(session.io.stderr),
            stdin: stdio.stdin ? process.stdin : undefined,
          });
        } finally {
          release?.();
          // A terminal is paused for whoever reads it next; a pipe we stopped reading must not keep us alive.
          if (interactive) process.stdin.pause();
          else if (stdio.stdin) process.stdin.destroy();
        }
        const result = await session.engine.inspectExec(created.Id);
        if (result.ExitCode !== null && result.ExitCode !== 0) throw new ExitStatus(result.ExitCode);
      });
    });
};
