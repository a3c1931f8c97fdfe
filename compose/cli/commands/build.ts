// `tscompose build`: the engine has no builder endpoint yet, so this names
// the services that would be built and how to get their images today.

import type { Command } from 'commander';
import { serviceImage } from '../../plan/index.js';
import { ComposeRunError } from '../executor/errors.js';
import { checkServices } from '../project-containers.js';
import { withProject } from '../session.js';
import type { CommandContext, CommandSetup } from './index.js';

export const build: CommandSetup = (program: Command, ctx: CommandContext) => {
  program
    .command('build')
    .description('Build or rebuild services')
    .argument('[services...]', 'only these services')
    .option('--no-cache', 'do not use cache when building the image')
    .option('--pull', 'always attempt to pull a newer version of the image')
    .option('-q, --quiet', "don't print anything to stdout")
    .option('--build-arg <key=value>', 'set build-time variables for services')
    .action(async (services: string[]) => {
      await withProject(ctx, services, async (session) => {
        const project = session.loaded.project;
        checkServices(project, services);
        const selected = (services.length > 0 ? services : Object.keys(project.services).sort()).filter((s) => project.services[s].build);
        if (selected.length === 0) return;
        const images = selected.map((s) => `${s} (${serviceImage(project.name, s, project.services[s])})`).join(', ');
        throw new ComposeRunError(
          `building images is not supported by this engine yet (services ${images}); build them with another tool and load them into the engine, or use --host to build on a Docker daemon`,
        );
      });
    });
};
