// `tscompose start`: start the existing containers, dependencies first.

import type { Command } from 'commander';
import { ComposeRunError } from '../executor/errors.js';
import { actOnContainers } from '../container-board.js';
import { checkServices, listProjectContainers } from '../project-containers.js';
import { withProject } from '../session.js';
import type { CommandContext, CommandSetup } from './index.js';

export const start: CommandSetup = (program: Command, ctx: CommandContext) => {
  program
    .command('start')
    .description('Start services')
    .argument('[services...]', 'only these services')
    .action(async (services: string[]) => {
      await withProject(ctx, services, async (session) => {
        const project = session.loaded.project;
        checkServices(project, services);
        const containers = await listProjectContainers(session.engine, project.name, { all: true, services });
        if (containers.length === 0) {
          throw new ComposeRunError(`service${services.length === 1 ? ` "${services[0]}"` : 's'} ha${services.length === 1 ? 's' : 've'} no container to start; create them first (tscompose up)`);
        }
        const stopped = containers.filter((c) => c.State !== 'running');
        await actOnContainers(session, project, stopped, {
          title: 'Running',
          order: 'up',
          working: 'Starting',
          done: 'Started',
          call: (c) => (c.State === 'paused' ? session.engine.unpauseContainer(c.Id) : session.engine.startContainer(c.Id)),
        });
      });
    });
};
