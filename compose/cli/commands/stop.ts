// `tscompose stop`: stop running containers, dependents first, each with its
// service's stop_signal and stop_grace_period (or -t).

import type { Command } from 'commander';
import { actOnContainers } from '../container-board.js';
import { checkServices, listProjectContainers, serviceOf, stopOptions } from '../project-containers.js';
import { withProject } from '../session.js';
import type { CommandContext, CommandSetup } from './index.js';
import { intOption } from './options.js';

export const stop: CommandSetup = (program: Command, ctx: CommandContext) => {
  program
    .command('stop')
    .description('Stop services')
    .argument('[services...]', 'only these services')
    .option('-t, --timeout <seconds>', 'specify a shutdown timeout in seconds', intOption('--timeout'))
    .action(async (services: string[], options: { timeout?: number }) => {
      await withProject(ctx, services, async (session) => {
        const project = session.loaded.project;
        checkServices(project, services);
        const running = await listProjectContainers(session.engine, project.name, { services });
        await actOnContainers(session, project, running, {
          title: 'Stopping',
          order: 'down',
          working: 'Stopping',
          done: 'Stopped',
          call: (c) => session.engine.stopContainer(c.Id, stopOptions(project.services[serviceOf(c)], options.timeout)),
        });
      });
    });
};
