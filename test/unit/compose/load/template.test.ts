import { describe, expect, it } from 'vitest';
import { substitute } from '../../../../compose/load/template.js';

const env: Record<string, string> = { FOO: 'foo', EMPTY: '', BAR: 'bar', lower_case: 'lc' };
const lookup = (name: string) => env[name];
const sub = (template: string) => substitute(template, lookup);

describe('substitute', () => {
  it.each([
    ['plain text', 'plain text'],
    ['$FOO', 'foo'],
    ['${FOO}', 'foo'],
    ['a-$FOO-b', 'a-foo-b'],
    ['${FOO}${BAR}', 'foobar'],
    ['$lower_case', 'lc'],
    ['$$FOO', '$FOO'],
    ['$${FOO}', '${FOO}'],
    ['cost: 5$', 'cost: 5$'],
    ['$1 and $ alone', '$1 and $ alone'],
    ['${UNSET:-default}', 'default'],
    ['${EMPTY:-default}', 'default'],
    ['${EMPTY-default}', ''],
    ['${UNSET-default}', 'default'],
    ['${FOO:-default}', 'foo'],
    ['${FOO:+alt}', 'alt'],
    ['${EMPTY:+alt}', ''],
    ['${EMPTY+alt}', 'alt'],
    ['${UNSET+alt}', ''],
    ['${UNSET:-${BAR:-x}}', 'bar'],
    ['${UNSET:-${ALSO_UNSET:-x}}', 'x'],
    ['${UNSET:-a ${FOO} b}', 'a foo b'],
    ['${UNSET:-with:colon-and-dash}', 'with:colon-and-dash'],
    ['${FOO?must be set}', 'foo'],
    ['${EMPTY?must be set}', ''],
  ])('%s → %s', (template, expected) => {
    expect(sub(template).value).toBe(expected);
  });

  it('reports unset variables once per use, and not when a default covers them', () => {
    expect(sub('$A ${B} ${C:-x} ${D-y} ${A}').unset).toEqual(['A', 'B', 'A']);
  });

  it.each([
    ['${UNSET:?set it in .env}', 'required variable UNSET is missing a value: set it in .env'],
    ['${EMPTY:?cannot be empty}', 'required variable EMPTY is missing a value: cannot be empty'],
    ['${UNSET?}', 'required variable UNSET is missing a value'],
    ['${UNSET:?need ${FOO}}', 'required variable UNSET is missing a value: need foo'],
  ])('%s fails with %s', (template, message) => {
    expect(() => sub(template)).toThrow(message);
  });

  it.each(['${FOO', '${FOO BAR}', '${}', '${1ABC}', '${FOO:x}'])('rejects %s as an invalid template', (template) => {
    expect(() => sub(template)).toThrow(`invalid interpolation format in ${JSON.stringify(template)}: you may need to escape any $ with another $`);
  });
});
