// Schema validation of one interpolated compose document against
// schema/compose-spec.json, with errors written for people: the most specific
// ajv error per place, yaml words ("mapping", "list") instead of JSON Schema
// words, a dotted path (`services.web.ports`) and the file:line:column of the
// offending node.

import { createHash } from 'node:crypto';
import { readFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import type { Ajv as AjvClass, ErrorObject, ValidateFunction } from 'ajv';
import { ComposeFileError } from './errors.js';
import { SCHEMA_SHA256, validate as precompiled } from './validate-compiled.js';
import type { SourcePosition } from './types.js';

export type DataPath = readonly (string | number)[];
export type Locate = (path: DataPath) => SourcePosition | undefined;

/**
 * The directory holding tscompose's package.json. The schema ships beside the
 * code, and the code runs both from the TypeScript sources (tests) and from
 * dist/ (installed), so it is found by walking up rather than by a fixed
 * relative path.
 */
export function packageRoot(from: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'schema'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`tscompose: cannot find the package root (schema/) above ${from}`);
    dir = parent;
  }
}

export function composeSchemaPath(): string {
  return join(packageRoot(), 'schema', 'compose-spec.json');
}

/** Every error, not the first: a person fixes them in one pass. */
export const VALIDATOR_OPTIONS = { allErrors: true, strict: false } as const;

let compiled: ValidateFunction | undefined;

/** The slow path, for a schema edited since validate-compiled.ts was built: ajv is loaded only then. */
function compileSchema(text: string): ValidateFunction {
  const { Ajv } = createRequire(import.meta.url)('ajv') as { Ajv: typeof AjvClass };
  return new Ajv(VALIDATOR_OPTIONS).compile(JSON.parse(text) as object);
}

/**
 * The schema's validation function, once per process. Compiling it costs
 * about half a second, so the ahead-of-time compiled module is used whenever
 * it was built from this very schema text (see validate-codegen.ts).
 */
function validator(): ValidateFunction {
  if (!compiled) {
    const text = readFileSync(composeSchemaPath(), 'utf8');
    const digest = createHash('sha256').update(text).digest('hex');
    compiled = digest === SCHEMA_SHA256 ? (precompiled as unknown as ValidateFunction) : compileSchema(text);
  }
  return compiled;
}

/**
 * Validates one compose document (one file, after interpolation). Returns every
 * problem found, each as a ComposeFileError pointing at its line; an empty list
 * means the document is valid.
 */
export function validateDocument(data: unknown, file: string, locate: Locate): ComposeFileError[] {
  const validate = validator();
  if (validate(data ?? {})) return [];
  const errors = mostSpecific(validate.errors ?? []).map((e) => toFileError(e, data, file, locate));
  // In file order, as a person reads and fixes them.
  return errors.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
}

// --- choosing the errors worth showing ---------------------------------------

function parsePointer(pointer: string, data: unknown): (string | number)[] {
  if (pointer === '') return [];
  const out: (string | number)[] = [];
  let node: unknown = data;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    const segment: string | number = Array.isArray(node) && /^\d+$/.test(key) ? Number(key) : key;
    out.push(segment);
    node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined;
  }
  return out;
}

/** `/services/web/gpus/anyOf/1/items/...` -> `/services/web/gpus/anyOf` and branch 1. */
function compositeBranch(schemaPath: string): { at: string; branch: string } | undefined {
  const m = /^(.*\/(?:anyOf|oneOf))\/(\d+)(?:\/|$)/.exec(schemaPath);
  return m ? { at: m[1], branch: m[2] } : undefined;
}

/**
 * From ajv's allErrors list keep what a person needs: for a failed anyOf/oneOf
 * only the branch that got furthest into the document (its errors sit at the
 * deepest path); several type errors at one place become one.
 */
