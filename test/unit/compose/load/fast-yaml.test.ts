// The fast reader must read every file it accepts exactly as the yaml
// library path does: the same data, key order and positions for every path.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateProject } from '../../../../bench/config.js';
import { parseFastYaml } from '../../../../compose/load/fast-yaml.js';
import { parseComposeYaml, type ParsedDocument } from '../../../../compose/load/parse.js';

function view(doc: ParsedDocument) {
  const paths: (string | number)[][] = [];
  const walk = (v: unknown, at: (string | number)[]) => {
    paths.push(at);
    if (v && typeof v === 'object') for (const [k, c] of Object.entries(v)) walk(c, [...at, Array.isArray(v) ? Number(k) : k]);
  };
  walk(doc.data, []);
  return { data: doc.data, keys: JSON.stringify(doc.data), positions: paths.map((p) => [p, doc.locate(p), doc.locateValue(p)]) };
}

/** Parses both ways; returns whether the fast reader took the file. */
function same(source: string): boolean {
  const slow = (() => {
    try {
      return { docs: parseComposeYaml(source, 'c.yaml', { fastPath: false }) };
    } catch (err) {
      return { error: String(err) };
    }
  })();
  const fast = parseFastYaml(source) !== undefined;
  if (!fast) return false;
  expect(slow).toHaveProperty('docs');
  const docs = (slow as { docs: ParsedDocument[] }).docs;
  expect(docs).toHaveLength(1);
  expect(view(parseComposeYaml(source, 'c.yaml')[0]!)).toEqual(view(docs[0]!));
  return true;
}

const TAKEN = [
  'services:\n  web:\n    image: nginx\n',
  '# lead\nservices: # c\n  web:\n    image: "nginx:1"   # c\n    command: [sh, "-c", \'echo \'\'hi\'\'\']\n    ports:\n    - 80:80\n    - "443:443"\n',
  'x-a: &a\n  environment:\n    A: 1\n    B: ~\n  labels: {}\nservices:\n  one:\n    <<: *a\n    image: x\n  two:\n    image: y\n    environment: *a\n',
  'services:\n  a:\n    image: x\n    environment:\n      EMPTY:\n      T: true\n      F: False\n      N: null\n      NUM: 10\n      S: 10s\n      V: 1.2.3\n      H: a#b\n',
  'services:\n  a:\n    image: x\n    healthcheck:\n      test: ["CMD", "true"]\n      interval: 10s\n    depends_on:\n      - b\n  b:\n    image: y\nvolumes:\n  v: {}\n  w:\n',
  'services:\n  a:\n    image: x\n    volumes:\n      - type: bind\n        source: ./a\n        target: /a\n      - ./b:/b:ro\n    "quoted key": 1\n    \'single\': 2\n',
  'a: 0\nb: 12345\n__proto__: 1\nc: http://x:80/y\n',
  'a:\n- x\n- y: 1\n  z:\n  - w\nb: .5s\nc: _x\nd: +\n8080: p\ne: [a b , \'c\']  # c\n',
  'x: &m\n  k: 1\ny:\n  <<: *m\n  k: 2\n  "<<": 3\n',
];
const LEFT = [
  '',
  '# only a comment\n',
  'a: 1',
  'a:\tb\n',
  'a: |\n  text\n',
  'a: >\n  text\n',
  'a: !reset []\n',
  'a: 1\na: 2\n',
  'a: b: c\n',
  '- a\n',
  '---\na: 1\n',
  'a: "x\\ny"\n',
  'a: 0440\n',
  'a: 1_000\n',
  'a: 1.5\n',
  'a: -1\n',
  'a: 0x1f\n',
  'a: .inf\n',
  'a: "multi\n  line"\n',
  'a: plain\n  continued\n',
  'a: *missing\n',
  'a: &x 1\nb: &x 2\n',
  'a: [1,\n  2]\n',
  'a: {b: 1}\n',
  'a:   # comment\nb: 1\n',
  'true: 1\n',
  '1.0: 1\n',
  'a:\n    b: 1\n  c: 2\n',
  'a:\r\n  b: 1\r\n',
  'a: &x # comment\n  b: 1\n',
  'a: &x\n- 1\n',
  '- &x a\n',
  'a: -1\n',
  'a: "x"#c\n',
];

describe('fast yaml reader', () => {
  it.each(TAKEN)('reads %j like the yaml library', (source) => {
    expect(same(source)).toBe(true);
  });

  it.each(LEFT)('leaves %j to the yaml library', (source) => {
    expect(parseFastYaml(source)).toBeUndefined();
  });

  it('reads the 1,000-service benchmark project like the yaml library', () => {
    expect(same(generateProject(1000).compose)).toBe(true);
  });

  const corpus = '/work/shared/reference/awesome-compose';
  it.runIf(existsSync(corpus))('reads the awesome-compose files it takes like the yaml library', () => {
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const full = path.join(dir, name);
        if (statSync(full).isDirectory()) walk(full);
        else if (/\.ya?ml$/.test(name)) files.push(full);
      }
    };
    walk(corpus);
    let taken = 0;
    for (const file of files) if (same(readFileSync(file, 'utf8'))) taken++;
    expect(taken).toBeGreaterThan(0);
  });
});
