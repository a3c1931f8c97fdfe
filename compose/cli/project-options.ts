// Global flags -> the loader's options: one place, so every command reads
// compose files the same way.

import { isAbsolute, resolve } from 'node:path';
import type { LoadOptions, LoadSkips } from '../load/index.js';
import type { CliIo, GlobalOptions } from './context.js';

export function loadOptions(globals: GlobalOptions, io: CliIo, extra: { skip?: LoadSkips; services?: readonly string[] } = {}): LoadOptions {
  return {
    files: globals.file,
    workingDir: io.cwd,
    projectName: globals.projectName,
    projectDirectory: globals.projectDirectory === undefined ? undefined : isAbsolute(globals.projectDirectory) ? globals.projectDirectory : resolve(io.cwd, globals.projectDirectory),
    envFiles: globals.envFile,
    profiles: globals.profile,
    environment: io.env,
    services: extra.services,
    skip: extra.skip,
    stdin: () => io.readStdin(),
  };
}