export function mostSpecific(errors: readonly ErrorObject[]): ErrorObject[] {
  const composites = errors.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf');
  let kept = errors.filter((e) => e.keyword !== 'anyOf' && e.keyword !== 'oneOf' && e.keyword !== 'if');
  // Each branch error belongs to the failed composite with the same schema
  // location whose instance path is the longest prefix of its own.
  const owner = (e: ErrorObject, at: string): ErrorObject | undefined => {
    let best: ErrorObject | undefined;
    for (const c of composites) {
      if (c.schemaPath !== at) continue;
      if (e.instancePath !== c.instancePath && !e.instancePath.startsWith(`${c.instancePath}/`)) continue;
      if (!best || c.instancePath.length > best.instancePath.length) best = c;
    }
    return best;
  };
  const groups = new Map<ErrorObject, Map<string, ErrorObject[]>>();
  for (const e of kept) {
    const c = compositeBranch(e.schemaPath);
    const composite = c && owner(e, c.at);
    if (!c || !composite) continue;
    let branches = groups.get(composite);
    if (!branches) groups.set(composite, (branches = new Map()));
    const list = branches.get(c.branch) ?? [];
    list.push(e);
    branches.set(c.branch, list);
  }
  const dropped = new Set<ErrorObject>();
  for (const branches of groups.values()) {
    const depth = (list: ErrorObject[]) => Math.max(...list.map((e) => e.instancePath.split('/').length));
    const best = Math.max(...[...branches.values()].map(depth));
    const deepest = [...branches.values()].filter((l) => depth(l) === best);
    // Branches that failed on the type alone say "must be X or Y" together;
    // a branch that matched the type and failed inside wins over them.
    const typeOnly = deepest.filter((l) => l.every((e) => e.keyword === 'type' || e.keyword === 'enum'));
    const winners = typeOnly.length === deepest.length ? deepest : [deepest.find((l) => !typeOnly.includes(l))!];
    for (const list of branches.values()) if (!winners.includes(list)) list.forEach((e) => dropped.add(e));
  }
  kept = kept.filter((e) => !dropped.has(e));
  return mergeAlternatives(kept);
}

/**
 * Type and enum errors of sibling branches at one place become one error:
 * `must be "all" or a list` rather than two contradicting lines.
 */
function mergeAlternatives(errors: ErrorObject[]): ErrorObject[] {
  const byPath = new Map<string, ErrorObject[]>();
  for (const e of errors) {
    if (!compositeBranch(e.schemaPath) || (e.keyword !== 'type' && e.keyword !== 'enum')) continue;
    const list = byPath.get(e.instancePath) ?? [];
    list.push(e);
    byPath.set(e.instancePath, list);
  }
  const out: ErrorObject[] = [];
  const merged = new Set<string>();
  for (const e of errors) {
    const group = byPath.get(e.instancePath);
    if (!group || group.length < 2 || !group.includes(e)) {
      out.push(e);
      continue;
    }
    if (merged.has(e.instancePath)) continue;
    merged.add(e.instancePath);
    const types: string[] = [];
    const values: unknown[] = [];
    // Within one branch an enum says more than its type ("all" vs "a string").
    const enumBranches = new Set(group.filter((g) => g.keyword === 'enum').map((g) => compositeBranch(g.schemaPath)?.branch));
    for (const g of group) {
      const params = g.params as Record<string, unknown>;
      if (g.keyword === 'enum') values.push(...(params.allowedValues as unknown[]));
      else if (!enumBranches.has(compositeBranch(g.schemaPath)?.branch)) {
        types.push(...(Array.isArray(params.type) ? (params.type as string[]) : String(params.type).split(',')));
      }
    }
    out.push({ ...e, keyword: 'alternatives', params: { types, values } });
  }
  return out;
}

// --- wording -------------------------------------------------------------------

const TYPE_WORDS: Record<string, string> = {
  object: 'a mapping',
  array: 'a list',
  string: 'a string',
  number: 'a number',
  integer: 'an integer',
  boolean: 'a boolean',
  null: 'null',
};

function typeWords(types: readonly string[]): string {
  const unique = [...new Set(types.filter((t) => !(t === 'integer' && types.includes('number'))))];
  const words = unique.map((t) => TYPE_WORDS[t] ?? t);
  if (words.length <= 1) return words[0] ?? 'something else';
  return `${words.slice(0, -1).join(', ')} or ${words[words.length - 1]}`;
}

