// The ahead-of-time compiled validator must be rebuilt whenever the schema
// changes (validate.ts would fall back to compiling at run time, slowly).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMPILED_MODULE, generateValidatorModule } from '../../../../compose/validate-codegen.js';
import { composeSchemaPath, packageRoot } from '../../../../compose/validate.js';

describe('compiled schema validator', () => {
  it('is up to date with schema/compose-spec.json (else run: node --import tsx compose/validate-codegen.ts)', () => {
    const expected = generateValidatorModule(readFileSync(composeSchemaPath(), 'utf8'));
    const actual = readFileSync(join(packageRoot(), COMPILED_MODULE), 'utf8');
    expect(actual === expected).toBe(true);
  });
});
