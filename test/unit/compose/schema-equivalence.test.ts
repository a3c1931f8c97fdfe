// Our schema (schema/compose-spec.json) and the official compose-spec schema
// must agree on every document we have: all yaml fixtures in test/, the
// deliberately invalid documents, and the awesome-compose stacks.

import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { INVALID_DOCUMENTS } from './invalid-documents.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const reference = resolve(repoRoot, '..', 'shared', 'reference');

function compile(path: string) {
  const schema = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  // ajv knows draft-07 by its http URI; the reference names it by https.
  delete schema.$schema;
  return new Ajv({ allErrors: true, strict: false }).compile(schema);
}

function* yamlFiles(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* yamlFiles(path);
    else if (/\.ya?ml$/.test(name)) yield path;
  }
}

function parseAll(text: string): unknown[] {
  return parseAllDocuments(text, { logLevel: 'silent' })
    .filter((d) => !('errors' in d) || d.errors.length === 0)
    .map((d) => d.toJS({ maxAliasCount: -1 }) as unknown);
}

const ours = compile(join(repoRoot, 'schema', 'compose-spec.json'));
const theirs = compile(join(reference, 'compose-spec.json'));

interface Case { name: string; data: unknown }
const cases: Case[] = [];
for (const file of yamlFiles(join(repoRoot, 'test'))) {
  parseAll(readFileSync(file, 'utf8')).forEach((data, i) => cases.push({ name: `${relative(repoRoot, file)}#${i}`, data }));
}
const awesome = join(reference, 'awesome-compose');
const stacks = existsSync(awesome) ? readdirSync(awesome).filter((d) => statSync(join(awesome, d)).isDirectory()) : [];
for (const stack of stacks) {
  for (const name of ['compose.yaml', 'compose.yml']) {
    const file = join(awesome, stack, name);
    if (existsSync(file)) parseAll(readFileSync(file, 'utf8')).forEach((data) => cases.push({ name: `awesome-compose/${stack}`, data }));
  }
}
for (const doc of INVALID_DOCUMENTS) cases.push({ name: `invalid: ${doc.name}`, data: parseAll(doc.yaml)[0] });

describe('schema equivalence with compose-spec', () => {
  it('has a corpus worth the name', () => {
    expect(stacks.length).toBe(39);
    expect(INVALID_DOCUMENTS.length).toBeGreaterThanOrEqual(60);
  });

  it.each(cases.map((c) => [c.name, c.data] as const))('%s', (_name, data) => {
    expect(ours(data ?? {})).toBe(theirs(data ?? {}));
  });

  it.each(INVALID_DOCUMENTS.map((d) => [d.name, d.yaml] as const))('rejects: %s', (_name, yaml) => {
    expect(ours(parseAll(yaml)[0])).toBe(false);
  });

  it('accepts every awesome-compose stack', () => {
    const rejected = cases.filter((c) => c.name.startsWith('awesome-compose/') && !ours(c.data));
    expect(rejected.map((c) => c.name)).toEqual([]);
  });
});
