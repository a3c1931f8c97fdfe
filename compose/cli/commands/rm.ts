// `tscompose rm`: remove stopped service containers (-s stops them first).
// There is no interactive confirmation: without -f the command lists what it
// would remove and asks for -f.

import type { Command } from 'commander';
import { UsageError } from '../context.js';
import { actOnContainers } from '../container-board.js';
import { checkServices, containerNameOf, listProjectContainers, serviceOf, stopOptions } from '../project-containers.js';
import { withProject } from '../session.js';
import type { CommandContext, CommandSetup } from './index.js';

interface RmOptions {
  force?: boolean;
  stop?: boolean;
  volumes?: boolean;
}

export const rm: CommandSetup = (program: Command, ctx: CommandContext) => {
  program
    .command('rm')
    .description('Removes stopped service containers')
    .argument('[services...]', 'only these services')
    .option('-f, --force', "don't ask to confirm removal")
    .option('-s, --stop', 'stop the containers, if required, before removing')
    .option('-v, --volumes', 'remove any anonymous volumes attached to containers')
    .action(async (services: string[], options: RmOptions) => {
      await withProject(ctx, services, async (session) => {
        const project = session.loaded.project;
        checkServices(project, services);
        const engine = session.engine;
        const containers = await listProjectContainers(engine, project.name, { all: true, services });
        if (options.stop) {
          const running = containers.filter((c) => c.State === 'running' || c.State === 'paused');
          await actOnContainers(session, project, running, {
            title: 'Stopping',
            order: 'down',
            working: 'Stopping',
            done: 'Stopped',
            call: (c) => engine.stopContainer(c.Id, stopOptions(project.services[serviceOf(c)])),
          });
        }
        const removable = options.stop ? containers : containers.filter((c) => c.State !== 'running' && c.State !== 'paused' && c.State !== 'restarting');
        if (removable.length === 0) {
          session.io.stderr('No stopped containers\n');
          return;
        }
        if (!options.force) {
          throw new UsageError(`would remove ${removable.map(containerNameOf).join(', ')}; run again with -f to remove them`);
        }
        await actOnContainers(session, project, removable, {
          title: 'Removing',
          order: 'parallel',
          working: 'Removing',
          done: 'Removed',
          call: (c) => engine.removeContainer(c.Id, { force: true, volumes: options.volumes }),
        });
      });
    });
};
