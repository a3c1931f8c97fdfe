// `tscompose version`: the version from package.json.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { packageRoot } from '../../validate.js';
import type { CommandSetup } from './index.js';

export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version?: string };
  return pkg.version ?? '0.0.0';
}

export const version: CommandSetup = (program: Command, { io }) => {
  program
    .command('version')
    .description('Show the tscompose version information')
    .option('--format <format>', 'format the output: pretty or json', 'pretty')
    .option('--short', 'show only the version number')
    .action((options: { format: string; short?: boolean }) => {
      const v = packageVersion();
      if (options.short) io.stdout(`${v}\n`);
      else if (options.format === 'json') io.stdout(`${JSON.stringify({ version: v })}\n`);
      else io.stdout(`tscompose version v${v}\n`);
    });
};
