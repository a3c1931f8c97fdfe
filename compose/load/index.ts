// loadProject: compose files on disk → one immutable Project. The order of
// the phases, and why, is written down in ../PIPELINE.md; this function reads
// as that list.

import { ComposeErrors, ComposeFileError, displayPath, throwIfAny } from '../errors.js';
import { buildGraph } from '../graph/index.js';
import { normalizeProject } from '../normalize/index.js';
import type { Project } from '../types.js';
import { validateDocument } from '../validate.js';
import { discoverComposeFiles, envDirectory, STDIN } from './discovery.js';
import { loadProjectEnvironment } from './dotenv.js';
import { applyExtends } from './extends.js';
import { nodeFs, readTextFile, type LoaderFs } from './fs.js';
import { applyInclude, type IncludeRequest } from './include.js';
import { interpolateDocument, unsetVariableWarning } from './interpolate.js';
import { isPlainObject, mergeDocuments, readableWithoutTags, stripTags } from './merge.js';
import { parseComposeYaml, type ParsedDocument } from './parse.js';
import { activeProfiles, applyProfiles } from './profiles.js';
import { resolveProjectName } from './project-name.js';
import { substitute } from './template.js';

export interface LoadSkips {
  readonly interpolate?: boolean;
  readonly validate?: boolean;
  readonly include?: boolean;
  readonly extends?: boolean;
  readonly profiles?: boolean;
  readonly normalize?: boolean;
}

export interface LoadOptions {
  /** `-f` values (relative to workingDir; `-` reads `stdin`). */
  readonly files?: readonly string[];
  /** Absolute directory the command runs in. */
  readonly workingDir: string;
  /** `-p`. */
  readonly projectName?: string;
  /** `--project-directory`. */
  readonly projectDirectory?: string;
  /** `--env-file` values. */
  readonly envFiles?: readonly string[];
  /** `--profile` values. */
  readonly profiles?: readonly string[];
  /** The OS environment. */
  readonly environment: Readonly<Record<string, string | undefined>>;
  /** Services named on the command line (they enable their own profiles). */
  readonly services?: readonly string[];
  readonly skip?: LoadSkips;
  /** Content of standard input, for `-f -`. */
  readonly stdin?: string | (() => string | Promise<string>);
  readonly fs?: LoaderFs;
  /** Where `~` points (defaults to the user's home). */
  readonly homeDir?: string;
}

export interface LoadResult {
  readonly project: Project;
  /** Warnings for the user, each once, in the order met. */
  readonly warnings: string[];
  /** The merged model after profiles, before normalization (what `config --no-normalize` prints). */
  readonly model: Record<string, unknown>;
  /** The compose files read, in merge order (`-` for stdin). */
  readonly files: readonly string[];
  /** Env files read for the project environment. */
  readonly envFiles: readonly string[];
  /** Profiles in effect. */
  readonly activeProfiles: readonly string[];
  /** Services the profiles disabled, as merged (before normalization). */
  readonly disabledServices: Readonly<Record<string, unknown>>;
  /** The project environment: env files, the OS environment over them, and COMPOSE_PROJECT_NAME. */
  readonly environment: Readonly<Record<string, string>>;
  /** Absolute project directory. */
  readonly projectDirectory: string;
}

const STDIN_NAME = '<stdin>';

interface ModelContext {
  readonly fs: LoaderFs;
  readonly projectDirectory: string;
  readonly environment: Readonly<Record<string, string>>;
  readonly workingDir: string;
  readonly skip: LoadSkips;
  readonly stdin: string;
  readonly chain: readonly string[];
  readonly warnings: string[];
}

