// Variable substitution in one string, with the shell-like forms the Compose
// spec allows. Shared by compose-file interpolation and the dotenv parser so
// both accept exactly the same syntax (as compose-go's `template` does).

/** Returns the variable's value, or undefined when it is not set (empty string counts as set). */
export type Lookup = (name: string) => string | undefined;

export interface SubstituteResult {
  readonly value: string;
  /** Names of variables that were read while unset, in order of use. */
  readonly unset: readonly string[];
}

/** `${VAR:?message}` / `${VAR?message}` met an unset (or empty) variable. */
export class MissingVariableError extends Error {
  override readonly name = 'MissingVariableError';
  constructor(readonly variable: string, readonly reason: string) {
    super(reason ? `required variable ${variable} is missing a value: ${reason}` : `required variable ${variable} is missing a value`);
  }
}

/** A `${...}` that is not one of the allowed forms. */
export class InvalidTemplateError extends Error {
  override readonly name = 'InvalidTemplateError';
  constructor(readonly template: string) {
    super(`invalid interpolation format in ${JSON.stringify(template)}: you may need to escape any $ with another $`);
  }
}

const NAME_START = /[_a-zA-Z]/;
const NAME_CHAR = /[_a-zA-Z0-9]/;
const BRACED = /^([_a-zA-Z][_a-zA-Z0-9]*)(?:(:?[-+?])([\s\S]*))?$/;

/** Substitutes `$VAR`, `${VAR}`, `${VAR:-d}`, `${VAR-d}`, `${VAR:?e}`, `${VAR?e}`, `${VAR:+a}`, `${VAR+a}` and `$$`. */
export function substitute(template: string, lookup: Lookup): SubstituteResult {
  const unset: string[] = [];
  const value = substituteInto(template, lookup, unset);
  return { value, unset };
}

function substituteInto(template: string, lookup: Lookup, unset: string[]): string {
  if (!template.includes('$')) return template;
  let out = '';
  let i = 0;
  while (i < template.length) {
    const dollar = template.indexOf('$', i);
    if (dollar < 0 || dollar === template.length - 1) {
      out += template.slice(i);
      break;
    }
    out += template.slice(i, dollar);
    const next = template[dollar + 1]!;
    if (next === '$') {
      out += '$';
      i = dollar + 2;
    } else if (NAME_START.test(next)) {
      let end = dollar + 2;
      while (end < template.length && NAME_CHAR.test(template[end]!)) end++;
      out += read(template.slice(dollar + 1, end), lookup, unset);
      i = end;
    } else if (next === '{') {
      const close = closingBrace(template, dollar + 1);
      if (close < 0) throw new InvalidTemplateError(template);
      out += braced(template.slice(dollar + 2, close), template, lookup, unset);
      i = close + 1;
    } else {
      // Like compose-go, a `$` not followed by a name, `{` or `$` stays literal.
      out += '$';
      i = dollar + 1;
    }
  }
  return out;
}

/** Index of the `}` closing the `{` at `open`, counting nested `${...}`. */
function closingBrace(s: string, open: number): number {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    if (s[i] === '{') depth++;
    else if (s[i] === '}') {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

function read(name: string, lookup: Lookup, unset: string[]): string {
  const value = lookup(name);
  if (value === undefined) {
    unset.push(name);
    return '';
  }
  return value;
}

function braced(inner: string, template: string, lookup: Lookup, unset: string[]): string {
  const match = BRACED.exec(inner);
  if (!match) throw new InvalidTemplateError(template);
  const [, name, op, arg = ''] = match as unknown as [string, string, string | undefined, string | undefined];
  if (op === undefined) return read(name, lookup, unset);
  const value = lookup(name);
  const isSet = value !== undefined;
  const nonEmpty = isSet && value !== '';
  switch (op) {
    case ':-':
      return nonEmpty ? value : substituteInto(arg, lookup, unset);
    case '-':
      return isSet ? value : substituteInto(arg, lookup, unset);
    case ':+':
      return nonEmpty ? substituteInto(arg, lookup, unset) : (value ?? '');
    case '+':
      return isSet ? substituteInto(arg, lookup, unset) : '';
    case ':?':
      if (!nonEmpty) throw new MissingVariableError(name, substituteInto(arg, lookup, unset));
      return value;
    default: // '?'
      if (!isSet) throw new MissingVariableError(name, substituteInto(arg, lookup, unset));
      return value;
  }
}
