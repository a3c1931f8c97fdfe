// `tscompose logs`: the containers' output, prefixed and coloured per
// container; -f follows until they stop or Ctrl-C.

import type { Command } from 'commander';
import { printLogs } from '../attach.js';
import { UsageError } from '../context.js';
import { checkServices, containerNameOf, listProjectContainers, numberOf } from '../project-containers.js';
import { withProject } from '../session.js';
import { LogPrinter } from '../ui/log-printer.js';
import type { CommandContext, CommandSetup } from './index.js';
import { intOption } from './options.js';

interface LogsOptions {
  follow?: boolean;
  tail: string;
  timestamps?: boolean;
  since?: string;
  until?: string;
  color?: boolean;
  logPrefix?: boolean;
  index?: number;
}

export const logs: CommandSetup = (program: Command, ctx: CommandContext) => {
  program
    .command('logs')
    .description('View output from containers')
    .argument('[services...]', 'only these services')
    .option('-f, --follow', 'follow log output')
    .option('-n, --tail <lines>', 'number of lines to show from the end of the logs for each container, or "all"', 'all')
    .option('-t, --timestamps', 'show timestamps')
    .option('--since <time>', 'show logs since timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m for 42 minutes)')
    .option('--until <time>', 'show logs before a timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m for 42 minutes)')
    .option('--no-color', 'produce monochrome output')
    .option('--no-log-prefix', "don't print prefix in logs")
    .option('--index <n>', 'index of the container if service has multiple replicas', intOption('--index'))
    .action(async (services: string[], options: LogsOptions) => {
      if (options.tail !== 'all' && !/^\d+$/.test(options.tail)) throw new UsageError(`--tail takes a number of lines or "all", not "${options.tail}"`);
      await withProject(ctx, services, async (session) => {
        const project = session.loaded.project;
        checkServices(project, services);
        let containers = await listProjectContainers(session.engine, project.name, { all: true, services });
        if (options.index !== undefined) containers = containers.filter((c) => numberOf(c) === options.index);
        const printer = new LogPrinter({
          color: session.output.color && options.color !== false,
          prefix: options.logPrefix !== false,
          write: session.io.stdout,
          projectName: project.name,
        });
        const names = containers.map(containerNameOf);
        printer.register(names);
        const abort = new AbortController();
        const onInterrupt = () => abort.abort();
        process.once('SIGINT', onInterrupt);
        try {
          await printLogs(session.engine, names, printer, {
            follow: options.follow,
            tail: options.tail === 'all' ? 'all' : Number(options.tail),
            timestamps: options.timestamps,
            since: options.since,
            until: options.until,
            signal: abort.signal,
          });
        } finally {
          process.off('SIGINT', onInterrupt);
        }
      });
    });
};
