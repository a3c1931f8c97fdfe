// The multi-file corpus in test/fixtures/load/: each directory is a project
// with a case.json giving the load options and either the merged model
// (before normalization) or the exact error text.

import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadProject, type LoadOptions } from '../../../../compose/load/index.js';
import { rejected } from './helpers.js';

interface FixtureCase {
  description: string;
  options: Partial<LoadOptions> & { workingDir?: string; environment?: Record<string, string> };
  model?: unknown;
  error?: string;
  disabled?: string[];
}

const root = resolve(import.meta.dirname, '../../../fixtures/load');
const cases = readdirSync(root, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

function withFixtureDir(value: unknown, dir: string): unknown {
  return JSON.parse(JSON.stringify(value).replaceAll('${FIXTURE}', dir));
}

describe('loader fixtures', () => {
  it('has cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(10);
  });

  it.each(cases)('%s', async (name) => {
    const dir = join(root, name);
    const spec = JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8')) as FixtureCase;
    const options: LoadOptions = {
      ...spec.options,
      workingDir: join(dir, spec.options.workingDir ?? '.'),
      environment: spec.options.environment ?? {},
      skip: { normalize: true },
    };
    if (spec.error !== undefined) {
      expect((await rejected(loadProject(options))).message).toBe(spec.error);
      return;
    }
    const result = await loadProject(options);
    expect(result.model).toEqual(withFixtureDir(spec.model, dir));
    expect(Object.keys(result.disabledServices)).toEqual(spec.disabled ?? []);
  });
});
