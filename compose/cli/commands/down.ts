// `tscompose down`: the pure down plan (compose/plan/down.ts) run by the
// executor — containers dependents first, then networks, with -v volumes,
// with --rmi images.

import type { Command } from 'commander';
import { LABEL_NETWORK, LABEL_PROJECT, LABEL_VOLUME, planDown, type ObservedState } from '../../plan/index.js';
import type { Project } from '../../types.js';
import { UsageError } from '../context.js';
import { declaredNames, executeOptions } from '../converge.js';
import { executePlan, planSteps } from '../executor/execute.js';
import { observeProject } from '../executor/observe.js';
import { withProject } from '../session.js';
import type { CommandContext, CommandSetup } from './index.js';
import { intOption } from './options.js';

interface DownOptions {
  volumes?: boolean;
  rmi?: string;
  removeOrphans?: boolean;
  timeout?: number;
}

export const down: CommandSetup = (program: Command, ctx: CommandContext) => {
  program
    .command('down')
    .description('Stop and remove containers, networks')
    .argument('[services...]', 'only these services (and those that depend on them)')
    .option('-v, --volumes', 'remove named volumes declared in the "volumes" section and anonymous volumes attached to containers')
    .option('--rmi <type>', 'remove images used by services: "local" (no custom tag) or "all"')
    .option('--remove-orphans', 'remove containers for services not defined in the compose file')
    .option('-t, --timeout <seconds>', 'shutdown timeout in seconds', intOption('--timeout'))
    .action(async (services: string[], options: DownOptions) => {
      if (options.rmi !== undefined && options.rmi !== 'local' && options.rmi !== 'all') {
        throw new UsageError(`--rmi takes "local" or "all", not "${options.rmi}"`);
      }
      await withProject(
        ctx,
        services,
        async (session) => {
          const fileless = session.loaded.files.length === 0;
          let project = session.loaded.project;
          const observed = await observeProject(session.engine, project.name, declaredNames(project));
          // Without a file, the engine's labels say what the project was: every
          // container goes (as orphans), and the networks and volumes it labeled.
          if (fileless) project = projectFromLabels(project, observed);
          const plan = planDown(project, observed, {
            services,
            volumes: options.volumes,
            rmi: options.rmi as 'local' | 'all' | undefined,
            removeOrphans: options.removeOrphans || fileless,
            timeout: options.timeout,
          });
          await session.board('Running', planSteps(plan), (emit) => executePlan(plan, session.engine, executeOptions(session, project, emit)));
        },
        true,
      );
    });
};

function projectFromLabels(project: Project, observed: ObservedState): Project {
  const mine = <T extends { name: string; labels: Readonly<Record<string, string>> }>(items: readonly T[], keyLabel: string) =>
    Object.fromEntries(items.filter((i) => i.labels[LABEL_PROJECT] === project.name).map((i) => [i.labels[keyLabel] ?? i.name, { name: i.name }]));
  return { ...project, networks: mine(observed.networks, LABEL_NETWORK), volumes: mine(observed.volumes, LABEL_VOLUME) };
}
