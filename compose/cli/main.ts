// Entry point of the tscompose CLI: global flags like docker compose's, then
// one subcommand from commands/. Returns the process exit code; user errors
// print one line each on stderr, never a stack trace.

import { Command, CommanderError, Option } from 'commander';
import { ComposeErrors, ComposeFileError, ProjectError } from '../errors.js';
import { config } from './commands/config.js';
import type { CommandSetup } from './commands/index.js';
import { packageVersion } from './commands/version.js';
import { processIo, UsageError, type CliIo, type GlobalOptions } from './context.js';

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

function buildProgram(io: CliIo, commands: readonly CommandSetup[]): Command {
  const program = new Command('tscompose');
  program
    .description('Define and run multi-container applications, without Docker')
    .version(packageVersion(), '-v, --version', 'show the tscompose version')
    .option('-f, --file <file>', 'compose configuration file (repeatable; "-" reads stdin)', collect)
    .option('-p, --project-name <name>', 'project name')
    .option('--profile <profile>', 'specify a profile to enable (repeatable)', collect)
    .option('--env-file <file>', 'specify an alternate environment file (repeatable)', collect)
    .option('--project-directory <dir>', 'specify an alternate working directory (default: the path of the first compose file)')
    .addOption(new Option('--progress <type>', 'set type of progress output').choices(['auto', 'tty', 'plain', 'json', 'quiet']).default('auto'))
    .addOption(new Option('--ansi <when>', 'control when to print ANSI control characters').choices(['never', 'always', 'auto']).default('auto'))
    .option('--parallel <n>', 'control max parallelism, -1 for unlimited', (v) => Number.parseInt(v, 10), -1)
    .option('-H, --host <url>', 'engine to talk to (unix:///path/to/socket)')
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s) });
  const ctx = { io, globals: () => program.opts<GlobalOptions>() };
  for (const setup of commands) setup(program, ctx);
  for (const command of program.commands) command.exitOverride().configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s) });
  return program;
}

/** One line per problem: the messages of compose errors are written for people already. */
function report(err: unknown, io: CliIo): number {
  if (err instanceof CommanderError) {
    // Help and --version end here too, with code 0; commander printed the rest.
    return err.exitCode;
  }
  if (err instanceof ComposeErrors) {
    for (const e of err.errors) io.stderr(`${e.message}\n`);
    return 1;
  }
  if (err instanceof UsageError) {
    // An empty message is an exit status alone (`exec`, `run`, `up --exit-code-from`).
    if (err.message) io.stderr(`${err.message}\n`);
    return err.exitCode;
  }
  if (err instanceof ComposeFileError || err instanceof ProjectError) {
    io.stderr(`${err.message}\n`);
    return 1;
  }
  const message = err instanceof Error ? err.message : String(err);
  io.stderr(`${message}\n`);
  if (io.env.TSCOMPOSE_DEBUG && err instanceof Error && err.stack) io.stderr(`${err.stack}\n`);
  return 1;
}

/** Runs the CLI with `argv` as in process.argv (node, script, args...). */
export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  // `config` needs none of the engine client, UI or other commands: loading
  // only it keeps `tscompose config` (scripts, CI, editors) quick to start.
  const commands = subcommandOf(argv, io) === 'config' ? [config] : (await import('./commands/index.js')).COMMANDS;
  const program = buildProgram(io, commands);
  try {
    await program.parseAsync(argv, { from: 'node' });
    return 0;
  } catch (err) {
    return report(err, io);
  }
}

/** The first argument that is neither a global option nor its value (the program's own option table says which take one). */
function subcommandOf(argv: readonly string[], io: CliIo): string | undefined {
  const globals = buildProgram(io, []).options;
  for (let i = 2; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('-') || arg === '-') return arg;
    if (arg === '--') return argv[i + 1];
    if (arg.includes('=')) continue;
    const option = globals.find((o) => o.short === arg || o.long === arg);
    if (!option) return undefined;
    if (option.required || option.optional) i++;
  }
  return undefined;
}
