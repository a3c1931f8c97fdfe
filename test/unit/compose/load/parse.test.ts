import { describe, expect, it } from 'vitest';
import { parseComposeYaml, TaggedValue } from '../../../../compose/load/parse.js';
import { thrown, yaml } from './helpers.js';

const parseOne = (src: string) => {
  const docs = parseComposeYaml(src, '/p/compose.yaml', { baseDir: '/p' });
  expect(docs).toHaveLength(1);
  return docs[0]!;
};

describe('parseComposeYaml', () => {
  it('returns plain data', () => {
    const doc = parseOne(yaml`
      services:
        web:
          image: nginx
          ports: ["80:80", 443]
          read_only: true
          cpus: 1.5
          command: null
    `);
    expect(doc.data).toEqual({ services: { web: { image: 'nginx', ports: ['80:80', 443], read_only: true, cpus: 1.5, command: null } } });
  });

  it('locates keys and values, 1-based', () => {
    const doc = parseOne(yaml`
      services:
        web:
          image: nginx
          ports:
            - "80:80"
    `);
    expect(doc.locate(['services', 'web', 'image'])).toEqual({ file: '/p/compose.yaml', line: 3, column: 5 });
    expect(doc.locateValue(['services', 'web', 'image'])).toEqual({ file: '/p/compose.yaml', line: 3, column: 12 });
    expect(doc.locate(['services', 'web', 'ports', 0])).toEqual({ file: '/p/compose.yaml', line: 5, column: 9 });
  });

  it('falls back to the nearest ancestor for a path that is not in the file', () => {
    const doc = parseOne('services:\n  web:\n    image: x\n');
    expect(doc.locate(['services', 'web', 'build', 'context'])).toEqual({ file: '/p/compose.yaml', line: 2, column: 3 });
  });

  it('resolves anchors, aliases and merge keys; explicit keys win over merged ones', () => {
    const doc = parseOne(yaml`
      x-base: &base
        image: busybox
        environment: { A: "1" }
      x-more: &more
        image: ignored
        restart: always
      services:
        a:
          <<: [*base, *more]
          image: alpine
        b: *base
    `);
    const services = doc.data['services'] as Record<string, unknown>;
    expect(services['a']).toEqual({ image: 'alpine', environment: { A: '1' }, restart: 'always' });
    expect(services['b']).toEqual({ image: 'busybox', environment: { A: '1' } });
  });

  it('keeps !reset and !override as markers', () => {
    const doc = parseOne('services:\n  web:\n    ports: !reset []\n    environment: !override\n      A: 1\n    image: !reset null\n');
    const web = (doc.data['services'] as Record<string, Record<string, unknown>>)['web']!;
    expect(web['ports']).toEqual(new TaggedValue('!reset', []));
    expect(web['environment']).toEqual(new TaggedValue('!override', { A: 1 }));
    expect(web['image']).toEqual(new TaggedValue('!reset', null));
  });

  it('reads every document of a multi-document file', () => {
    expect(parseComposeYaml('services: {a: {image: x}}\n---\nservices: {b: {image: y}}\n', 'c.yaml').map((d) => d.data)).toEqual([
      { services: { a: { image: 'x' } } },
      { services: { b: { image: 'y' } } },
    ]);
  });

  it('stringifies numeric keys', () => {
    expect(parseOne('services:\n  web:\n    sysctls:\n      1: 2\n').data).toEqual({ services: { web: { sysctls: { '1': 2 } } } });
  });

  it.each([
    ['', 'compose.yaml: empty compose file'],
    ['# only a comment\n', 'compose.yaml: empty compose file'],
    ['- a\n- b\n', 'compose.yaml:1:1: top-level object must be a mapping'],
    ['services:\n  web:\n    image: [unclosed\n', 'compose.yaml:4:1: Flow sequence in block collection must be sufficiently indented and end with a ]'],
    ['services:\n  web:\n    image: a\n    image: b\n', 'compose.yaml:4:5: mapping key "image" already defined at line 3'],
    ['services:\n  a: *nope\n', 'compose.yaml:2:6: unknown alias *nope: define the anchor &nope before using it'],
  ])('rejects %j', (src, message) => {
    expect(thrown(() => parseComposeYaml(src, '/p/compose.yaml', { baseDir: '/p' })).message).toBe(message);
  });

  it('reports every duplicate key at once', () => {
    const err = thrown(() => parseComposeYaml('a: 1\na: 2\nb: 1\nb: 2\n', '/p/compose.yaml', { baseDir: '/p' }));
    expect(err.message).toBe('compose.yaml:2:1: mapping key "a" already defined at line 1\ncompose.yaml:4:1: mapping key "b" already defined at line 3');
  });
});

describe('parseComposeYaml limits', () => {
  it('refuses an alias bomb instead of expanding it', () => {
    let src = 'x0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n';
    for (let i = 1; i < 9; i++) src += `x${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]\n`;
    expect(thrown(() => parseComposeYaml(src, '/p/compose.yaml', { baseDir: '/p' })).message).toMatch(
      /^compose\.yaml:\d+:\d+: the document expands to more than 500000 values through aliases; reduce the nesting of anchors$/,
    );
  });
});

describe('parseComposeYaml numbers like go-yaml', () => {
  it.each<[string, unknown]>([
    ['0440', 288],
    ['0777', 511],
    ['-010', -8],
    ['0b101', 5],
    ['1_000', 1000],
    ['0', 0],
    ['08', 8],
    ['"0440"', '0440'],
    ['0o17', 15],
    ['0x1F', 31],
    ['1.5', 1.5],
  ])('%s reads as %j', (text, value) => {
    expect(parseComposeYaml(`x-v: ${text}\n`, 'c.yaml')[0]!.data['x-v']).toBe(value);
  });
});
