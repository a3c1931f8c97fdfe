// `include`: another compose project becomes part of this one. Each included
// project is loaded on its own (its own project directory, its own `.env` or
// `env_file`), its relative paths made absolute, then its services, networks,
// volumes, secrets, configs and models are imported. A resource the including
// file defines too is merged over the imported one, as compose-go does since
// v2.10 (earlier versions refused the conflict).

import { dirname, resolve } from 'node:path';
import { ComposeFileError, displayPath } from '../errors.js';
import { definedOnly, parseDotenv } from './dotenv.js';
import { readTextFile, type LoaderFs } from './fs.js';
import { isPlainObject, mergeValue } from './merge.js';
import type { Locator } from './parse.js';
import { absoluteDocumentPaths } from './paths.js';

export const IMPORTED_SECTIONS = ['services', 'volumes', 'networks', 'secrets', 'configs', 'models'] as const;

export interface IncludeRequest {
  /** Absolute compose files of the included project, merged in order. */
  readonly files: readonly string[];
  readonly projectDirectory: string;
  readonly environment: Readonly<Record<string, string>>;
  /** Files on the include path so far, for cycle detection. */
  readonly chain: readonly string[];
}

export interface IncludeContext {
  /** The including file (absolute, or `-`). */
  readonly file: string;
  /** Directory include paths are relative to. */
  readonly projectDir: string;
  readonly environment: Readonly<Record<string, string>>;
  readonly fs: LoaderFs;
  /** Files already on the include path (including `file`). */
  readonly chain: readonly string[];
  /** Loads an included project up to its merged model (recursing into its own includes). */
  readonly loadIncluded: (request: IncludeRequest) => Record<string, unknown>;
  readonly locate?: Locator;
  readonly displayDir?: string;
}

interface IncludeEntry {
  readonly paths: string[];
  readonly projectDirectory?: string;
  readonly envFiles?: string[];
}

function listOf(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  return (Array.isArray(value) ? value : [value]).map(String);
}

export function parseIncludeEntries(value: unknown): IncludeEntry[] {
  if (!Array.isArray(value)) return [];
  return value.map((entry) => {
    if (!isPlainObject(entry)) return { paths: [String(entry)] };
    const dir = entry['project_directory'];
    return {
      paths: listOf(entry['path']) ?? [],
      projectDirectory: typeof dir === 'string' ? dir : undefined,
      envFiles: listOf(entry['env_file']),
    };
  });
}

/** Returns `data` without `include`, with the included projects' resources imported. */
export function applyInclude(data: Record<string, unknown>, ctx: IncludeContext): Record<string, unknown> {
  if (!('include' in data)) return data;
  const out: Record<string, unknown> = { ...data };
  delete out['include'];
  const fail = (index: number, detail: string) => {
    const position = ctx.locate?.(['include', index]);
    return new ComposeFileError(detail, { file: ctx.file, line: position?.line, column: position?.column, baseDir: ctx.displayDir, path: `include.${index}` });
  };
  const show = (f: string) => displayPath(f, ctx.displayDir);

  parseIncludeEntries(data['include']).forEach((entry, index) => {
    if (entry.paths.length === 0) throw fail(index, 'include needs a path');
    const files = entry.paths.map((p) => resolve(ctx.projectDir, p));
    const main = files[0]!;
    if (ctx.chain.includes(main)) {
      throw fail(index, `include cycle: ${[...ctx.chain.slice(ctx.chain.indexOf(main)), main].map(show).join(' -> ')}`);
    }
    for (const f of files) {
      const kind = ctx.fs.kind(f);
      if (kind !== 'file') throw fail(index, `included file ${show(f)} ${kind === 'dir' ? 'is a directory' : 'does not exist'}`);
    }
    const projectDirectory = entry.projectDirectory !== undefined ? resolve(ctx.projectDir, entry.projectDirectory) : dirname(main);
    const envFiles = entry.envFiles
      ? entry.envFiles.filter((f) => f !== '/dev/null').map((f) => resolve(ctx.projectDir, f))
      : [resolve(projectDirectory, '.env')].filter((f) => ctx.fs.kind(f) === 'file');
    const fromFiles: Record<string, string> = {};
    for (const envFile of envFiles) {
      if (ctx.fs.kind(envFile) !== 'file') throw fail(index, `env file ${show(envFile)} of the included project does not exist`);
      const parsed = parseDotenv(readTextFile(ctx.fs, envFile, ctx.displayDir), {
        file: envFile,
        baseDir: ctx.displayDir,
        lookup: (name) => ctx.environment[name],
        earlier: fromFiles,
      });
      Object.assign(fromFiles, parsed.values);
    }
    // As compose-go: the included project's env files win over the including environment.
    const environment = { ...definedOnly(ctx.environment), ...fromFiles };
    const model = ctx.loadIncluded({ files, projectDirectory, environment, chain: [...ctx.chain, main] });
    importResources(absoluteDocumentPaths(model, projectDirectory), out);
  });
  return out;
}

function importResources(source: Record<string, unknown>, target: Record<string, unknown>): void {
  for (const section of IMPORTED_SECTIONS) {
    const imported = source[section];
    if (!isPlainObject(imported)) continue;
    const existing = isPlainObject(target[section]) ? (target[section] as Record<string, unknown>) : {};
    const merged: Record<string, unknown> = { ...existing };
    for (const [name, definition] of Object.entries(imported)) {
      merged[name] = name in existing ? mergeValue(definition, existing[name], [section, name]) : definition;
    }
    target[section] = merged;
  }
}
