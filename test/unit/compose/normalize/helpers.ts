// Runs the normalizer on inline YAML and returns what `config --format json`
// would print, so tests compare against docker compose's output shape.

import { parse } from 'yaml';
import { memoryFs } from '../../../../compose/load/fs.js';
import { normalizeProject } from '../../../../compose/normalize/index.js';
import { projectToJson } from '../../../../compose/serialize/index.js';

export interface Options {
  environment?: Record<string, string>;
  files?: Record<string, string>;
}

export function normalizeYaml(yaml: string, options: Options = {}) {
  const merged = (parse(yaml) ?? {}) as Record<string, unknown>;
  return normalizeProject(merged, {
    projectName: 'demo',
    workingDir: '/proj',
    environment: options.environment ?? {},
    homeDir: '/home/me',
    fs: memoryFs(options.files ?? {}),
  });
}

export function printed(yaml: string, options: Options = {}): Record<string, any> {
  return JSON.parse(projectToJson(normalizeYaml(yaml, options).project)) as Record<string, any>;
}

/** The printed form of the one service `web`. */
export function web(attributes: string, options: Options = {}): Record<string, any> {
  const body = attributes.split('\n').map((l) => (l ? `    ${l}` : l)).join('\n');
  return printed(`services:\n  web:\n    image: nginx\n${body}\n`, options).services.web;
}

/** The messages normalizeProject throws (one per line). */
export function errorsOf(yaml: string, options: Options = {}): string[] {
  try {
    normalizeYaml(yaml, options);
  } catch (err) {
    const e = err as { errors?: { message: string }[]; message: string };
    return e.errors ? e.errors.map((x) => x.message) : [e.message];
  }
  return [];
}
