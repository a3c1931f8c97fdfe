// `tscompose engine [start|stop|status]`: the container engine, in the
// foreground or managed in the background (runtime/engine/launcher.ts).

import type { Command } from 'commander';
import { engineCommand } from '../../../runtime/engine/launcher.js';
import { UsageError } from '../context.js';
import type { CommandSetup } from './index.js';

export const engine: CommandSetup = (program: Command, { io, globals }) => {
  program
    .command('engine')
    .description('Run the container engine (foreground), or start|stop|status it in the background')
    .argument('[args...]', 'start, stop or status, then --root DIR --socket PATH --tcp HOST:PORT --runtime NAME (see `tscompose engine --help`)')
    .allowUnknownOption(true)
    .allowExcessArguments(true)
    .helpOption(false)
    .action(async (args: string[]) => {
      const argv = [...args];
      const host = globals().host;
      if (host && !argv.includes('--socket') && !argv.includes('-H') && !argv.includes('--host')) argv.push('-H', host);
      const errors: string[] = [];
      const code = await engineCommand(argv, (s) => io.stdout(`${s}\n`), (s) => errors.push(s));
      if (code !== 0) throw new UsageError(errors.join('\n') || `tscompose engine exited with status ${code}`, code);
      if (errors.length) io.stderr(`${errors.join('\n')}\n`);
    });
};
