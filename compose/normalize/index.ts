// Normalization: the merged, validated compose document becomes a Project in
// compose-go's canonical long form. The passes run in this order because each
// reads what the previous wrote:
//   canonical   every attribute to its long form (table in services.ts)
//   implicit    default network, dependencies implied by links/volumes_from/
//               network_mode|ipc|pid|uts|cgroup: service:x
//   env files   read and merged under `environment` (needs absolute paths)
//   resources   names `<project>_<key>`, external flags
//   consistency cross-references (needs all of the above)
//   warnings    valid keys the engine does not support yet

import { homedir } from 'node:os';
import { ComposeFileError, throwIfAny } from '../errors.js';
import type { Project, SourcePosition } from '../types.js';
import { nodeFs, type LoaderFs } from '../load/fs.js';
import { parseDotenv } from '../load/dotenv.js';
import { dottedPath } from '../validate.js';
import { checkConsistency } from './consistency.js';
import { normalizeResource, type ResourceKind } from './resources.js';
import { SERVICE_RULES, type ServiceScope } from './services.js';
import { unsupportedWarnings } from './unsupported.js';
import { isDict, type Dict } from './values.js';

export interface NormalizeContext {
  projectName: string;
  /** Absolute project directory: relative paths are resolved against it. */
  workingDir: string;
  /** Project environment (OS environment over .env files), for unset values. */
  environment: Record<string, string>;
  /** Where `~` points; defaults to the user's home directory. */
  homeDir?: string;
  /** File access for env_file; defaults to the real file system. */
  fs?: LoaderFs;
  /** Services turned off by profiles (an optional `depends_on` on them is allowed). */
  disabledServices?: readonly string[];
  /**
   * Where a path of the merged model was written (the last file that set it),
   * so normalization errors point at a line too.
   */
  locate?: (path: readonly (string | number)[]) => SourcePosition | undefined;
  /** Keep env_file entries instead of folding them into `environment` (default: fold, like `docker compose config`). */
  keepEnvFiles?: boolean;
}

export interface NormalizeResult {
  project: Project;
  warnings: string[];
}

const RESOURCE_KINDS: readonly ResourceKind[] = ['networks', 'volumes', 'secrets', 'configs'];
const SERVICE_REFERENCE = 'service:';

type Locate = NormalizeContext['locate'];

/** A normalization error at `path`, with the file position when the loader can tell it. */
function located(locate: Locate, path: readonly (string | number)[], detail: string): ComposeFileError {
  let position: SourcePosition | undefined;
  for (let n = path.length; n > 0 && !position; n--) position = locate?.(path.slice(0, n));
  return new ComposeFileError(detail, { file: position?.file, line: position?.line, column: position?.column, path: dottedPath(path) });
}

function fail(locate: Locate, path: readonly (string | number)[], err: unknown): ComposeFileError {
  const detail = err instanceof Error ? err.message : String(err);
  return located(locate, path, `${dottedPath(path)}: ${detail}`);
}

/** Every attribute of one service in its long form. */
function canonicalService(name: string, raw: Dict, scope: ServiceScope, locate: Locate, errors: ComposeFileError[]): Dict {
  const service: Dict = {};
  for (const [key, value] of Object.entries(raw)) {
    const rule = SERVICE_RULES[key];
    if (!rule || value === undefined) {
      service[key] = value;
      continue;
    }
    try {
      const out = rule(value, scope);
      if (out !== undefined) service[key] = out;
    } catch (err) {
      errors.push(fail(locate, ['services', name, key], err));
    }
  }
  return service;
}

function implicitDependency(service: Dict, target: string, restart: boolean): void {
  const dependsOn = (service.depends_on as Dict | undefined) ?? {};
  if (!(target in dependsOn)) dependsOn[target] = { condition: 'service_started', restart, required: true };
  service.depends_on = dependsOn;
}

/** Dependencies a service has without saying so, as compose-go adds them. */
function addImplicitDependencies(service: Dict): void {
  for (const link of (service.links as string[] | undefined) ?? []) implicitDependency(service, link.split(':')[0], true);
  for (const key of ['network_mode', 'ipc', 'pid', 'uts', 'cgroup']) {
    const ref = service[key];
    if (typeof ref === 'string' && ref.startsWith(SERVICE_REFERENCE)) implicitDependency(service, ref.slice(SERVICE_REFERENCE.length), true);
  }
  for (const from of (service.volumes_from as string[] | undefined) ?? []) {
    if (!from.startsWith('container:')) implicitDependency(service, from.split(':')[0], false);
  }
}

/** A service with no networks and no network_mode joins the project's `default` network. */
function attachDefaultNetwork(service: Dict): boolean {
  if (service.provider !== undefined || service.network_mode !== undefined) return false;
  const networks = service.networks as Dict | undefined;
  if (networks === undefined || Object.keys(networks).length === 0) {
    service.networks = { default: null };
    return true;
  }
  return 'default' in networks;
}

/** `format: raw`: KEY=VALUE lines taken literally, no quotes, escapes or interpolation. */
function parseRawEnv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    const at = line.indexOf('=');
    if (at < 0) continue;
    out[line.slice(0, at).trim()] = line.slice(at + 1);
  }
  return out;
}

