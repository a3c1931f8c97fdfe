// .dockerignore matching, fixture first: patterns and the paths they leave
// out or keep, by Docker's rules (last match wins, folders match their
// contents, `**` crosses folders, `!` re-includes).

import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tarStream from 'tar-stream';
import { describe, expect, test } from 'vitest';
import { isIgnored, parseDockerignore } from '../../../runtime/client/dockerignore.js';
import { packBuildContext } from '../../../runtime/client/build-context.js';

const cases: Array<[string, string, Record<string, boolean>]> = [
  ['plain names match at the top and everything inside', 'node_modules\n', { node_modules: true, 'node_modules/x/y.js': true, 'src/node_modules': false }],
  ['* stays in one segment', '*.log\n', { 'a.log': true, 'logs/a.log': false, 'a.log/inner': true }],
  ['** crosses segments', '**/*.log\n', { 'a.log': true, 'logs/deep/a.log': true, 'a.txt': false }],
  ['last match wins; ! re-includes', '*.md\n!README.md\n', { 'CHANGES.md': true, 'README.md': false }],
  ['a later pattern excludes again', '*.md\n!README*.md\nREADME-secret.md\n', { 'README.md': false, 'README-secret.md': true }],
  ['leading slash and ./ are the context root', '/build\n./dist/\n', { build: true, 'build/a': true, 'dist/x': true, 'src/build': false }],
  ['comments and blank lines', '# comment\n\n   tmp   \n', { tmp: true, '# comment': false }],
  ['? and classes', 'file?.txt\n[ab].c\n', { 'file1.txt': true, 'file10.txt': false, 'a.c': true, 'c.c': false }],
  ['escaped characters are literal', '\\*.txt\n', { '*.txt': true, 'a.txt': false }],
  ['a folder re-included under an ignored one', 'docs\n!docs/keep\n', { 'docs/a': true, 'docs/keep': false, 'docs/keep/x': false }],
  ['. ignores everything', '.\n!Dockerfile\n', { src: true, Dockerfile: false }],
];

describe('.dockerignore', () => {
  test.each(cases)('%s', (_name, text, want) => {
    const patterns = parseDockerignore(text);
    const got = Object.fromEntries(Object.keys(want).map((p) => [p, isIgnored(patterns, p)]));
    expect(got).toEqual(want);
  });

  test('a bad pattern is an error naming it', () => {
    expect(() => parseDockerignore('[abc\n')).toThrow('.dockerignore: bad pattern "[abc": unclosed [');
    expect(() => parseDockerignore('x\\\n')).toThrow('.dockerignore: bad pattern "x\\": it ends with an escape');
  });
});

async function entries(tar: NodeJS.ReadableStream): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const ex = tarStream.extract();
  ex.on('entry', (h, stream, next) => {
    out[h.name] = h.type === 'symlink' ? `-> ${h.linkname}` : `${h.type} ${h.uid}:${h.gid}`;
    stream.resume();
    stream.on('end', next);
  });
  const done = new Promise<void>((res, rej) => { ex.on('finish', () => res()); ex.on('error', rej); });
  tar.pipe(ex as unknown as NodeJS.WritableStream);
  await done;
  return out;
}

describe('packBuildContext', () => {
  test('leaves out what .dockerignore says, keeps the Dockerfile and .dockerignore, links as links', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsct-ctx-'));
    try {
      mkdirSync(join(dir, 'src'));
      mkdirSync(join(dir, 'node_modules', 'x'), { recursive: true });
      writeFileSync(join(dir, 'src', 'a.js'), 'a');
      writeFileSync(join(dir, 'node_modules', 'x', 'i.js'), 'i');
      writeFileSync(join(dir, 'secret.key'), 'k');
      writeFileSync(join(dir, 'Dockerfile'), 'FROM a\n');
      writeFileSync(join(dir, '.dockerignore'), 'node_modules\n*.key\nDockerfile\n.dockerignore\n');
      symlinkSync('src/a.js', join(dir, 'link'));
      const packed = packBuildContext(dir);
      expect(packed.dockerfile).toBe('Dockerfile');
      expect(await entries(packed.tar)).toEqual({
        '.dockerignore': 'file 0:0', Dockerfile: 'file 0:0', link: '-> src/a.js', src: 'directory 0:0', 'src/a.js': 'file 0:0',
      });
      expect(await packed.done).toBe('a'.length + 'FROM a\n'.length + 'node_modules\n*.key\nDockerfile\n.dockerignore\n'.length);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('an inline Dockerfile travels in the tar under a generated name', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsct-ctx-'));
    try {
      const packed = packBuildContext(dir, { dockerfileInline: 'FROM scratch\n' });
      expect(packed.dockerfile).toMatch(/^\.dockerfile\.[0-9a-f]{12}$/);
      expect(Object.keys(await entries(packed.tar))).toEqual([packed.dockerfile]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a missing Dockerfile is an error naming it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsct-ctx-'));
    try {
      expect(() => packBuildContext(dir)).toThrow(`Dockerfile ${join(dir, 'Dockerfile')} does not exist (set build.dockerfile, or add one to ${dir})`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
