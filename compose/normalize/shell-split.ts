// `command: npm run "dev server"` -> ["npm", "run", "dev server"]: words split
// the way compose-go splits them (mattn/go-shellwords without env or
// backtick expansion), so the same file gives the same argv here as under
// docker compose. That parser stops at an unquoted shell operator
// (`&&`, `|`, `;`, `<`, `>`); we do the same and report it, since the rest of
// the line is silently dropped there.

export class ShellSplitError extends Error {}

export interface ShellSplit {
  readonly words: string[];
  /** The operator the line was cut at, when it was. */
  readonly stoppedAt?: string;
}

const SPACE = new Set([' ', '\t', '\r', '\n']);
const OPERATORS = new Set([';', '&', '|', '<', '>']);

export function splitCommandLine(line: string): ShellSplit {
  const words: string[] = [];
  let word = '';
  let started = false;
  let escaped = false;
  let single = false;
  let double = false;
  let backQuote = false;
  let dollarParen = false;
  let stoppedAt: string | undefined;
  const chars = [...line];
  for (let i = 0; i < chars.length; i++) {
    let c = chars[i];
    if (escaped) {
      if (c === 't') c = '\t';
      else if (c === 'n') c = '\n';
      word += c;
      escaped = false;
      started = true;
      continue;
    }
    if (c === '\\') {
      if (single) word += c;
      else escaped = true;
      continue;
    }
    if (SPACE.has(c)) {
      if (single || double || backQuote || dollarParen) word += c;
      else if (started) {
        words.push(word);
        word = '';
        started = false;
      }
      continue;
    }
    const bare = !single && !double && !backQuote && !dollarParen;
    if (c === '`' && !single && !double && !dollarParen) backQuote = !backQuote;
    else if (c === '(' && !single && !double && !backQuote) {
      if (dollarParen || !word.endsWith('$')) throw new ShellSplitError(`invalid command line string ${JSON.stringify(line)}: unquoted "("`);
      dollarParen = true;
    } else if (c === ')' && !single && !double && !backQuote) {
      if (!dollarParen) throw new ShellSplitError(`invalid command line string ${JSON.stringify(line)}: unquoted ")"`);
      dollarParen = false;
    } else if (c === '"' && !single && !dollarParen) {
      if (double) started = true;
      double = !double;
      continue;
    } else if (c === "'" && !double && !dollarParen) {
      if (single) started = true;
      single = !single;
      continue;
    } else if (OPERATORS.has(c) && bare) {
      // A redirect like `2>` takes its digit with it.
      if (c === '>' && /^[0-9]/.test(word)) started = false;
      stoppedAt = chars.slice(i).join('').trim();
      break;
    }
    started = true;
    word += c;
  }
  if (started) words.push(word);
  if (escaped || single || double || backQuote || dollarParen) {
    const what = escaped ? 'a trailing backslash' : single ? 'an unterminated single quote' : double ? 'an unterminated double quote' : 'an unterminated substitution';
    throw new ShellSplitError(`invalid command line string ${JSON.stringify(line)}: ${what}`);
  }
  return { words, stoppedAt };
}

export function shellSplit(line: string): string[] {
  return splitCommandLine(line).words;
}
