// `tscompose images`: the images the project's containers use.

import type { Command } from 'commander';
import { UsageError } from '../context.js';
import { checkServices, containerNameOf, listProjectContainers } from '../project-containers.js';
import { withProject } from '../session.js';
import { humanSize, shortId } from '../ui/human.js';
import { formatTable } from '../ui/table.js';
import type { CommandContext, CommandSetup } from './index.js';

function splitTag(ref: string): [string, string] {
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  return colon > slash ? [ref.slice(0, colon), ref.slice(colon + 1)] : [ref, 'latest'];
}

export const images: CommandSetup = (program: Command, ctx: CommandContext) => {
  program
    .command('images')
    .description('List images used by the created containers')
    .argument('[services...]', 'only these services')
    .option('-q, --quiet', 'only display IDs')
    .option('--format <format>', 'format the output: table or json', 'table')
    .action(async (services: string[], options: { quiet?: boolean; format: string }) => {
      if (options.format !== 'table' && options.format !== 'json') throw new UsageError(`unsupported format "${options.format}": use table or json`);
      await withProject(ctx, services, async (session) => {
        const project = session.loaded.project;
        checkServices(project, services);
        const containers = await listProjectContainers(session.engine, project.name, { all: true, services });
        const known = new Map((await session.engine.listImages()).map((i) => [i.Id, i]));
        const rows = containers.map((c) => {
          const image = known.get(c.ImageID);
          const [repository, tag] = splitTag(c.Image);
          return { container: containerNameOf(c), repository, tag, id: c.ImageID, size: image?.Size ?? 0 };
        });
        const out = session.io.stdout;
        if (options.quiet) out([...new Set(rows.map((r) => r.id))].map((id) => `${id}\n`).join(''));
        else if (options.format === 'json') out(`${JSON.stringify(rows.map((r) => ({ ContainerName: r.container, Repository: r.repository, Tag: r.tag, ID: r.id, Size: r.size })))}\n`);
        else out(formatTable(['CONTAINER', 'REPOSITORY', 'TAG', 'IMAGE ID', 'SIZE'], rows.map((r) => [r.container, r.repository, r.tag, shortId(r.id), humanSize(r.size)])));
      });
    });
};
