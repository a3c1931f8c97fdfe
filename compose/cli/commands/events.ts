// `tscompose events`: the engine's events for the project's containers, as
// they happen, in docker compose's text or JSON form.

import type { Command } from 'commander';
import { LABEL_PROJECT, LABEL_SERVICE } from '../../plan/labels.js';
import { withProject } from '../session.js';
import type { CommandContext, CommandSetup } from './index.js';

export const events: CommandSetup = (program: Command, ctx: CommandContext) => {
  program
    .command('events')
    .description('Receive real time events from containers')
    .argument('[services...]', 'only these services')
    .option('--json', 'output events as a stream of json objects')
    .action(async (services: string[], options: { json?: boolean }) => {
      await withProject(ctx, services, async (session) => {
        const project = session.loaded.project;
        const abort = new AbortController();
        const onInterrupt = () => abort.abort();
        process.once('SIGINT', onInterrupt);
        try {
          for await (const e of session.engine.events({ filters: { label: [`${LABEL_PROJECT}=${project.name}`] }, signal: abort.signal })) {
            const attributes = e.Actor?.Attributes ?? {};
            const service = attributes[LABEL_SERVICE] ?? '';
            if (services.length > 0 && !services.includes(service)) continue;
            const time = new Date(Math.floor((e.timeNano ?? e.time * 1e9) / 1e6)).toISOString();
            if (options.json) {
              session.io.stdout(`${JSON.stringify({ time, type: e.Type, action: e.Action, id: e.Actor?.ID, service, attributes })}\n`);
            } else {
              const attrs = Object.entries(attributes).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `${k}=${v}`).join(', ');
              session.io.stdout(`${time} ${e.Type} ${e.Action} ${e.Actor?.ID ?? ''} (${attrs})\n`);
            }
          }
        } catch (err) {
          if (!abort.signal.aborted) throw err;
        } finally {
          process.off('SIGINT', onInterrupt);
        }
      });
    });
};
