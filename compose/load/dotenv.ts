// `.env` files with the syntax of compose-go's dotenv: `export`, comments,
// inline ` #` comments after unquoted values, single quotes (literal), double
// quotes (escapes + interpolation, may span lines), `KEY` alone inherits from
// the environment, and `${VAR}` forms referring to the environment or to keys
// defined earlier.

import { isAbsolute, join, resolve } from 'node:path';
import { ComposeFileError, ProjectError } from '../errors.js';
import { readTextFile, type LoaderFs } from './fs.js';
import { InvalidTemplateError, MissingVariableError, substitute, type Lookup } from './template.js';

export interface DotenvParseOptions {
  /** Shown in errors. */
  readonly file: string;
  /** Directory errors show `file` relative to. */
  readonly baseDir?: string;
  /** Consulted before earlier keys when a value refers to a variable (the OS environment). */
  readonly lookup?: Lookup;
  /** Values already read from earlier env files; later lines may refer to them. */
  readonly earlier?: Readonly<Record<string, string>>;
}

export interface DotenvResult {
  readonly values: Record<string, string>;
  /** Variables referred to while unset. */
  readonly unset: readonly string[];
}

const EXPORT = /^export[ \t]+/;
const KEY_PUNCTUATION = new Set(['_', '.', '-', '[', ']']);
const ESCAPE = /\\(?:[abfnrtv$"\\]|0[0-7]{0,3})/g;
const ESCAPES: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '"': '"', '\\': '\\' };

/** Spaces that do not end a line. */
function isBlank(c: string): boolean {
  return c === ' ' || c === '\t' || c === '\r' || c === '\v' || c === '\f' || c === '\u0085' || c === '\u00a0';
}

function isKeyChar(c: string): boolean {
  return KEY_PUNCTUATION.has(c) || /[\p{L}\p{N}]/u.test(c);
}

export function parseDotenv(source: string, options: DotenvParseOptions): DotenvResult {
  const src = source.startsWith('\uFEFF') ? source.slice(1) : source;
  const values: Record<string, string> = {};
  const unset: string[] = [];
  const fail = (line: number, detail: string): never => {
    throw new ComposeFileError(detail, { file: options.file, line, baseDir: options.baseDir });
  };
  const lookup: Lookup = (name) => options.lookup?.(name) ?? values[name] ?? options.earlier?.[name];
  const expand = (value: string, line: number): string => {
    try {
      const result = substitute(value, lookup);
      unset.push(...result.unset);
      return result.value;
    } catch (err) {
      if (err instanceof MissingVariableError || err instanceof InvalidTemplateError) fail(line, err.message);
      throw err;
    }
  };

  let pos = 0;
  let line = 1;
  const restOfLine = (from: number) => {
    const end = src.indexOf('\n', from);
    return src.slice(from, end < 0 ? src.length : end);
  };

  for (;;) {
    // Skip blank lines and comment lines.
    while (pos < src.length) {
      const c = src[pos]!;
      if (c === '\n') line++;
      else if (c === '#') {
        const end = src.indexOf('\n', pos);
        pos = end < 0 ? src.length : end;
        continue;
      } else if (!isBlank(c)) break;
      pos++;
    }
    if (pos >= src.length) break;

    const statementLine = line;
    const exported = EXPORT.exec(src.slice(pos, pos + 64));
    if (exported) pos += exported[0].length;

    // The key runs up to `=`, `:` (yaml style) or the end of the line (inherited).
    let end = pos;
    let delimiter = '';
    for (; end < src.length; end++) {
      const c = src[end]!;
      if (c === '=' || c === ':' || c === '\n') {
        delimiter = c;
        break;
      }
      if (isBlank(c)) continue;
      if (!isKeyChar(c)) fail(statementLine, `unexpected character ${JSON.stringify(c)} in variable name ${JSON.stringify(restOfLine(pos))}`);
    }
    const key = src.slice(pos, end).replace(/\s+$/u, '');
    if (/\s/u.test(key)) fail(statementLine, `key ${JSON.stringify(key)} cannot contain a space`);
    if (delimiter === '\n' || delimiter === '') {
      const inherited = options.lookup?.(key);
      if (inherited !== undefined) values[key] = inherited;
      pos = end;
      continue;
    }
    pos = end + 1;
    while (pos < src.length && isBlank(src[pos]!)) pos++;

    const quote = src[pos];
    if (quote === '"' || quote === "'") {
      let raw = '';
      let escaped = false;
      let closed = -1;
      for (let i = pos + 1; i < src.length; i++) {
        const c = src[i]!;
        if (c === '\n') line++;
        if (c !== quote) {
          if (!escaped && c === '\\') {
            escaped = true;
            continue;
          }
          if (escaped) raw += '\\';
          escaped = false;
          raw += c;
          continue;
        }
        if (escaped) {
          // An escaped quote of the kind that opened the value stays in it.
          escaped = false;
          raw += c;
          continue;
        }
        closed = i;
        break;
      }
      if (closed < 0) fail(statementLine, `unterminated quoted value ${restOfLine(pos)}`);
      values[key] = quote === '"' ? expand(expandEscapes(raw), statementLine) : raw;
      pos = closed + 1;
      // Only blanks or a comment may follow the closing quote.
      while (pos < src.length && isBlank(src[pos]!)) pos++;
      if (pos < src.length && src[pos] !== '\n' && src[pos] !== '#') {
        fail(line, `unexpected text ${JSON.stringify(restOfLine(pos))} after the quoted value of ${key}`);
      }
      continue;
    }

    const newline = src.indexOf('\n', pos);
    let value = src.slice(pos, newline < 0 ? src.length : newline);
    pos = newline < 0 ? src.length : newline;
    const comment = value.indexOf(' #');
    if (comment >= 0) value = value.slice(0, comment);
    values[key] = expand(value.replace(/\s+$/u, ''), statementLine);
  }
  return { values, unset };
}

function expandEscapes(value: string): string {
  return value.replace(ESCAPE, (match) => {
    const c = match[1]!;
    // `\$` must survive interpolation as a literal dollar, which `$$` is.
    if (c === '$') return '$$';
    if (c === '0') return match.length > 2 ? String.fromCharCode(parseInt(match.slice(2), 8)) : match;
    return ESCAPES[c] ?? match;
  });
}

export interface ProjectEnvironmentOptions {
  /** Where the default `.env` lives (the project directory). */
  readonly directory: string;
  /** `--env-file` values; when given, the default `.env` is not read. Relative to `workingDir`. */
  readonly envFiles?: readonly string[];
  readonly workingDir: string;
  /** The OS environment; it wins over every env file. */
  readonly osEnvironment: Readonly<Record<string, string | undefined>>;
  /** Directory error messages show paths relative to. */
  readonly baseDir?: string;
}

export interface ProjectEnvironment {
  /** Env files merged, then the OS environment on top. */
  readonly environment: Record<string, string>;
  /** The env files actually read, absolute. */
  readonly files: readonly string[];
  readonly unset: readonly string[];
}

/** Reads `.env` (or the `--env-file`s, later ones winning) and lays the OS environment over it. */
export function loadProjectEnvironment(options: ProjectEnvironmentOptions, fs: LoaderFs): ProjectEnvironment {
  const osEnv = definedOnly(options.osEnvironment);
  let files: string[];
  if (options.envFiles && options.envFiles.length > 0) {
    files = options.envFiles.map((f) => (isAbsolute(f) ? f : resolve(options.workingDir, f)));
    for (const file of files) {
      const kind = fs.kind(file);
      if (kind === undefined) throw new ProjectError(`couldn't find env file: ${file}`);
      if (kind === 'dir') throw new ProjectError(`env file ${file} is a directory, not a file`);
    }
  } else {
    const disabled = /^(1|true|t|yes)$/i.test(osEnv['COMPOSE_DISABLE_ENV_FILE'] ?? '');
    const dotenv = join(options.directory, '.env');
    files = !disabled && fs.kind(dotenv) === 'file' ? [dotenv] : [];
  }
  const fromFiles: Record<string, string> = {};
  const unset: string[] = [];
  for (const file of files) {
    const parsed = parseDotenv(readTextFile(fs, file, options.baseDir), {
      file,
      baseDir: options.baseDir,
      lookup: (name) => osEnv[name],
      earlier: fromFiles,
    });
    Object.assign(fromFiles, parsed.values);
    unset.push(...parsed.unset);
  }
  return { environment: { ...fromFiles, ...osEnv }, files, unset };
}

export function definedOnly(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
}
