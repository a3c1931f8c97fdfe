// The Dockerfile parser: text → instructions, with the line each starts on.
// It follows Docker's reference: parser directives (`# syntax=`, `# escape=`)
// only at the very top, comments are whole lines starting with `#`, the
// escape character at the end of a line continues it (comment and empty
// lines inside a continuation are dropped), keywords are case-insensitive,
// `--flag=value` options come first, and CMD/ENTRYPOINT/RUN/SHELL/VOLUME/
// COPY/ADD take a JSON array ("exec form") or plain text ("shell form").
// Variables are substituted later, by the builder, with the state of the
// stage (shell-lex.ts). Heredocs (`RUN <<EOF`) need BuildKit and are refused.

import { DockerfileError } from './errors.js';

export type Keyword =
  | 'FROM' | 'ARG' | 'ENV' | 'LABEL' | 'WORKDIR' | 'USER' | 'EXPOSE' | 'VOLUME' | 'CMD' | 'ENTRYPOINT' | 'SHELL'
  | 'STOPSIGNAL' | 'HEALTHCHECK' | 'ONBUILD' | 'COPY' | 'ADD' | 'RUN' | 'MAINTAINER';

export interface Instruction {
  keyword: Keyword;
  /** The text after the keyword and its flags, continuation lines joined. */
  args: string;
  /** `--name=value` options (a bare `--name` is `'true'`). */
  flags: Record<string, string>;
  /** The exec form's strings, when the arguments are a JSON array. */
  json?: string[];
  /** 1-based line of the keyword. */
  line: number;
  /** The instruction as written, continuations joined: `RUN echo hi` (shown in `Step 2/5 : ...`). */
  original: string;
}

export interface Dockerfile {
  file: string;
  escape: string;
  syntax?: string;
  instructions: Instruction[];
}

const KEYWORDS = new Set<Keyword>([
  'FROM', 'ARG', 'ENV', 'LABEL', 'WORKDIR', 'USER', 'EXPOSE', 'VOLUME', 'CMD', 'ENTRYPOINT', 'SHELL', 'STOPSIGNAL',
  'HEALTHCHECK', 'ONBUILD', 'COPY', 'ADD', 'RUN', 'MAINTAINER',
]);

/** The options each instruction accepts; others are an error naming the flag. */
const FLAGS: Partial<Record<Keyword, string[]>> = {
  FROM: ['platform'],
  COPY: ['from', 'chown', 'chmod', 'link'],
  ADD: ['chown', 'chmod', 'link'],
  RUN: ['network'],
  HEALTHCHECK: ['interval', 'timeout', 'start-period', 'start-interval', 'retries'],
};

/** What BuildKit offers and this (classic) builder does not: a sentence with the way around it. */
const BUILDKIT_FLAGS: Record<string, string> = {
  mount: 'RUN --mount needs BuildKit; copy what the command needs with COPY instead',
  security: 'RUN --security needs BuildKit',
  parents: 'COPY --parents needs BuildKit; copy each folder with its own COPY',
  exclude: 'COPY --exclude needs BuildKit; list the files in .dockerignore instead',
  checksum: 'ADD --checksum needs BuildKit',
  'keep-git-dir': 'ADD --keep-git-dir needs BuildKit',
};

