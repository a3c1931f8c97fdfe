// `extends`: a service starts from another service (in the same file or in
// another one) and overrides it with the merge rules. Chains are followed to
// their end, a cycle is an error naming it, and a base from another file has
// its relative paths made absolute against that file's directory.

import { dirname, resolve } from 'node:path';
import { ComposeFileError, displayPath } from '../errors.js';
import { isPlainObject, mergeService } from './merge.js';
import type { Locator } from './parse.js';
import { absoluteServicePaths } from './paths.js';

export interface ExtendsContext {
  /** The file whose services are resolved (absolute, or `-`). */
  readonly file: string;
  /** Directory `extends.file` is relative to: the project directory for the project's own files. */
  readonly baseDir: string;
  /** Reads, parses and interpolates another compose file (absolute path); called at most once per file. */
  readonly loadFile: (path: string) => Record<string, unknown>;
  /** Where errors about `services.<name>.extends` point. */
  readonly locate?: Locator;
  /** Directory error messages show files relative to. */
  readonly displayDir?: string;
}

interface FileScope {
  readonly file: string;
  readonly baseDir: string;
  readonly services: Record<string, unknown>;
  readonly resolved: Map<string, unknown>;
  readonly locate?: Locator;
}

/** Returns `data` with every service's `extends` resolved and removed. */
export function applyExtends(data: Record<string, unknown>, ctx: ExtendsContext): Record<string, unknown> {
  const services = data['services'];
  if (!isPlainObject(services) || !Object.values(services).some((s) => isPlainObject(s) && 'extends' in s)) return data;
  const scopes = new Map<string, FileScope>();
  const root: FileScope = { file: ctx.file, baseDir: ctx.baseDir, services, resolved: new Map(), locate: ctx.locate };
  scopes.set(ctx.file, root);

  const scopeFor = (file: string, from: FileScope, service: string): FileScope => {
    const known = scopes.get(file);
    if (known) return known;
    let loaded: Record<string, unknown>;
    try {
      loaded = ctx.loadFile(file);
    } catch (err) {
      // A file that cannot be read is reported where `extends` names it; errors inside it keep their own line.
      if (err instanceof ComposeFileError && err.line === undefined) throw fail(from, service, `cannot extend service ${JSON.stringify(service)}: ${err.message}`);
      throw err;
    }
    const otherServices = loaded['services'];
    if (!isPlainObject(otherServices)) {
      throw fail(from, service, `cannot extend service ${JSON.stringify(service)}: ${show(file)} has no services section`);
    }
    const scope: FileScope = { file, baseDir: dirname(file), services: otherServices, resolved: new Map() };
    scopes.set(file, scope);
    return scope;
  };

  // Every service's chain step names its file; computing the relative path once per file keeps 1,000 services cheap.
  const shown = new Map<string, string>();
  const show = (file: string) => {
    let text = shown.get(file);
    if (text === undefined) shown.set(file, (text = displayPath(file, ctx.displayDir)));
    return text;
  };
  const fail = (scope: FileScope, service: string, detail: string) => {
    const position = scope.locate?.(['services', service, 'extends']);
    return new ComposeFileError(detail, { file: scope.file, line: position?.line, column: position?.column, baseDir: ctx.displayDir, path: `services.${service}.extends` });
  };

  const resolveService = (scope: FileScope, name: string, chain: readonly string[]): unknown => {
    const done = scope.resolved.get(name);
    if (done !== undefined) return done;
    const service = scope.services[name];
    if (!isPlainObject(service) || !('extends' in service)) return service;

    const step = `${name} (${show(scope.file)})`;
    if (chain.includes(step)) {
      throw fail(scope, name, `extends cycle: ${[...chain.slice(chain.indexOf(step)), step].join(' -> ')}`);
    }
    const ref = service['extends'];
    const baseName = typeof ref === 'string' ? ref : isPlainObject(ref) ? ref['service'] : undefined;
    if (typeof baseName !== 'string') throw fail(scope, name, `services.${name}.extends.service is required`);
    const refFile = isPlainObject(ref) && typeof ref['file'] === 'string' ? resolve(scope.baseDir, ref['file']) : undefined;

    let base: unknown;
    if (refFile !== undefined && refFile !== scope.file) {
      const other = scopeFor(refFile, scope, name);
      if (!(baseName in other.services)) {
        throw fail(scope, name, `cannot extend service ${JSON.stringify(name)}: service ${JSON.stringify(baseName)} not found in ${show(refFile)}`);
      }
      const resolved = resolveService(other, baseName, [...chain, step]);
      base = isPlainObject(resolved) ? absoluteServicePaths(resolved, other.baseDir) : resolved;
    } else {
      if (!(baseName in scope.services)) {
        throw fail(scope, name, `cannot extend service ${JSON.stringify(name)}: service ${JSON.stringify(baseName)} not found in ${show(scope.file)}`);
      }
      base = resolveService(scope, baseName, [...chain, step]);
    }
    const own: Record<string, unknown> = { ...service };
    delete own['extends'];
    const merged = isPlainObject(base) ? mergeService(base, own) : own;
    delete merged['extends'];
    scope.resolved.set(name, merged);
    return merged;
  };

  const out: Record<string, unknown> = {};
  for (const name of Object.keys(services)) out[name] = resolveService(root, name, []);
  return { ...data, services: out };
}
