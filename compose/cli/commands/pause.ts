// `tscompose pause` and `tscompose unpause`: freeze and thaw running containers.

import type { Command } from 'commander';
import { actOnContainers } from '../container-board.js';
import { checkServices, listProjectContainers } from '../project-containers.js';
import { withProject } from '../session.js';
import type { CommandContext, CommandSetup } from './index.js';

export const pause: CommandSetup = (program: Command, ctx: CommandContext) => {
  program
    .command('pause')
    .description('Pause services')
    .argument('[services...]', 'only these services')
    .action(async (services: string[]) => {
      await withProject(ctx, services, async (session) => {
        const project = session.loaded.project;
        checkServices(project, services);
        const running = (await listProjectContainers(session.engine, project.name, { services })).filter((c) => c.State === 'running');
        await actOnContainers(session, project, running, { title: 'Pausing', order: 'parallel', working: 'Pausing', done: 'Paused', call: (c) => session.engine.pauseContainer(c.Id) });
      });
    });
};

export const unpause: CommandSetup = (program: Command, ctx: CommandContext) => {
  program
    .command('unpause')
    .description('Unpause services')
    .argument('[services...]', 'only these services')
    .action(async (services: string[]) => {
      await withProject(ctx, services, async (session) => {
        const project = session.loaded.project;
        checkServices(project, services);
        const paused = (await listProjectContainers(session.engine, project.name, { all: true, services })).filter((c) => c.State === 'paused');
        await actOnContainers(session, project, paused, { title: 'Unpausing', order: 'parallel', working: 'Unpausing', done: 'Unpaused', call: (c) => session.engine.unpauseContainer(c.Id) });
      });
    });
};
