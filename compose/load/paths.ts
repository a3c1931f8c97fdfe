// Relative paths in a service are relative to the directory of the file (or
// included project) that wrote them. When a service is taken into another
// file by `extends` or `include`, its paths are made absolute here first, so
// they keep pointing where their author meant.

import { isAbsolute, resolve } from 'node:path';
import { isPlainObject } from './merge.js';

const REMOTE = /^([a-z][a-z0-9+.-]*:\/\/|git@|github\.com\/)/i;

function absolute(dir: string, path: unknown): unknown {
  if (typeof path !== 'string' || path === '' || isAbsolute(path) || path.startsWith('~') || REMOTE.test(path)) return path;
  return resolve(dir, path);
}

/** `./data:/data` → `/abs/dir/data:/data`; named volumes and absolute sources stay. */
function absoluteVolume(dir: string, volume: unknown): unknown {
  if (isPlainObject(volume)) {
    if (volume['type'] !== 'bind') return volume;
    return { ...volume, source: absolute(dir, volume['source']) };
  }
  if (typeof volume !== 'string') return volume;
  const colon = volume.indexOf(':');
  if (colon < 0) return volume;
  const source = volume.slice(0, colon);
  if (!(source === '.' || source === '..' || source.startsWith('./') || source.startsWith('../'))) return volume;
  return `${resolve(dir, source)}${volume.slice(colon)}`;
}

function absoluteEnvFiles(dir: string, envFile: unknown): unknown {
  if (typeof envFile === 'string') return absolute(dir, envFile);
  if (!Array.isArray(envFile)) return envFile;
  return envFile.map((entry) => (isPlainObject(entry) ? { ...entry, path: absolute(dir, entry['path']) } : absolute(dir, entry)));
}

function absoluteBuild(dir: string, build: unknown): unknown {
  if (typeof build === 'string') return absolute(dir, build);
  if (!isPlainObject(build)) return build;
  // A build without `context` builds `.`, which means the extended file's directory.
  const out: Record<string, unknown> = { ...build, context: absolute(dir, build['context'] ?? '.') };
  const contexts = build['additional_contexts'];
  if (isPlainObject(contexts)) {
    out['additional_contexts'] = Object.fromEntries(
      Object.entries(contexts).map(([name, ctx]) => [name, typeof ctx === 'string' && /^(service:|docker-image:\/\/|oci-layout:\/\/)/.test(ctx) ? ctx : absolute(dir, ctx)]),
    );
  }
  return out;
}

/** Makes a service's relative paths absolute against `dir`. */
export function absoluteServicePaths(service: Record<string, unknown>, dir: string): Record<string, unknown> {
  const out: Record<string, unknown> = { ...service };
  if ('build' in service) out['build'] = absoluteBuild(dir, service['build']);
  if ('env_file' in service) out['env_file'] = absoluteEnvFiles(dir, service['env_file']);
  if ('label_file' in service) out['label_file'] = absoluteEnvFiles(dir, service['label_file']);
  if (Array.isArray(service['volumes'])) out['volumes'] = service['volumes'].map((v) => absoluteVolume(dir, v));
  const extendsRef = service['extends'];
  if (isPlainObject(extendsRef) && 'file' in extendsRef) out['extends'] = { ...extendsRef, file: absolute(dir, extendsRef['file']) };
  const develop = service['develop'];
  if (isPlainObject(develop) && Array.isArray(develop['watch'])) {
    out['develop'] = {
      ...develop,
      watch: develop['watch'].map((w) => (isPlainObject(w) ? { ...w, path: absolute(dir, w['path']) } : w)),
    };
  }
  return out;
}

/** Makes every relative path of a whole document absolute (for included projects). */
export function absoluteDocumentPaths(data: Record<string, unknown>, dir: string): Record<string, unknown> {
  const out: Record<string, unknown> = { ...data };
  const services = data['services'];
  if (isPlainObject(services)) {
    out['services'] = Object.fromEntries(
      Object.entries(services).map(([name, s]) => [name, isPlainObject(s) ? absoluteServicePaths(s, dir) : s]),
    );
  }
  for (const kind of ['secrets', 'configs'] as const) {
    const objects = data[kind];
    if (!isPlainObject(objects)) continue;
    out[kind] = Object.fromEntries(
      Object.entries(objects).map(([name, o]) => [name, isPlainObject(o) && 'file' in o ? { ...o, file: absolute(dir, o['file']) } : o]),
    );
  }
  return out;
}
