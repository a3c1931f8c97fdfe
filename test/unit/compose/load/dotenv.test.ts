import { describe, expect, it } from 'vitest';
import { loadProjectEnvironment, parseDotenv } from '../../../../compose/load/dotenv.js';
import { memoryFs } from '../../../../compose/load/fs.js';
import { thrown } from './helpers.js';

const parse = (src: string, lookup: Record<string, string> = {}) => parseDotenv(src, { file: '.env', lookup: (k) => lookup[k] }).values;

describe('dotenv syntax', () => {
  it.each<[string, string, Record<string, string>]>([
    ['plain', 'A=1\nB=two words\n', { A: '1', B: 'two words' }],
    ['export prefix', 'export A=1\nexport  B=2', { A: '1', B: '2' }],
    ['comments and blank lines', '# head\n\nA=1\n  # indented\nB=2\n', { A: '1', B: '2' }],
    ['inline comment after an unquoted value', 'A=value # note\nB=value#not-a-comment', { A: 'value', B: 'value#not-a-comment' }],
    ['spaces around = and trailing spaces', 'A = spaced   \nB=\t tabbed', { A: 'spaced', B: 'tabbed' }],
    ['empty values', 'A=\nB=""\nC=\'\'', { A: '', B: '', C: '' }],
    ['single quotes are literal', "A='${X} \\n $Y # no comment'", { A: '${X} \\n $Y # no comment' }],
    ['double quotes expand escapes', 'A="line1\\nline2\\ttab \\\\ \\" done"', { A: 'line1\nline2\ttab \\ " done' }],
    ['double quotes keep a # and trailing comment goes', 'A="x # y" # comment', { A: 'x # y' }],
    ['multi-line double-quoted value', 'A="first\nsecond"\nB=after', { A: 'first\nsecond', B: 'after' }],
    ['multi-line single-quoted value', "A='first\nsecond'\nB=3", { A: 'first\nsecond', B: '3' }],
    ['escaped single quote inside single quotes', "A='it\\'s'", { A: "it's" }],
    ['interpolation of earlier keys, unquoted', 'A=hello\nB=${A}-world\nC=$A', { A: 'hello', B: 'hello-world', C: 'hello' }],
    ['interpolation in double quotes, not in single quotes', 'A=x\nB="${A}y"\nC=\'${A}y\'', { A: 'x', B: 'xy', C: '${A}y' }],
    ['defaults in values', 'B=${UNSET:-fallback}', { B: 'fallback' }],
    ['\\$ in double quotes is a literal dollar', 'A="cost \\$5 $$6"', { A: 'cost $5 $6' }],
    ['yaml-style colon separator', 'A: 1\nB:two', { A: '1', B: 'two' }],
    ['keys with dots, dashes and brackets', 'a.b-c[0]=1', { 'a.b-c[0]': '1' }],
    ['windows line endings', 'A=1\r\nB=2\r\n', { A: '1', B: '2' }],
    ['a byte-order mark is ignored', '\uFEFFA=1', { A: '1' }],
    ['later lines win', 'A=1\nA=2', { A: '2' }],
  ])('%s', (_name, src, expected) => {
    expect(parse(src)).toEqual(expected);
  });

  it('the environment wins over earlier keys when expanding', () => {
    expect(parse('A=file\nB=${A}', { A: 'os' })).toEqual({ A: 'file', B: 'os' });
  });

  it('a key alone inherits from the environment, or is left out', () => {
    expect(parse('FROM_OS\nMISSING\nC=3', { FROM_OS: 'yes' })).toEqual({ FROM_OS: 'yes', C: '3' });
  });

  it('reports unset variables it expanded', () => {
    expect(parseDotenv('A=${NOPE}', { file: '.env' }).unset).toEqual(['NOPE']);
  });

  it.each([
    ['A B=1', '.env:1: key "A B" cannot contain a space'],
    ['OK=1\nA%B=1', '.env:2: unexpected character "%" in variable name "A%B=1"'],
    ['A=1\n\nB="open\nstill open', '.env:3: unterminated quoted value "open'],
    ["A='x' trailing", '.env:1: unexpected text "trailing" after the quoted value of A'],
    ['A=${B:?B is required}', '.env:1: required variable B is missing a value: B is required'],
  ])('rejects %j', (src, message) => {
    expect(thrown(() => parse(src)).message).toBe(message);
  });
});

describe('loadProjectEnvironment', () => {
  const fs = memoryFs({
    '/p/.env': 'A=dotenv\nB=dotenv\nCOMPOSE_FILE=x.yaml',
    '/p/prod.env': 'B=prod\nC=${B}-c',
    '/p/extra.env': 'C=extra',
  });

  it('reads .env in the directory and lets the OS environment win', () => {
    const env = loadProjectEnvironment({ directory: '/p', workingDir: '/p', osEnvironment: { A: 'os', UNDEF: undefined } }, fs);
    expect(env.environment).toEqual({ A: 'os', B: 'dotenv', COMPOSE_FILE: 'x.yaml' });
    expect(env.files).toEqual(['/p/.env']);
  });

  it('--env-file replaces .env; later files win and see earlier values', () => {
    const env = loadProjectEnvironment({ directory: '/p', envFiles: ['prod.env', 'extra.env'], workingDir: '/p', osEnvironment: {} }, fs);
    expect(env.environment).toEqual({ B: 'prod', C: 'extra' });
  });

  it('an env file refers to earlier files', () => {
    const env = loadProjectEnvironment({ directory: '/p', envFiles: ['prod.env'], workingDir: '/p', osEnvironment: {} }, fs);
    expect(env.environment['C']).toBe('prod-c');
  });

  it('COMPOSE_DISABLE_ENV_FILE skips .env', () => {
    const env = loadProjectEnvironment({ directory: '/p', workingDir: '/p', osEnvironment: { COMPOSE_DISABLE_ENV_FILE: 'true' } }, fs);
    expect(env.environment).toEqual({ COMPOSE_DISABLE_ENV_FILE: 'true' });
  });

  it('no .env is fine', () => {
    expect(loadProjectEnvironment({ directory: '/none', workingDir: '/none', osEnvironment: {} }, fs).environment).toEqual({});
  });

  it('a missing --env-file is an error', () => {
    expect(() => loadProjectEnvironment({ directory: '/p', envFiles: ['nope.env'], workingDir: '/p', osEnvironment: {} }, fs)).toThrow(
      "couldn't find env file: /p/nope.env",
    );
  });
});
