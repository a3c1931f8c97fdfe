// The project name, by docker compose's precedence: `-p`, then
// COMPOSE_PROJECT_NAME, then the top-level `name:` of the files, then the
// project directory's name. Names given by the user on the command line or in
// the environment must already be valid; a `name:` or a directory name is
// normalized (as compose-go does).

import { basename } from 'node:path';
import { ProjectError } from '../errors.js';

/** Lowercase, only [a-z0-9_-], starting with a letter or digit. */
export function normalizeProjectName(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9_-]/g, '')
    .replace(/^[_-]+/, '');
}

export function invalidProjectNameError(name: string): ProjectError {
  return new ProjectError(
    `invalid project name ${JSON.stringify(name)}: must consist only of lowercase alphanumeric characters, hyphens, and underscores as well as start with a letter or number`,
  );
}

export interface ProjectNameSources {
  /** `-p` / `--project-name`. */
  readonly flag?: string;
  readonly environment: Readonly<Record<string, string>>;
  /** Top-level `name:` after interpolation and merge. */
  readonly nameInFiles?: unknown;
  /** Absolute project directory. */
  readonly projectDirectory: string;
}

export function resolveProjectName(sources: ProjectNameSources): string {
  const explicit = sources.flag || sources.environment['COMPOSE_PROJECT_NAME'];
  if (explicit) {
    if (normalizeProjectName(explicit) !== explicit) throw invalidProjectNameError(explicit);
    return explicit;
  }
  if (typeof sources.nameInFiles === 'string' || typeof sources.nameInFiles === 'number') {
    const fromFile = normalizeProjectName(String(sources.nameInFiles));
    if (fromFile !== '') return fromFile;
  }
  const fromDir = normalizeProjectName(basename(sources.projectDirectory));
  if (fromDir === '') {
    throw new ProjectError(
      `cannot derive a project name from the directory ${JSON.stringify(basename(sources.projectDirectory))}: set one with -p, COMPOSE_PROJECT_NAME or a top-level name:`,
    );
  }
  return fromDir;
}
