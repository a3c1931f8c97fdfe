// The error picker on oneOf schemas like compose-spec's own: the branch that
// got furthest wins, type-only failures are said once.

import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { mostSpecific } from '../../../../compose/validate.js';

const schema = {
  type: 'object',
  properties: {
    build: {
      oneOf: [
        { type: 'string' },
        { type: 'object', properties: { context: { type: 'string' }, args: { type: 'object' } }, additionalProperties: false },
      ],
    },
  },
};
const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);

function picked(data: unknown): string[] {
  validate(data);
  return mostSpecific(validate.errors ?? []).map((e) => `${e.instancePath} ${e.keyword}`);
}

describe('mostSpecific', () => {
  it('a mapping with a bad key: the mapping branch speaks, not "must be string"', () => {
    expect(picked({ build: { context: '.', dockerfil: 'x' } })).toEqual(['/build additionalProperties']);
  });

  it('a bad nested value: the deepest error', () => {
    expect(picked({ build: { args: 'A=1' } })).toEqual(['/build/args type']);
  });

  it('neither branch matches the type: one merged error', () => {
    validate({ build: 5 });
    const errors = mostSpecific(validate.errors ?? []);
    expect(errors).toHaveLength(1);
    expect(errors[0].keyword).toBe('alternatives');
    expect(errors[0].params).toEqual({ types: ['string', 'object'], values: [] });
  });
});
