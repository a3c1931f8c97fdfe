// `tscompose build`: builds the images of the services with a `build:`
// section on the engine's builder (POST /build), one BuildImage operation
// per image (services sharing an image build it once), on a board like
// `up`'s: the current step on the image's line; with plain or json progress
// the build's own output as log lines too.

import type { Command } from 'commander';
import { Plan, operationId, serviceImage, type BuildImageOp } from '../../plan/index.js';
import { executeOptions } from '../converge.js';
import { parseBuildArgs, type BuildSettings } from '../executor/build-request.js';
import { executePlan, planSteps } from '../executor/execute.js';
import { checkServices } from '../project-containers.js';
import { withProject } from '../session.js';
import type { CommandContext, CommandSetup } from './index.js';

interface BuildOptions {
  /** commander's `--no-cache` */
  cache?: boolean;
  pull?: boolean;
  quiet?: boolean;
  buildArg?: string[];
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export const build: CommandSetup = (program: Command, ctx: CommandContext) => {
  program
    .command('build')
    .description('Build or rebuild services')
    .argument('[services...]', 'only these services')
    .option('--no-cache', 'do not use cache when building the image')
    .option('--pull', 'always attempt to pull a newer version of the image')
    .option('-q, --quiet', "don't print anything to stdout")
    .option('--build-arg <key=value>', 'set build-time variables for services', collect, [])
    .action(async (services: string[], options: BuildOptions) => {
      await withProject(ctx, services, async (session) => {
        const project = session.loaded.project;
        checkServices(project, services);
        const selected = (services.length > 0 ? services : Object.keys(project.services).sort()).filter((s) => project.services[s].build);
        const byImage = new Map<string, string>();
        for (const name of selected) {
          const image = serviceImage(project.name, name, project.services[name]);
          if (!byImage.has(image)) byImage.set(image, name);
        }
        if (byImage.size === 0) return;
        const ops: BuildImageOp[] = [...byImage].map(([image, service]) => ({
          kind: 'BuildImage',
          id: operationId('BuildImage', image),
          dependsOn: [],
          cause: 'build',
          image,
          service,
          build: project.services[service].build!,
          platform: project.services[service].platform,
        }));
        const settings: BuildSettings = {
          noCache: options.cache === false,
          pull: !!options.pull,
          args: parseBuildArgs(options.buildArg ?? [], session.io.env),
          showOutput: !options.quiet && (session.output.mode === 'plain' || session.output.mode === 'json'),
        };
        const plan = new Plan(ops);
        if (options.quiet) {
          await executePlan(plan, session.engine, {
            ...executeOptions(session, project, (e) => { if (e.kind === 'warning') session.warn(e.message); }),
            build: settings,
          });
          return;
        }
        await session.board('Building', planSteps(plan), (emit) => executePlan(plan, session.engine, { ...executeOptions(session, project, emit), build: settings }));
      });
    });
};
