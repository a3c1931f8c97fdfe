// Temp-directory projects for loader tests: each test writes its files under
// a fresh mkdtemp dir, and everything is removed after the test file.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll } from 'vitest';

const roots: string[] = [];
afterAll(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

/** Writes `files` (relative paths → content) under a new temp dir named `<name>`; returns its absolute path. */
export function tempProject(files: Record<string, string>, name = 'app'): string {
  const root = mkdtempSync(join(tmpdir(), 'tsct-load-'));
  roots.push(root);
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  for (const [path, content] of Object.entries(files)) {
    const full = join(dir, path);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, content);
  }
  return dir;
}

/** Strips the common indentation of a template literal so YAML can be written inline. */
export function yaml(strings: TemplateStringsArray, ...values: unknown[]): string {
  const text = strings.reduce((acc, s, i) => acc + s + (i < values.length ? String(values[i]) : ''), '');
  const lines = text.replace(/^\n/, '').split('\n');
  const indent = Math.min(...lines.filter((l) => l.trim() !== '').map((l) => l.length - l.trimStart().length));
  return lines.map((l) => l.slice(indent)).join('\n');
}

/** The error a function throws, for asserting on its exact message. */
export function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    if (err instanceof Error) return err;
    throw err;
  }
  throw new Error('expected an error, none was thrown');
}

export async function rejected(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof Error) return err;
    throw err;
  }
  throw new Error('expected a rejection, none came');
}

import { mergeDocuments } from '../../../../compose/load/merge.js';
import { parseComposeYaml } from '../../../../compose/load/parse.js';

/** Merges inline compose files in order, as `-f a -f b` would. */
export function mergeYaml(...sources: string[]): Record<string, unknown> {
  return mergeDocuments(sources.flatMap((src, i) => parseComposeYaml(src, `/p/f${i}.yaml`).map((d) => d.data)));
}

/** The `web` service of a merge of inline files that each define only `services.web`. */
export function mergeWeb(...bodies: string[]): Record<string, unknown> {
  const merged = mergeYaml(...bodies.map((b) => `services:\n  web:\n${b.replace(/^/gm, '    ')}\n`));
  return (merged['services'] as Record<string, Record<string, unknown>>)['web']!;
}
