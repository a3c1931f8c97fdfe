// `tscompose ls`: the projects the engine runs, found by their containers'
// labels (docker compose ls).

import type { Command } from 'commander';
import { LABEL_CONFIG_FILES, LABEL_PROJECT } from '../../plan/labels.js';
import { UsageError } from '../context.js';
import { openSession } from '../session.js';
import { formatTable } from '../ui/table.js';
import type { CommandContext, CommandSetup } from './index.js';

interface LsOptions {
  all?: boolean;
  quiet?: boolean;
  format: string;
}

export const ls: CommandSetup = (program: Command, ctx: CommandContext) => {
  program
    .command('ls')
    .description('List running compose projects')
    .option('-a, --all', 'show all stopped Compose projects')
    .option('-q, --quiet', 'only display project names')
    .option('--format <format>', 'format the output: table or json', 'table')
    .action(async (options: LsOptions) => {
      if (options.format !== 'table' && options.format !== 'json') throw new UsageError(`unsupported format "${options.format}": use table or json`);
      const session = await openSession(ctx);
      try {
        const containers = await session.engine.listContainers({ all: true, filters: { label: [LABEL_PROJECT] } });
        const projects = new Map<string, { states: Map<string, number>; files: Set<string> }>();
        for (const c of containers) {
          const name = c.Labels[LABEL_PROJECT];
          const entry = projects.get(name) ?? { states: new Map(), files: new Set() };
          entry.states.set(c.State, (entry.states.get(c.State) ?? 0) + 1);
          if (c.Labels[LABEL_CONFIG_FILES]) entry.files.add(c.Labels[LABEL_CONFIG_FILES]);
          projects.set(name, entry);
        }
        const rows = [...projects]
          .filter(([, p]) => options.all || p.states.has('running'))
          .sort(([a], [b]) => (a < b ? -1 : 1))
          .map(([name, p]) => ({
            Name: name,
            Status: [...p.states].sort(([a], [b]) => (a < b ? -1 : 1)).map(([s, n]) => `${s}(${n})`).join(', '),
            ConfigFiles: [...p.files].join(','),
          }));
        const out = session.io.stdout;
        if (options.quiet) out(rows.map((r) => `${r.Name}\n`).join(''));
        else if (options.format === 'json') out(`${JSON.stringify(rows)}\n`);
        else out(formatTable(['NAME', 'STATUS', 'CONFIG FILES'], rows.map((r) => [r.Name, r.Status, r.ConfigFiles])));
      } finally {
        session.close();
      }
    });
};
