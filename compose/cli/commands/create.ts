// `tscompose create`: `up --no-start`, with create's own flags.

import type { Command } from 'commander';
import { converge } from '../converge.js';
import { checkServices } from '../project-containers.js';
import { withProject } from '../session.js';
import type { CommandContext, CommandSetup } from './index.js';
import { collect, optionGiven, parseScale, pullPolicy } from './options.js';
import { UsageError } from '../context.js';

interface CreateOptions {
  build?: boolean;
  pull?: string;
  forceRecreate?: boolean;
  recreate?: boolean;
  removeOrphans?: boolean;
  scale?: string[];
}

export const create: CommandSetup = (program: Command, ctx: CommandContext) => {
  program
    .command('create')
    .description('Creates containers for a service')
    .argument('[services...]', 'only these services (and their dependencies)')
    .option('--build', 'build images before starting containers')
    .option('--no-build', "don't build an image, even if it's missing")
    .option('--pull <policy>', 'pull image before running ("always"|"missing"|"never")')
    .option('--force-recreate', "recreate containers even if their configuration and image haven't changed")
    .option('--no-recreate', "if containers already exist, don't recreate them")
    .option('--remove-orphans', 'remove containers for services not defined in the compose file')
    .option('--scale <service=n>', 'scale SERVICE to NUM instances (repeatable)', collect)
    .action(async (services: string[], options: CreateOptions, cmd: Command) => {
      if (options.forceRecreate && options.recreate === false) throw new UsageError('--force-recreate and --no-recreate are incompatible: use one of them');
      await withProject(ctx, services, async (session) => {
        const project = session.loaded.project;
        checkServices(project, services);
        await converge(session, project, {
          services: services.length > 0 ? services : undefined,
          forceRecreate: options.forceRecreate,
          noRecreate: options.recreate === false,
          removeOrphans: options.removeOrphans,
          scale: parseScale(options.scale),
          build: optionGiven(cmd, 'build') ? (options.build ? 'always' : 'never') : undefined,
          pull: pullPolicy(options.pull),
          noStart: true,
        });
      });
    });
};
