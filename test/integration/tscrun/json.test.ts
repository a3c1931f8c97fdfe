// native/src/json.c, the parser every config.json and state file goes through:
// valid documents must round-trip to what JSON.parse sees, invalid ones must
// be refused with file:line:col, and nothing may read out of bounds (the
// driver is built with ASan+UBSan).
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runCleanups } from '../../helpers/cleanup.js';
import { requireEnv } from '../../helpers/require-root.js';
import { tempDir } from '../../helpers/tmp.js';
import { buildDriver, removeDrivers } from './native-drivers.js';

const gate = requireEnv({ binaries: ['cc'] }, 'json parser tests');

let bin = '';
let n = 0;

function check(text: string | Buffer, ...args: string[]): { code: number | null; out: string } {
  return run(text, [], args);
}

function run(text: string | Buffer, flags: string[], args: string[]): { code: number | null; out: string } {
  const dir = tempDir('json');
  const file = path.join(dir, `doc${n++}.json`);
  writeFileSync(file, text);
  const r = spawnSync(bin, [...flags, file, ...args], { encoding: 'utf8' });
  if (r.stderr) throw new Error(`json-check wrote to stderr (sanitizer?): ${r.stderr}`);
  return { code: r.status, out: r.stdout.trim().replace(file, 'DOC') };
}

describe.skipIf(gate.skip)('json parser', () => {
  beforeAll(() => {
    bin = buildDriver('json-check');
  });
  afterEach(runCleanups);
  afterAll(removeDrivers);

  it('round-trips valid documents like JSON.parse', () => {
    const docs = [
      '{}', '[]', 'null', 'true', '0', '"x"', '[1,2,3]',
      '{"a":{"b":[true,false,null,"s"]},"c":-12345678901}',
      ' \n\t{ "k" : [ ] , "k2" : { } }\r\n',
      '"\\"\\\\\\/\\b\\f\\n\\r\\t"',
      '"caf\\u00e9 \\u4e2d \\ud83d\\ude00 é 中 😀"',
      '{"ociVersion":"1.0.2","process":{"args":["sh","-c","echo \\"hi\\""],"env":["A=b=c"]}}',
    ];
    for (const d of docs) {
      const r = check(d);
      expect(r.code, d).toBe(0);
      expect(JSON.parse(r.out), d).toEqual(JSON.parse(d));
    }
  });

  it('keeps integers exact up to 64 bits, doubles as doubles', () => {
    expect(check('[9223372036854775807,-9223372036854775808,4294967295,1e3,2.5,-0.125,1E-2]').out).toBe(
      '[9223372036854775807,-9223372036854775808,4294967295,1000,2.5,-0.125,0.01]',
    );
    // json_int: integral values exactly, uint64 above INT64_MAX as the bit pattern, fractions → default
    const r = run('{"a":9223372036854775807,"b":18446744073709551615,"c":1.5,"d":"7","e":1e2}', ['-i'], ['a', 'b', 'c', 'd', 'e', 'zz']);
    expect(r.out.split('\n')).toEqual(['9223372036854775807', '-1', '-4242', '-4242', '100', '-4242']);
  });

  it('looks up dotted paths, with array indexes, last duplicate key winning like Go', () => {
    const doc = '{"linux":{"namespaces":[{"type":"pid"},{"type":"net","path":"/x"}],"resources":{"memory":{"limit":1024}}},"k":1,"k":2}';
    expect(check(doc, 'linux.namespaces.1.path', 'linux.resources.memory.limit', 'linux.namespaces.2', 'k', 'linux.nope.x', 'linux.namespaces.-1').out.split('\n'))
      .toEqual(['"/x"', '1024', '<missing>', '2', '<missing>', '<missing>']);
  });

  it('refuses what RFC 8259 refuses, naming file:line:col', () => {
    const bad: Array<[string | Buffer, RegExp]> = [
      ['', /DOC:1:1: unexpected end of input/],
      ['{"a":1,}', /DOC:1:8: expected a string key, got '}'/],
      ['[1,2,]', /DOC:1:6: unexpected '\]', expected a value/],
      ['{\n  "a": 1\n  "b": 2\n}', /DOC:3:3: expected ',' or '}' in object, got '"'/],
      ['[01]', /leading zero/],
      ['[1.]', /digit expected after '\.'/],
      ['[1e]', /digit expected in exponent/],
      ['[-]', /expected a digit/],
      ['[NaN]', /unexpected 'N'/],
      ['[tru]', /unexpected 't'/],
      ['{"a":1} x', /DOC:1:9: unexpected 'x' after the value/],
      ['"abc', /unterminated string/],
      ['"a\tb"', /control character 0x09 in string/],
      ['"\\x"', /bad escape '\\x'/],
      ['"\\u12"', /bad \\u escape/],
      ['"\\ud800"', /high surrogate \\uD800 without a low surrogate/],
      ['"\\udc00"', /lone low surrogate/],
      ['"\\u0000"', /\\u0000 is not allowed/],
      [Buffer.from([0x22, 0xc3, 0x28, 0x22]), /invalid UTF-8/],
      [Buffer.from([0x22, 0xe0, 0x80, 0xaf, 0x22]), /invalid UTF-8/], // overlong
      [Buffer.from([0x22, 0xed, 0xa0, 0x80, 0x22]), /invalid UTF-8/], // encoded surrogate
      [Buffer.from([0xef, 0xbb, 0xbf, 0x7b, 0x7d]), /DOC:1:1: unexpected byte 0xef/], // BOM
      ['// c\n{}', /unexpected '\/'/],
      ['[1e999]', /number out of range/],
      ['['.repeat(600) + ']'.repeat(600), /nesting deeper than 512/],
    ];
    for (const [text, re] of bad) {
      const r = check(text);
      expect(r.code, String(text)).toBe(1);
      expect(r.out, String(text)).toMatch(re);
    }
  });

  it('counts columns in characters, not bytes', () => {
    expect(check('["é€😀" x]').out).toMatch(/DOC:1:8: expected ',' or '\]'/);
  });

  it('reports a missing file with the path and errno text', () => {
    const r = spawnSync(bin, ['/nonexistent-tsct/config.json'], { encoding: 'utf8' });
    expect(r.stdout.trim()).toBe('error: open `/nonexistent-tsct/config.json`: No such file or directory');
  });

  it('parses a large document quickly and without leaks', () => {
    const big = { items: Array.from({ length: 50_000 }, (_, i) => ({ i, s: `v${i}\u00e9`, f: i / 4, a: [i, null, true] })) };
    const text = JSON.stringify(big);
    const t0 = Date.now();
    const r = check(text, 'items.49999.s', 'items.123.f');
    expect(r.code).toBe(0);
    expect(r.out.split('\n')).toEqual(['"v49999é"', '30.75']);
    expect(Date.now() - t0).toBeLessThan(5000);
  });
});