export async function loadProject(options: LoadOptions): Promise<LoadResult> {
  const fs = options.fs ?? nodeFs;
  const skip = options.skip ?? {};
  const warnings: string[] = [];

  const env = loadProjectEnvironment(
    { directory: envDirectory(options), envFiles: options.envFiles, workingDir: options.workingDir, osEnvironment: options.environment, baseDir: options.workingDir },
    fs,
  );
  warnings.push(...env.unset.map(unsetVariableWarning));
  const discovered = discoverComposeFiles({ ...options, environment: env.environment }, fs);
  warnings.push(...discovered.warnings);
  const stdin = discovered.files.includes(STDIN) ? await readStdin(options.stdin) : '';

  const ctx: ModelContext = {
    fs,
    projectDirectory: discovered.projectDirectory,
    environment: env.environment,
    workingDir: options.workingDir,
    skip,
    stdin,
    chain: [],
    warnings,
  };
  const documents = read(discovered.files, ctx).flatMap((file) => parse(file, ctx));
  const projectName = resolveProjectName({
    flag: options.projectName,
    environment: env.environment,
    nameInFiles: nameInDocuments(documents, ctx),
    projectDirectory: discovered.projectDirectory,
  });
  // compose-go exposes the project name to interpolation, so `${COMPOSE_PROJECT_NAME}` works in files.
  const withName: ModelContext = { ...ctx, environment: { ...env.environment, COMPOSE_PROJECT_NAME: projectName } };
  const merged = loadModel(documents, withName);

  const profiles = skip.profiles ? [] : activeProfiles(options.profiles, env.environment);
  const split = skip.profiles
    ? { model: merged, disabledServices: {}, profiles: [] as string[] }
    : applyProfiles(merged, profiles, options.services ?? []);
  const model = { ...split.model, name: projectName };

  const project = skip.normalize
    ? (model as unknown as Project)
    : normalize(model, split.disabledServices, projectName, withName, options.homeDir, warnings);
  if (!skip.normalize) warnings.push(...checkDependencies(project));
  return {
    project,
    warnings: [...new Set(warnings)],
    model,
    files: discovered.files,
    envFiles: env.files,
    activeProfiles: split.profiles,
    disabledServices: split.disabledServices,
    environment: withName.environment,
    projectDirectory: discovered.projectDirectory,
  };
}

/** The per-file phases, then the merge: used for the project and for each included project. */
function loadModel(documents: readonly ParsedDocument[], ctx: ModelContext): Record<string, unknown> {
  const interpolated = documents.map((doc) => interpolate(doc, ctx));
  validate(interpolated, ctx);
  const withIncludes = interpolated.map((doc) => include(doc, ctx));
  const extended = withIncludes.map((doc) => extend(doc, ctx));
  return mergeDocuments(extended.map((d) => d.data));
}

// --- phases ------------------------------------------------------------------

interface SourceFile {
  readonly file: string;
  readonly text: string;
}

function read(files: readonly string[], ctx: ModelContext): SourceFile[] {
  return files.map((file) => ({ file, text: file === STDIN ? ctx.stdin : readTextFile(ctx.fs, file, ctx.workingDir) }));
}

function parse(source: SourceFile, ctx: ModelContext): ParsedDocument[] {
  const shown = source.file === STDIN ? STDIN_NAME : source.file;
  return parseComposeYaml(source.text, shown, { baseDir: ctx.workingDir }).map((doc) => ({ ...doc, file: source.file }));
}

function interpolate(doc: ParsedDocument, ctx: ModelContext): ParsedDocument {
  if ('version' in doc.data) {
    ctx.warnings.push(`${shownFile(doc.file, ctx)}: the attribute \`version\` is obsolete, it will be ignored, please remove it to avoid potential confusion`);
    const { version: _ignored, ...rest } = doc.data;
    doc = { ...doc, data: rest };
  }
  if (ctx.skip.interpolate) return doc;
  const result = interpolateDocument(doc.data, {
    lookup: (name) => ctx.environment[name],
    file: fileForErrors(doc.file),
    baseDir: ctx.workingDir,
    locate: doc.locateValue,
  });
  ctx.warnings.push(...result.warnings);
  return { ...doc, data: result.data };
}

/** Every file is validated before anything stops, so all schema errors show at once. */
function validate(documents: readonly ParsedDocument[], ctx: ModelContext): void {
  if (ctx.skip.validate) return;
  const errors = documents.flatMap((doc) => {
    const shown = shownFile(doc.file, ctx);
    const locate = (path: readonly (string | number)[]) => {
      const position = doc.locate(path);
      return position && { ...position, file: shown };
    };
    return validateDocument(readableWithoutTags(doc.data), shown, locate);
  });
  throwIfAny(errors);
}

function include(doc: ParsedDocument, ctx: ModelContext): ParsedDocument {
  if (ctx.skip.include) return doc;
  const data = applyInclude(doc.data, {
    file: fileForErrors(doc.file),
    projectDir: ctx.projectDirectory,
    environment: ctx.environment,
    fs: ctx.fs,
    chain: doc.file === STDIN || ctx.chain.includes(doc.file) ? ctx.chain : [...ctx.chain, doc.file],
    loadIncluded: (request) => loadIncluded(request, ctx),
    locate: doc.locate,
    displayDir: ctx.workingDir,
  });
  return { ...doc, data };
}

