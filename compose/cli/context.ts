// What a command needs from the outside world, injected so tests run the
// real CLI in-process and read what it printed.

import { readFileSync, writeFileSync } from 'node:fs';

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Standard input, read only when a command needs it (`-f -`). */
  readonly readStdin: () => string;
  readonly writeFile: (path: string, text: string) => void;
}

export function processIo(): CliIo {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    cwd: process.cwd(),
    env: process.env,
    readStdin: () => readFileSync(0, 'utf8'),
    writeFile: (path, text) => writeFileSync(path, text),
  };
}

/** Global options every command sees (docker compose's top-level flags). */
export interface GlobalOptions {
  file?: string[];
  projectName?: string;
  profile?: string[];
  envFile?: string[];
  projectDirectory?: string;
  progress?: string;
  ansi?: string;
  parallel?: number;
  host?: string;
}

/** Thrown by commands for a user error already worded for people: print it, exit with `exitCode`. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  constructor(message: string, readonly exitCode = 1) {
    super(message);
  }
}
