// `tscompose exec SERVICE COMMAND...`: run a command in a running service
// container (-index picks the replica) and exit with its status. A TTY and
// stdin are attached when the terminal has one, unless -T.

import type { Command } from 'commander';
import { EngineApiError } from '../../../runtime/client/index.js';
import { ComposeRunError, ExitStatus } from '../executor/errors.js';
import { pipeHijacked } from '../attach.js';
import { checkServices, listProjectContainers, numberOf } from '../project-containers.js';
import { withProject } from '../session.js';
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
        const interactive = options.TTY !== false && !options.detach && session.io.env === process.env && Boolean(process.stdin.isTTY);
        const created = await session.engine
          .createExec(container.Id, {
          Cmd: command,
          AttachStdin: interactive,
          AttachStdout: !options.detach,
          AttachStderr: !options.detach,
          Tty: interactive,
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
        const restoreRaw = interactive && process.stdin.isTTY ? (process.stdin.setRawMode(true), () => process.stdin.setRawMode(false)) : undefined;
        try {
          await pipeHijacked(stream, {
            tty: interactive,
            stdout: (d) => session.io.stdout(d.toString('utf8')),
            stderr: (d) => session.io.stderr(d.toString('utf8')),
            stdin: interactive ? process.stdin : undefined,
          });
        } finally {
          restoreRaw?.();
          if (interactive) process.stdin.pause();
        }
        const result = await session.engine.inspectExec(created.Id);
        if (result.ExitCode !== null && result.ExitCode !== 0) throw new ExitStatus(result.ExitCode);
      });
    });
};
