// `tscompose kill`: send a signal (SIGKILL by default) to running containers.

import type { Command } from 'commander';
import { actOnContainers } from '../container-board.js';
import { checkServices, listProjectContainers } from '../project-containers.js';
import { withProject } from '../session.js';
import type { CommandContext, CommandSetup } from './index.js';

export const kill: CommandSetup = (program: Command, ctx: CommandContext) => {
  program
    .command('kill')
    .description('Force stop service containers')
    .argument('[services...]', 'only these services')
    .option('-s, --signal <signal>', 'SIGNAL to send to the container', 'SIGKILL')
    .option('--remove-orphans', 'remove containers for services not defined in the compose file')
    .action(async (services: string[], options: { signal: string }) => {
      await withProject(ctx, services, async (session) => {
        const project = session.loaded.project;
        checkServices(project, services);
        const running = await listProjectContainers(session.engine, project.name, { services });
        await actOnContainers(session, project, running, {
          title: 'Killing',
          order: 'parallel',
          working: 'Killing',
          done: 'Killed',
          call: (c) => session.engine.killContainer(c.Id, options.signal),
        });
      });
    });
};
