// `tscompose restart`: restart the containers, dependencies first.

import type { Command } from 'commander';
import { buildGraph } from '../../graph/graph.js';
import { actOnContainers } from '../container-board.js';
import { checkServices, listProjectContainers, serviceOf, stopOptions } from '../project-containers.js';
import { withProject } from '../session.js';
import type { CommandContext, CommandSetup } from './index.js';
import { intOption } from './options.js';

export const restart: CommandSetup = (program: Command, ctx: CommandContext) => {
  program
    .command('restart')
    .description('Restart service containers')
    .argument('[services...]', 'only these services')
    .option('-t, --timeout <seconds>', 'specify a shutdown timeout in seconds', intOption('--timeout'))
    .option('--no-deps', "don't restart dependent services")
    .action(async (services: string[], options: { timeout?: number; deps?: boolean }) => {
      await withProject(ctx, services, async (session) => {
        const project = session.loaded.project;
        checkServices(project, services);
        // Services that depend on a restarted one restart too, unless --no-deps.
        const selected = services.length > 0 && options.deps !== false ? buildGraph(project).graph.withDependents(services) : services;
        const containers = await listProjectContainers(session.engine, project.name, { all: true, services: selected });
        await actOnContainers(session, project, containers, {
          title: 'Restarting',
          order: 'up',
          working: 'Restarting',
          done: 'Started',
          call: (c) => session.engine.restartContainer(c.Id, stopOptions(project.services[serviceOf(c)], options.timeout)),
        });
      });
    });
};
