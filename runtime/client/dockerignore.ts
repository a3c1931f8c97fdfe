// .dockerignore: which paths of a build context are left out, by Docker's
// rules (moby/patternmatcher): one pattern a line, `#` comments, blank
// lines ignored, surrounding spaces trimmed, a leading `/` dropped (paths
// are relative to the context), `!` re-includes, the LAST matching pattern
// decides. `*` and `?` stay within one path segment, `**` crosses any
// number of them, `[a-z]` classes and `\` escapes as in Go's
// filepath.Match. A pattern that matches a folder matches everything in it.
// Shared by the client (what goes into the context tar) and the engine's
// builder (what COPY sees).

import { posix } from 'node:path';

export interface IgnorePattern {
  /** The pattern as cleaned (`./a//b/` → `a/b`). */
  pattern: string;
  exclusion: boolean;
  regexp: RegExp;
}

export class DockerignoreError extends Error {}

/** The patterns of a .dockerignore file's text. */
export function parseDockerignore(text: string): IgnorePattern[] {
  const out: IgnorePattern[] = [];
  for (const rawLine of text.split(/\r?\n/)) {
    let line = rawLine.trim();
    if (line === '' || line.startsWith('#')) continue;
    let exclusion = false;
    if (line.startsWith('!')) {
      exclusion = true;
      line = line.slice(1).trim();
    }
    // Cleaned like filepath.Clean, then made relative to the context root.
    let pattern = posix.normalize(line);
    if (pattern.startsWith('/')) pattern = pattern.replace(/^\/+/, '');
    if (pattern === '' || pattern === '.') pattern = '.';
    if (pattern.endsWith('/') && pattern.length > 1) pattern = pattern.slice(0, -1);
    out.push({ pattern, exclusion, regexp: patternRegExp(pattern, rawLine) });
  }
  return out;
}

function patternRegExp(pattern: string, line: string): RegExp {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === '*') {
      if (pattern[i + 1] === '*') {
        i++;
        // `**/` also matches no folder at all: `**/x` matches `x`.
        if (pattern[i + 1] === '/') { i++; re += '(?:.*/)?'; }
        else re += '.*';
      } else re += '[^/]*';
    } else if (ch === '?') re += '[^/]';
    else if (ch === '\\') {
      if (i + 1 >= pattern.length) throw new DockerignoreError(`.dockerignore: bad pattern "${line.trim()}": it ends with an escape`);
      re += escapeRe(pattern[++i]);
    } else if (ch === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) throw new DockerignoreError(`.dockerignore: bad pattern "${line.trim()}": unclosed [`);
      let cls = pattern.slice(i + 1, end);
      if (cls.startsWith('^') || cls.startsWith('!')) cls = '^' + cls.slice(1);
      re += `[${cls.replace(/\\/g, '\\\\').replace(/\//g, '')}]`;
      i = end;
    } else re += escapeRe(ch);
  }
  return new RegExp(re + '$');
}

function escapeRe(ch: string): string {
  return /[.+*?^${}()|[\]\\/]/.test(ch) ? `\\${ch}` : ch;
}

/**
 * Whether `path` (relative to the context, `/`-separated) is left out: the
 * last pattern matching it or one of its parent folders decides.
 */
export function isIgnored(patterns: readonly IgnorePattern[], path: string): boolean {
  const clean = posix.normalize(path).replace(/^\.?\/+/, '');
  if (clean === '' || clean === '.') return false;
  const parents: string[] = [];
  const parts = clean.split('/');
  for (let i = 1; i < parts.length; i++) parents.push(parts.slice(0, i).join('/'));
  let ignored = false;
  for (const p of patterns) {
    if (p.exclusion === !ignored) continue;
    const hit = p.pattern === '.' || p.regexp.test(clean) || parents.some((d) => p.regexp.test(d));
    if (hit) ignored = !p.exclusion;
  }
  return ignored;
}

/** Whether any `!` pattern could re-include something under `dir`: then an ignored folder must still be walked. */
export function mayReinclude(patterns: readonly IgnorePattern[], dir: string): boolean {
  return patterns.some((p) => p.exclusion && (p.pattern.startsWith(`${dir}/`) || p.pattern.includes('*') || p.pattern.includes('?') || p.pattern.includes('[')));
}