function extend(doc: ParsedDocument, ctx: ModelContext): ParsedDocument {
  if (ctx.skip.extends) return doc;
  const cache = new Map<string, Record<string, unknown>>();
  const data = applyExtends(doc.data, {
    file: doc.file,
    baseDir: ctx.projectDirectory,
    loadFile: (path) => {
      let loaded = cache.get(path);
      if (!loaded) {
        const docs = parse({ file: path, text: readTextFile(ctx.fs, path, ctx.workingDir) }, ctx).map((d) => interpolate(d, ctx));
        // A file read only for `extends` is never merged whole, but what it lends must be valid too.
        validate(docs, ctx);
        loaded = docs.length === 1 ? docs[0]!.data : mergeDocuments(docs.map((d) => d.data));
        cache.set(path, loaded);
      }
      return loaded;
    },
    locate: doc.locate,
    displayDir: ctx.workingDir,
  });
  return { ...doc, data };
}

function loadIncluded(request: IncludeRequest, parent: ModelContext): Record<string, unknown> {
  const ctx: ModelContext = {
    ...parent,
    projectDirectory: request.projectDirectory,
    environment: request.environment,
    chain: request.chain,
  };
  const documents = read(request.files, ctx).flatMap((file) => parse(file, ctx));
  return loadModel(documents, ctx);
}

function normalize(
  model: Record<string, unknown>,
  disabled: Record<string, unknown>,
  projectName: string,
  ctx: ModelContext,
  homeDir: string | undefined,
  warnings: string[],
): Project {
  // Disabled services are normalized with the others (as compose-go applies
  // profiles after normalization) and split off afterwards.
  const services = isPlainObject(model['services']) ? model['services'] : {};
  const withoutName: Record<string, unknown> = { ...model, services: { ...services, ...disabled } };
  delete withoutName['name'];
  const result = normalizeProject(withoutName, {
    projectName,
    workingDir: ctx.projectDirectory,
    environment: { ...ctx.environment },
    fs: ctx.fs,
    homeDir,
    disabledServices: Object.keys(disabled),
  });
  const disabledNames = new Set(Object.keys(disabled));
  const enabledServices: Record<string, unknown> = {};
  const disabledServices: Record<string, unknown> = {};
  for (const [name, service] of Object.entries(result.project.services)) {
    (disabledNames.has(name) ? disabledServices : enabledServices)[name] = service;
  }
  warnings.push(...result.warnings.filter((w) => ![...disabledNames].some((n) => w.startsWith(`service ${n}:`))));
  const project = { ...result.project, services: enabledServices } as Record<string, unknown>;
  if (disabledNames.size > 0) project['disabledServices'] = disabledServices;
  return deepFreeze(project) as unknown as Project;
}

/**
 * Consistency of the dependency graph, the last phase (compose-go checks it at
 * the end of its consistency pass): a cycle, or a required dependency on a
 * service that is missing or disabled by profiles, is an error here rather
 * than at `up`.
 */
function checkDependencies(project: Project): readonly string[] {
  return buildGraph(project).warnings;
}

// --- helpers -----------------------------------------------------------------

function nameInDocuments(documents: readonly ParsedDocument[], ctx: ModelContext): unknown {
  let name: unknown;
  for (const doc of documents) if (doc.data['name'] !== undefined) name = stripTags(doc.data['name']);
  if (typeof name !== 'string' || ctx.skip.interpolate) return name;
  try {
    return substitute(name, (key) => ctx.environment[key]).value;
  } catch (err) {
    // The interpolation phase reports it with the file and line.
    if (err instanceof Error) return undefined;
    throw err;
  }
}

function fileForErrors(file: string): string {
  return file === STDIN ? STDIN_NAME : file;
}

function shownFile(file: string, ctx: ModelContext): string {
  return file === STDIN ? STDIN_NAME : displayPath(file, ctx.workingDir);
}

async function readStdin(stdin: LoadOptions['stdin']): Promise<string> {
  if (typeof stdin === 'string') return stdin;
  if (stdin) return stdin();
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

export { ComposeErrors, ComposeFileError };
