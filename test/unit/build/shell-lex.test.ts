// Variable substitution in Dockerfile arguments (ENV, COPY, WORKDIR, ...).

import { describe, expect, test } from 'vitest';
import { expandWord, expandWords, splitRawWords } from '../../../runtime/build/shell-lex.js';

const env: Record<string, string> = { HOME: '/root', EMPTY: '', NAME: 'app', SPACED: 'a b' };
const lookup = (n: string) => env[n];

describe('expandWord', () => {
  test.each([
    ['$HOME/x', '/root/x'],
    ['${HOME}x', '/rootx'],
    ['${MISSING:-dflt}', 'dflt'],
    ['${EMPTY:-dflt}', 'dflt'],
    ['${EMPTY-dflt}', ''],
    ['${NAME:+set}', 'set'],
    ['${MISSING:+set}', ''],
    ["'$HOME'", '$HOME'],
    ['"$HOME and \\$HOME"', '/root and $HOME'],
    ['\\$HOME', '$HOME'],
    ['a\\ b', 'a b'],
    ['$', '$'],
    ['${NAME:-${HOME}}', 'app'],
    ['${MISSING:-$HOME/d}', '/root/d'],
  ])('%s → %s', (text, want) => {
    expect(expandWord(text, lookup)).toBe(want);
  });

  test('the backtick escape', () => {
    expect(expandWord('c:\\dir `$HOME', lookup, '`')).toBe('c:\\dir $HOME');
  });

  test('errors', () => {
    expect(() => expandWord('${MISSING:?must be set}', lookup)).toThrow('MISSING: must be set');
    expect(() => expandWord('${HOME', lookup)).toThrow('missing } in substitution');
    expect(() => expandWord('"open', lookup)).toThrow('missing closing " quote');
    expect(() => expandWord('${HOME/x/y}', lookup)).toThrow('unsupported modifier (/) in substitution of HOME');
  });
});

describe('expandWords', () => {
  test('splits on unquoted whitespace, also inside expansions', () => {
    expect(expandWords('src/ "my dir/" $SPACED', lookup)).toEqual(['src/', 'my dir/', 'a', 'b']);
    expect(expandWords('"$SPACED"', lookup)).toEqual(['a b']);
  });
});

describe('splitRawWords', () => {
  test('keeps quotes for the key=value parser', () => {
    expect(splitRawWords('A=1 B="two words" C=\'x y\' D=e\\ f')).toEqual(['A=1', 'B="two words"', "C='x y'", 'D=e\\ f']);
  });
});