export function dottedPath(path: DataPath): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? segment : `.${segment}`;
  }
  return out;
}

const RESOURCE_KIND: Record<string, string> = {
  services: 'service',
  volumes: 'volume',
  secrets: 'secret',
  configs: 'config',
  networks: 'network',
  models: 'model',
};

/** What a pattern means, for the keys whose pattern is not self-explanatory. */
const PATTERN_HINTS: Record<string, string> = {
  pull_policy: 'use always, never, missing, build, if_not_present, refresh, daily, weekly or every_<duration> (like every_12h)',
  container_name: "use at least two characters, starting with a letter or digit, then letters, digits, '.', '_' or '-'",
};

function valueAt(data: unknown, path: DataPath): unknown {
  let node = data;
  for (const segment of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string | number, unknown>)[segment];
  }
  return node;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return String(value);
}

/** The message and where it points (for an unknown key: the key itself). */
function word(error: ErrorObject, path: (string | number)[], data: unknown): { text: string; at: (string | number)[] } {
  const where = dottedPath(path);
  const subject = where === '' ? 'the compose file' : where;
  const p = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'type': {
      const types = Array.isArray(p.type) ? (p.type as string[]) : String(p.type).split(',');
      return { text: `${subject} must be ${typeWords(types)}`, at: path };
    }
    case 'additionalProperties': {
      const key = String(p.additionalProperty);
      const parent = path.length === 1 ? RESOURCE_KIND[String(path[0])] : undefined;
      if (parent) {
        return {
          text: `${subject}: ${JSON.stringify(key)} is not a valid ${parent} name: use only letters, digits, '.', '_' and '-'`,
          at: [...path, key],
        };
      }
      return { text: `${subject} additional property '${key}' is not allowed`, at: [...path, key] };
    }
    case 'alternatives': {
      const values = (p.values as unknown[]).map((v) => JSON.stringify(v));
      const types = p.types as string[];
      const choices = [...values, ...(types.length ? [typeWords(types)] : [])];
      const text = choices.length > 1 ? `${choices.slice(0, -1).join(', ')} or ${choices[choices.length - 1]}` : choices[0];
      return { text: `${subject} must be ${text}`, at: path };
    }
    case 'enum': {
      const allowed = (p.allowedValues as unknown[]).map(String).join(', ');
      return { text: `${subject} must be one of: ${allowed}`, at: path };
    }
    case 'required':
      return { text: `${subject} must have '${String(p.missingProperty)}'`, at: path };
    case 'pattern': {
      const hint = PATTERN_HINTS[String(path[path.length - 1])];
      const value = describe(valueAt(data, path));
      return { text: hint ? `${subject} ${value} is invalid: ${hint}` : `${subject} ${value} does not match ${String(p.pattern)}`, at: path };
    }
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return { text: `${subject} must be ${String(p.comparison)} ${String(p.limit)}`, at: path };
    case 'uniqueItems': {
      const list = valueAt(data, path);
      // Point at the second occurrence: that is the line to delete.
      const later = Math.max(Number(p.i), Number(p.j));
      const dup = Array.isArray(list) ? list[later] : undefined;
      return { text: `${subject} has a duplicate entry: ${describe(dup)}`, at: [...path, later] };
    }
    default:
      return { text: `${subject} ${error.message ?? 'is invalid'}`, at: path };
  }
}

function locateNearest(locate: Locate, path: (string | number)[]): SourcePosition | undefined {
  for (let n = path.length; n >= 0; n--) {
    const found = locate(path.slice(0, n));
    if (found) return found;
  }
  return undefined;
}

function toFileError(error: ErrorObject, data: unknown, file: string, locate: Locate): ComposeFileError {
  const path = parsePointer(error.instancePath, data);
  const { text, at } = word(error, path, data);
  const position = locateNearest(locate, at);
  return new ComposeFileError(text, {
    file: position?.file ?? file,
    line: position?.line,
    column: position?.column,
    path: dottedPath(path),
  });
}

