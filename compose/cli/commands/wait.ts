// `tscompose wait SERVICE...`: block until the services' containers stop;
// exit with the first one's status. --down-project then takes it all down.

import type { Command } from 'commander';
import { planDown } from '../../plan/index.js';
import { declaredNames, executeOptions } from '../converge.js';
import { ExitStatus } from '../executor/errors.js';
import { executePlan, planSteps } from '../executor/execute.js';
import { observeProject } from '../executor/observe.js';
import { checkServices, containerNameOf, listProjectContainers } from '../project-containers.js';
import { withProject } from '../session.js';
import type { CommandContext, CommandSetup } from './index.js';

export const wait: CommandSetup = (program: Command, ctx: CommandContext) => {
  program
    .command('wait')
    .description('Block until containers of all (or specified) services stop')
    .argument('<services...>', 'the services to wait for')
    .option('--down-project', 'drops project when the first container stops')
    .action(async (services: string[], options: { downProject?: boolean }) => {
      await withProject(ctx, services, async (session) => {
        const project = session.loaded.project;
        checkServices(project, services);
        const containers = await listProjectContainers(session.engine, project.name, { all: true, services });
        const first = await Promise.race(
          containers.map(async (c) => ({ name: containerNameOf(c), code: (await session.engine.waitContainer(c.Id)).StatusCode })),
        );
        if (options.downProject) {
          const plan = planDown(project, await observeProject(session.engine, project.name, declaredNames(project)));
          await session.board('Running', planSteps(plan), (emit) => executePlan(plan, session.engine, executeOptions(session, project, emit)));
        }
        if (first && first.code !== 0) throw new ExitStatus(first.code);
      });
    });
};
