// Templates and results from compose-go's template tests, so interpolation
// reads the same here as under docker compose.

import { describe, expect, it } from 'vitest';
import { substitute } from '../../../../compose/load/template.js';

const env: Record<string, string> = { FOO: 'first', BAR: '', JSON: '{"json":2}' };
const sub = (t: string) => substitute(t, (k) => env[k]).value;

describe('substitute: compose-go compatibility', () => {
  it.each([
    ['-ok ${BAR:-defaultValue}', '-ok defaultValue'],
    ['+ok ${UNSET:-${BAR-defaultValue}}', '+ok '],
    ['-ok ${FOO:-defaultValue}', '-ok first'],
    [':-ok ${UNSET-defaultValue}', ':-ok defaultValue'],
    [':-ok ${BAR-defaultValue}', ':-ok '],
    [':+ok ${BAR:-defaultValue}', ':+ok defaultValue'],
    ['ok ${UNSET_VAR-$FOO}', 'ok first'],
    ['ok ${UNSET_VAR-${FOO} ${FOO}}', 'ok first first'],
    ['ok ${BAR:-$FOO}', 'ok first'],
    ['ok ${BAR+$FOO ${FOO:+second}}', 'ok first second'],
    ['ok ${FOO:?err}', 'ok first'],
    ['ok ${BAR?err}', 'ok '],
    ['${UNSET_VAR-myerror?msg}', 'myerror?msg'],
    ['${FOO?bar-baz}', 'first'],
    ['ok ${missing:-{"json":1}}', 'ok {"json":1}'],
    ['ok ${missing-{"json":1}}', 'ok {"json":1}'],
    ['ok ${JSON:-{"json":1}}', 'ok {"json":2}'],
    ['${UNSET-va:-lu:?e}', 'va:-lu:?e'],
    ['${FOO:+va:?lu:-e}', 'va:?lu:-e'],
    ['${FOO+va?lu-e}', 'va?lu-e'],
  ])('%s', (template, expected) => {
    expect(sub(template)).toBe(expected);
  });

  it.each([
    ['not ok ${UNSET_VAR:?Mandatory Variable Unset}', 'required variable UNSET_VAR is missing a value: Mandatory Variable Unset'],
    ['not ok ${BAR:?Mandatory Variable Empty}', 'required variable BAR is missing a value: Mandatory Variable Empty'],
    ['not ok ${UNSET_VAR:?}', 'required variable UNSET_VAR is missing a value'],
    ['not ok ${UNSET_VAR?Mandatory Variable ${FOO}}', 'required variable UNSET_VAR is missing a value: Mandatory Variable first'],
    ['${VARNAME?val:?ue}', 'required variable VARNAME is missing a value: val:?ue'],
  ])('%s fails', (template, message) => {
    expect(() => sub(template)).toThrow(message);
  });
});