const JSON_FORMS = new Set<Keyword>(['CMD', 'ENTRYPOINT', 'RUN', 'SHELL', 'VOLUME', 'COPY', 'ADD']);
const DIRECTIVE_RE = /^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.*?)\s*$/;
const HEREDOC_RE = /<<-?\s*(["']?)[A-Za-z_][A-Za-z0-9_]*\1/;

export function parseDockerfile(text: string, file = 'Dockerfile'): Dockerfile {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const df: Dockerfile = { file, escape: '\\', instructions: [] };
  const fail = (line: number | undefined, reason: string): never => { throw new DockerfileError(file, line, reason); };

  // Parser directives: `# key=value` lines before anything else.
  let i = 0;
  const seen = new Set<string>();
  for (; i < lines.length; i++) {
    const m = DIRECTIVE_RE.exec(lines[i]);
    if (!m) break;
    const key = m[1].toLowerCase();
    if (key !== 'escape' && key !== 'syntax' && key !== 'check') continue;
    if (seen.has(key)) fail(i + 1, `only one ${key} parser directive can be used`);
    seen.add(key);
    if (key === 'escape') {
      if (m[2] !== '\\' && m[2] !== '`') fail(i + 1, `invalid escape token '${m[2]}' does not match \` or \\`);
      df.escape = m[2];
    } else if (key === 'syntax') df.syntax = m[2];
  }
  const continuation = new RegExp(`${df.escape === '\\' ? '\\\\' : '`'}[ \\t]*$`);

  let pending: { start: number; text: string } | undefined;
  for (; i < lines.length; i++) {
    const raw = lines[i];
    const trimmed = raw.trimStart();
    if (trimmed.startsWith('#')) continue;
    if (trimmed === '' && !pending) continue;
    if (trimmed === '' && pending) continue;
    const cont = continuation.test(raw);
    const piece = cont ? raw.replace(continuation, '') : raw;
    if (!pending) pending = { start: i + 1, text: piece.trimStart() };
    else pending.text += piece;
    if (cont && i < lines.length - 1) continue;
    df.instructions.push(parseInstruction(pending.text, pending.start, df.escape, fail));
    pending = undefined;
  }
  if (pending) df.instructions.push(parseInstruction(pending.text, pending.start, df.escape, fail));
  if (df.instructions.length === 0) fail(undefined, 'the Dockerfile has no instructions');
  return df;
}

function parseInstruction(text: string, line: number, escape: string, fail: (line: number | undefined, reason: string) => never): Instruction {
  const m = /^(\S+)(?:\s+([\s\S]*))?$/.exec(text.trim());
  if (!m) return fail(line, 'empty instruction');
  const word = m[1].toUpperCase();
  if (!KEYWORDS.has(word as Keyword)) fail(line, `unknown instruction: ${m[1]}`);
  const keyword = word as Keyword;
  let rest = (m[2] ?? '').trim();
  const original = `${keyword}${rest ? ' ' + rest : ''}`;
  const flags: Record<string, string> = {};
  if (keyword !== 'ONBUILD') {
    for (;;) {
      const f = /^--([a-zA-Z][a-zA-Z0-9-]*)(?:=(\S*))?(?:\s+|$)/.exec(rest);
      if (!f) break;
      const name = f[1];
      if (BUILDKIT_FLAGS[name]) fail(line, BUILDKIT_FLAGS[name]);
      if (!(FLAGS[keyword] ?? []).includes(name)) fail(line, `unknown flag: --${name} (${keyword} takes ${(FLAGS[keyword] ?? []).map((x) => `--${x}`).join(', ') || 'no flags'})`);
      if (name in flags) fail(line, `duplicate flag: --${name}`);
      flags[name] = f[2] ?? 'true';
      rest = rest.slice(f[0].length);
    }
  }
  const ins: Instruction = { keyword, args: rest, flags, line, original };
  if (JSON_FORMS.has(keyword) && rest.startsWith('[')) {
    try {
      const v = JSON.parse(rest) as unknown;
      if (Array.isArray(v) && v.every((x) => typeof x === 'string')) ins.json = v as string[];
    } catch { /* not JSON: the shell form, as Docker reads it */ }
  }
  if (!ins.json && (keyword === 'RUN' || keyword === 'COPY' || keyword === 'ADD') && HEREDOC_RE.test(rest)) {
    fail(line, `heredocs (${HEREDOC_RE.exec(rest)![0]}) need BuildKit and are not supported by this builder; write the content to a file in the build context and COPY it`);
  }
  validate(ins, escape, fail);
  return ins;
}

function validate(ins: Instruction, _escape: string, fail: (line: number | undefined, reason: string) => never): void {
  const { keyword, args, line } = ins;
  const need = (ok: boolean, reason: string): void => { if (!ok) fail(line, reason); };
  switch (keyword) {
    case 'FROM': {
      const words = args.split(/\s+/).filter(Boolean);
      need(words.length === 1 || (words.length === 3 && words[1].toLowerCase() === 'as'), 'FROM requires either one argument, or three: FROM <source> [AS <name>]');
      if (words.length === 3) need(/^[a-zA-Z][a-zA-Z0-9_.-]*$/.test(words[2]), `invalid name for build stage: "${words[2]}", name can't start with a number or contain symbols`);
      break;
    }
    case 'ARG':
    case 'ENV':
    case 'LABEL':
    case 'WORKDIR':
    case 'USER':
    case 'EXPOSE':
    case 'VOLUME':
    case 'STOPSIGNAL':
    case 'MAINTAINER':
    case 'RUN':
      need(args !== '', `${keyword} requires at least one argument`);
      break;
    case 'SHELL':
      need(!!ins.json, 'SHELL requires the arguments to be in JSON form: SHELL ["executable", "parameters"]');
      need((ins.json ?? []).length > 0, 'SHELL requires at least one argument');
      break;
    case 'COPY':
    case 'ADD':
      need((ins.json ? ins.json.length : args.split(/\s+/).filter(Boolean).length) >= 2, `${keyword} requires at least two arguments, but only one was provided. Destination could not be determined`);
      break;
    case 'HEALTHCHECK': {
      const kind = args.split(/\s+/)[0]?.toUpperCase();
      need(kind === 'NONE' || kind === 'CMD', 'HEALTHCHECK takes NONE or CMD followed by a command');
      if (kind === 'NONE') need(args.trim().split(/\s+/).length === 1, 'HEALTHCHECK NONE takes no other arguments');
      else need(args.trim().split(/\s+/).length > 1, 'HEALTHCHECK CMD requires a command');
      break;
    }
    case 'ONBUILD':
      fail(line, 'ONBUILD is not supported by this builder; put the instructions in the Dockerfile of the image that uses this one');
      break;
    case 'CMD':
    case 'ENTRYPOINT':
      break;
  }
}
