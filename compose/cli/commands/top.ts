// `tscompose top`: the processes of each running container.

import type { Command } from 'commander';
import { checkServices, containerNameOf, listProjectContainers } from '../project-containers.js';
import { withProject } from '../session.js';
import { formatTable } from '../ui/table.js';
import type { CommandContext, CommandSetup } from './index.js';

export const top: CommandSetup = (program: Command, ctx: CommandContext) => {
  program
    .command('top')
    .description('Display the running processes')
    .argument('[services...]', 'only these services')
    .action(async (services: string[]) => {
      await withProject(ctx, services, async (session) => {
        const project = session.loaded.project;
        checkServices(project, services);
        const running = await listProjectContainers(session.engine, project.name, { services });
        const tables = await Promise.all(running.map((c) => session.engine.topContainer(c.Id)));
        session.io.stdout(running.map((c, i) => `${containerNameOf(c)}\n${formatTable(tables[i].Titles, tables[i].Processes)}`).join('\n'));
      });
    });
};
