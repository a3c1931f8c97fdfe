// `tscompose pull`: pull every service image (services that only build are
// skipped), on a board like `up`'s.

import type { Command } from 'commander';
import { Plan, operationId, serviceImage, type PullImageOp } from '../../plan/index.js';
import { executeOptions } from '../converge.js';
import { executePlan, planSteps } from '../executor/execute.js';
import { checkServices } from '../project-containers.js';
import { withProject } from '../session.js';
import type { CommandContext, CommandSetup } from './index.js';

export const pull: CommandSetup = (program: Command, ctx: CommandContext) => {
  program
    .command('pull')
    .description('Pull service images')
    .argument('[services...]', 'only these services')
    .option('--ignore-pull-failures', 'pull what it can and ignores images with pull failures')
    .option('--ignore-buildable', 'ignore images that can be built')
    .option('-q, --quiet', 'pull without printing progress information')
    .action(async (services: string[], options: { ignorePullFailures?: boolean; ignoreBuildable?: boolean }) => {
      await withProject(ctx, services, async (session) => {
        const project = session.loaded.project;
        checkServices(project, services);
        const selected = services.length > 0 ? services : Object.keys(project.services).sort();
        const byImage = new Map<string, string[]>();
        for (const name of selected) {
          const service = project.services[name];
          if (service.image === undefined || (options.ignoreBuildable && service.build)) continue;
          const image = serviceImage(project.name, name, service);
          byImage.set(image, [...(byImage.get(image) ?? []), name]);
        }
        const ops: PullImageOp[] = [...byImage].map(([image, users]) => ({
          kind: 'PullImage',
          id: operationId('PullImage', image),
          dependsOn: [],
          cause: 'pull',
          image,
          services: users,
          platform: project.services[users[0]].platform,
        }));
        for (const op of ops) {
          const plan = new Plan([op]);
          const run = session.board('Pulling', planSteps(plan), (emit) => executePlan(plan, session.engine, executeOptions(session, project, emit)));
          if (options.ignorePullFailures) await run.catch((err: unknown) => session.warn(err instanceof Error ? err.message : String(err)));
          else await run;
        }
      });
    });
};
