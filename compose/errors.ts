// Errors of the compose core. Each names an outcome a person can act on; the
// message is the whole story (no stack trace is shown for these).

import { isAbsolute, relative } from 'node:path';

export interface FileErrorLocation {
  /** The compose (or .env) file, absolute or relative; shown relative to `baseDir` when possible. */
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;
  /** Dotted data path such as `services.web.ports`. */
  readonly path?: string;
  /** Directory to show `file` relative to (usually the working directory). */
  readonly baseDir?: string;
}

/** Shows `file` relative to `baseDir` unless that climbs out of it. */
export function displayPath(file: string, baseDir: string | undefined): string {
  if (!baseDir || !isAbsolute(file)) return file;
  const rel = relative(baseDir, file);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return file;
  return rel;
}

/** Formats `file:line:col: ` (only the known parts). */
function locationPrefix(loc: FileErrorLocation): string {
  if (!loc.file) return '';
  let prefix = displayPath(loc.file, loc.baseDir);
  if (loc.line !== undefined) {
    prefix += `:${loc.line}`;
    if (loc.column !== undefined) prefix += `:${loc.column}`;
  }
  return `${prefix}: `;
}

/** A problem in one compose (or env) file: `compose.yaml:12:7: services.web.ports must be a list`. */
export class ComposeFileError extends Error {
  override readonly name = 'ComposeFileError';
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;
  readonly path?: string;
  /** The message without the location prefix. */
  readonly detail: string;

  constructor(detail: string, location: FileErrorLocation = {}) {
    super(locationPrefix(location) + detail);
    this.detail = detail;
    this.file = location.file;
    this.line = location.line;
    this.column = location.column;
    this.path = location.path;
  }
}

/** Several file errors reported at once, so a person fixes them in one pass. */
export class ComposeErrors extends Error {
  override readonly name = 'ComposeErrors';
  readonly errors: readonly ComposeFileError[];

  constructor(errors: readonly ComposeFileError[]) {
    super(errors.map((e) => e.message).join('\n'));
    this.errors = errors;
  }
}

/** A problem with the project as a whole (cycles, names, missing files), not one line of a file. */
export class ProjectError extends Error {
  override readonly name = 'ProjectError';
}

/** Throws one ComposeFileError as itself, several as ComposeErrors, none not at all. */
export function throwIfAny(errors: readonly ComposeFileError[]): void {
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new ComposeErrors(errors);
}
