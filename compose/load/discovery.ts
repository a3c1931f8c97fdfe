// Which compose files make up the project, and where its directory is, the
// way docker compose v2 decides: `-f` flags, else COMPOSE_FILE, else the
// default names searched from the working directory upward (plus the one
// matching override file).

import { dirname, isAbsolute, join, resolve } from 'node:path';
import { ProjectError } from '../errors.js';
import type { LoaderFs } from './fs.js';

/** In order of preference, like compose-go's cli.DefaultFileNames. */
export const DEFAULT_FILE_NAMES = ['compose.yaml', 'compose.yml', 'docker-compose.yml', 'docker-compose.yaml'] as const;
export const DEFAULT_OVERRIDE_FILE_NAMES = [
  'compose.override.yml',
  'compose.override.yaml',
  'docker-compose.override.yml',
  'docker-compose.override.yaml',
] as const;

/** The file name that stands for standard input. */
export const STDIN = '-';

export interface DiscoveryOptions {
  /** `-f` values, in order; relative to `workingDir`; `-` is stdin. */
  readonly files?: readonly string[];
  /** The directory the command runs in (absolute). */
  readonly workingDir: string;
  /** `--project-directory`, relative to `workingDir` when not absolute. */
  readonly projectDirectory?: string;
  /** Environment after `.env` (COMPOSE_FILE and COMPOSE_PATH_SEPARATOR are read from it). */
  readonly environment: Readonly<Record<string, string>>;
}

export interface DiscoveredFiles {
  /** Absolute paths, or `-` for stdin, in merge order. */
  readonly files: readonly string[];
  /** Absolute project directory. */
  readonly projectDirectory: string;
  /** Notes for the user, e.g. several candidate files in one directory. */
  readonly warnings: readonly string[];
}

/**
 * The directory compose reads `.env` from before it knows the files: the
 * project directory when given, else the directory of the first `-f` file,
 * else the working directory.
 */
export function envDirectory(options: Omit<DiscoveryOptions, 'environment'>): string {
  if (options.projectDirectory) return resolve(options.workingDir, options.projectDirectory);
  const first = options.files?.find((f) => f !== STDIN);
  if (first) return dirname(resolve(options.workingDir, first));
  return options.workingDir;
}

export function discoverComposeFiles(options: DiscoveryOptions, fs: LoaderFs): DiscoveredFiles {
  const explicitDir = options.projectDirectory ? resolve(options.workingDir, options.projectDirectory) : undefined;
  const absolute = (f: string) => (f === STDIN || isAbsolute(f) ? f : resolve(options.workingDir, f));

  let files: string[] = [];
  const warnings: string[] = [];
  if (options.files && options.files.length > 0) {
    files = options.files.map(absolute);
  } else if (options.environment['COMPOSE_FILE']) {
    const separator = options.environment['COMPOSE_PATH_SEPARATOR'] || ':';
    files = options.environment['COMPOSE_FILE'].split(separator).filter((f) => f !== '').map(absolute);
  } else {
    const found = searchDefaultFiles(explicitDir ?? options.workingDir, fs);
    files = found.files;
    warnings.push(...found.warnings);
  }
  if (files.length === 0) {
    throw new ProjectError(
      `no configuration file provided: not found (looked for ${DEFAULT_FILE_NAMES.join(', ')} in ${explicitDir ?? options.workingDir} and its parents)`,
    );
  }
  for (const file of files) {
    if (file === STDIN) continue;
    const kind = fs.kind(file);
    if (kind === undefined) throw new ProjectError(`open ${file}: no such file or directory`);
    if (kind === 'dir') throw new ProjectError(`${file} is a directory; -f needs a compose file`);
  }
  const firstFile = files.find((f) => f !== STDIN);
  const projectDirectory = explicitDir ?? (firstFile ? dirname(firstFile) : options.workingDir);
  return { files, projectDirectory, warnings };
}

/** Walks from `start` to the root; the first directory holding a default name wins. */
export function searchDefaultFiles(start: string, fs: LoaderFs): { files: string[]; warnings: string[] } {
  for (let dir = start; ; dir = dirname(dir)) {
    const candidates = DEFAULT_FILE_NAMES.map((n) => join(dir, n)).filter((f) => fs.kind(f) === 'file');
    if (candidates.length > 0) {
      const warnings: string[] = [];
      if (candidates.length > 1) {
        warnings.push(`Found multiple config files with supported names: ${candidates.join(', ')}`, `Using ${candidates[0]}`);
      }
      const overrides = DEFAULT_OVERRIDE_FILE_NAMES.map((n) => join(dir, n)).filter((f) => fs.kind(f) === 'file');
      if (overrides.length > 1) {
        warnings.push(`Found multiple override files with supported names: ${overrides.join(', ')}`, `Using ${overrides[0]}`);
      }
      return { files: overrides.length > 0 ? [candidates[0]!, overrides[0]!] : [candidates[0]!], warnings };
    }
    if (dir === dirname(dir)) return { files: [], warnings: [] };
  }
}