function foldEnvFiles(name: string, service: Dict, ctx: NormalizeContext, errors: ComposeFileError[]): void {
  const files = service.env_file as { path: string; required: boolean; format?: string }[] | undefined;
  if (!files) return;
  const fs = ctx.fs ?? nodeFs;
  const own = (service.environment as Record<string, string | null> | undefined) ?? {};
  const fromFiles: Record<string, string> = {};
  for (const file of files) {
    if (fs.kind(file.path) === undefined) {
      if (file.required) errors.push(located(ctx.locate, ['services', name, 'env_file'], `env file ${file.path} not found: stat ${file.path}: no such file or directory`));
      continue;
    }
    try {
      if (file.format === 'raw') {
        Object.assign(fromFiles, parseRawEnv(fs.readFile(file.path)));
        continue;
      }
      const parsed = parseDotenv(fs.readFile(file.path), {
        file: file.path,
        // The project environment wins, then the service's own values, like compose-go.
        lookup: (key) => ctx.environment[key] ?? own[key] ?? undefined,
        earlier: fromFiles,
      });
      Object.assign(fromFiles, parsed.values);
    } catch (err) {
      if (err instanceof ComposeFileError) errors.push(err);
      else errors.push(fail(ctx.locate, ['services', name, 'env_file'], err));
    }
  }
  service.environment = { ...fromFiles, ...own };
  if (!ctx.keepEnvFiles) delete service.env_file;
}

/** Label files are read like env files; labels written in the service win. */
function foldLabelFiles(name: string, service: Dict, ctx: NormalizeContext, errors: ComposeFileError[]): void {
  const files = service.label_file as string[] | undefined;
  if (!files) return;
  const fs = ctx.fs ?? nodeFs;
  const fromFiles: Record<string, string> = {};
  for (const file of files) {
    if (fs.kind(file) === undefined) {
      errors.push(located(ctx.locate, ['services', name, 'label_file'], `label file ${file} not found: stat ${file}: no such file or directory`));
      continue;
    }
    try {
      Object.assign(fromFiles, parseDotenv(fs.readFile(file), { file, earlier: fromFiles }).values);
    } catch (err) {
      errors.push(err instanceof ComposeFileError ? err : fail(ctx.locate, ['services', name, 'label_file'], err));
    }
  }
  service.labels = { ...fromFiles, ...((service.labels as Record<string, string> | undefined) ?? {}) };
  delete service.label_file;
}

/** scale and deploy.replicas say the same thing; both end up set when either is. */
function reconcileScale(service: Dict): void {
  const deploy = service.deploy as Dict | undefined;
  if (service.scale !== undefined && deploy && deploy.replicas === undefined) deploy.replicas = service.scale;
}

export function normalizeProject(merged: Record<string, unknown>, ctx: NormalizeContext): NormalizeResult {
  const errors: ComposeFileError[] = [];
  const warnings: string[] = [];
  const homeDir = ctx.homeDir ?? homedir();
  const scope = (serviceName: string): ServiceScope => ({
    serviceName,
    warn: (message) => warnings.push(message),
    workingDir: ctx.workingDir,
    environment: ctx.environment,
    homeDir,
  });

  const services: Record<string, Dict> = {};
  let usesDefaultNetwork = false;
  for (const name of Object.keys((merged.services as Dict | undefined) ?? {}).sort()) {
    const raw = ((merged.services as Dict)[name] ?? {}) as Dict;
    const service = canonicalService(name, raw, scope(name), ctx.locate, errors);
    addImplicitDependencies(service);
    if (attachDefaultNetwork(service)) usesDefaultNetwork = true;
    foldEnvFiles(name, service, ctx, errors);
    foldLabelFiles(name, service, ctx, errors);
    reconcileScale(service);
    services[name] = service;
    warnings.push(...unsupportedWarnings(name, raw));
  }

  const resources = {} as Record<ResourceKind, Record<string, Dict>>;
  for (const kind of RESOURCE_KINDS) {
    const declared = { ...((merged[kind] as Dict | undefined) ?? {}) };
    if (kind === 'networks' && usesDefaultNetwork && !('default' in declared)) declared.default = null;
    const out: Record<string, Dict> = {};
    for (const key of Object.keys(declared).sort()) {
      try {
        out[key] = normalizeResource(kind, key, declared[key], { projectName: ctx.projectName, environment: ctx.environment, workingDir: ctx.workingDir, homeDir });
      } catch (err) {
        errors.push(fail(ctx.locate, [kind, key], err));
      }
    }
    resources[kind] = out;
  }
  throwIfAny(errors);

  const models = isDict(merged.models) ? merged.models : {};
  if (Object.keys(models).length > 0) warnings.push("'models' is not supported yet, ignored");
  const inconsistencies = checkConsistency({
    services,
    ...resources,
    models,
    disabledServices: new Set(ctx.disabledServices ?? []),
  });
  throwIfAny(inconsistencies.map((problem) => located(ctx.locate, problem.path, problem.message)));

  const project: Record<string, unknown> = { name: ctx.projectName, workingDir: ctx.workingDir, services };
  for (const kind of RESOURCE_KINDS) if (Object.keys(resources[kind]).length > 0) project[kind] = resources[kind];
  if (Object.keys(models).length > 0) project.models = models;
  for (const [key, value] of Object.entries(merged)) if (key.startsWith('x-')) project[key] = value;
  return { project: project as unknown as Project, warnings };
}

