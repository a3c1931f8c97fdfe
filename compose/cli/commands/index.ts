// The command registry: each command is one file exporting a CommandSetup;
// adding a command is one import and one line in COMMANDS.

import type { Command } from 'commander';
import type { CliIo, GlobalOptions } from '../context.js';
import { COMPOSE_COMMANDS } from './compose-commands.js';
import { config } from './config.js';
import { engine } from './engine.js';
import { version } from './version.js';

export interface CommandContext {
  readonly io: CliIo;
  /** The parsed global options (valid once a command's action runs). */
  readonly globals: () => GlobalOptions;
}

export type CommandSetup = (program: Command, ctx: CommandContext) => void;

export const COMMANDS: readonly CommandSetup[] = [config, engine, version, ...COMPOSE_COMMANDS];
