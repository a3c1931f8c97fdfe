// `tscompose cp`: needs the engine's archive endpoints (GET/PUT
// /containers/{id}/archive), which neither the client nor the engine have
// yet: a clear error rather than a half copy.

import type { Command } from 'commander';
import { ComposeRunError } from '../executor/errors.js';
import type { CommandContext, CommandSetup } from './index.js';

export const cp: CommandSetup = (program: Command, _ctx: CommandContext) => {
  program
    .command('cp')
    .description('Copy files/folders between a service container and the local filesystem')
    .argument('<source>', 'SERVICE:SRC_PATH or a local path')
    .argument('<destination>', 'a local path or SERVICE:DEST_PATH')
    .option('-a, --archive', 'archive mode (copy all uid/gid information)')
    .option('-L, --follow-link', 'always follow symbol link in SRC_PATH')
    .option('--index <n>', 'index of the container if service has multiple replicas')
    .action(async () => {
      throw new ComposeRunError('tscompose cp is not supported yet (the engine has no archive API); use a bind mount under volumes:, or `docker compose cp` with --host pointing at a Docker daemon');
    });
};
