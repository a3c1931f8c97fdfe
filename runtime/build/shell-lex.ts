// Variable substitution in Dockerfile arguments, as Docker's shell lexer
// does it for ADD COPY ENV EXPOSE FROM LABEL STOPSIGNAL USER VOLUME WORKDIR:
// `$VAR`, `${VAR}`, `${VAR:-word}`, `${VAR-word}`, `${VAR:+word}`,
// `${VAR+word}`, `${VAR:?message}`, `${VAR?message}`; single quotes are
// literal, double quotes expand, the escape character makes the next one
// literal. Quotes are removed, as a shell would. RUN, CMD and ENTRYPOINT are
// not expanded here: their shell does it when they run.

export type Lookup = (name: string) => string | undefined;

export class ExpansionError extends Error {}

class Lexer {
  private pos = 0;
  constructor(
    private readonly src: string,
    private readonly escape: string,
    private readonly lookup: Lookup,
  ) {}

  private peek(): string { return this.src[this.pos] ?? ''; }
  private next(): string { return this.src[this.pos++] ?? ''; }
  private get done(): boolean { return this.pos >= this.src.length; }

  /** Words split on unquoted whitespace (when `split`), or one word. */
  words(split: boolean): string[] {
    const out: string[] = [];
    let word = '';
    let inWord = false;
    while (!this.done) {
      const ch = this.peek();
      if (split && /\s/.test(ch)) {
        this.pos++;
        if (inWord) { out.push(word); word = ''; inWord = false; }
        continue;
      }
      inWord = true;
      if (ch === this.escape) {
        this.pos++;
        // A trailing escape stays itself.
        word += this.done ? ch : this.next();
      } else if (ch === "'") {
        this.pos++;
        word += this.singleQuoted();
      } else if (ch === '"') {
        this.pos++;
        word += this.doubleQuoted();
      } else if (ch === '$') {
        this.pos++;
        const v = this.dollar();
        // An unquoted expansion is split into words too, as in a shell.
        if (split) {
          const parts = v.split(/\s+/);
          word += parts[0];
          for (let i = 1; i < parts.length; i++) {
            if (word !== '') out.push(word);
            word = parts[i];
          }
          inWord = word !== '' || parts.length === 1;
        } else word += v;
      } else {
        word += this.next();
      }
    }
    if (inWord) out.push(word);
    return out;
  }

  private singleQuoted(): string {
    let s = '';
    while (!this.done) {
      const ch = this.next();
      if (ch === "'") return s;
      s += ch;
    }
    throw new ExpansionError('unexpected end of text: missing closing \' quote');
  }

  private doubleQuoted(): string {
    let s = '';
    while (!this.done) {
      const ch = this.next();
      if (ch === '"') return s;
      if (ch === this.escape) {
        const n = this.peek();
        if (n === '"' || n === '$' || n === this.escape) { s += this.next(); continue; }
        s += ch;
        continue;
      }
      if (ch === '$') { s += this.dollar(); continue; }
      s += ch;
    }
    throw new ExpansionError('unexpected end of text: missing closing " quote');
  }

  private name(): string {
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.src.slice(this.pos));
    if (!m) return '';
    this.pos += m[0].length;
    return m[0];
  }

  /** After `$`: the value of the reference. */
  private dollar(): string {
    if (this.peek() !== '{') {
      const n = this.name();
      if (!n) return '$';
      return this.lookup(n) ?? '';
    }
    this.pos++;
    const n = this.name();
    if (!n) throw new ExpansionError(`bad substitution: \${${this.src.slice(this.pos, this.pos + 10)}`);
    if (this.done) throw new ExpansionError('missing } in substitution');
    if (this.peek() === '}') { this.pos++; return this.lookup(n) ?? ''; }
    let op = this.next();
    if (op === ':') op += this.next();
    if (![':-', '-', ':+', '+', ':?', '?'].includes(op)) throw new ExpansionError(`unsupported modifier (${op}) in substitution of ${n}`);
    const word = this.braceWord();
    const v = this.lookup(n);
    const empty = op.startsWith(':') ? !v : v === undefined;
    switch (op.slice(-1)) {
      case '-': return empty ? word : v!;
      case '+': return empty ? '' : word;
      default:
        if (empty) throw new ExpansionError(`${n}: ${word || 'is not allowed to be unset'}`);
        return v!;
    }
  }

  /** The word of `${X:-word}` up to the matching `}`, itself expanded. */
  private braceWord(): string {
    let s = '';
    while (!this.done) {
      const ch = this.next();
      if (ch === '}') return s;
      if (ch === this.escape) { s += this.done ? ch : this.next(); continue; }
      if (ch === "'") { s += this.singleQuoted(); continue; }
      if (ch === '"') { s += this.doubleQuoted(); continue; }
      if (ch === '$') { s += this.dollar(); continue; }
      s += ch;
    }
    throw new ExpansionError('missing } in substitution');
  }
}

/** One word: expanded, quotes removed, whitespace kept. */
export function expandWord(text: string, lookup: Lookup, escape = '\\'): string {
  return new Lexer(text, escape, lookup).words(false).join('');
}

/** Words: expanded, split on unquoted whitespace, quotes removed. */
export function expandWords(text: string, lookup: Lookup, escape = '\\'): string[] {
  return new Lexer(text, escape, lookup).words(true);
}

/**
 * Splits on unquoted whitespace WITHOUT expanding or removing quotes: the
 * `key=value` pairs of ENV, LABEL and ARG, each expanded afterwards.
 */
export function splitRawWords(text: string, escape = '\\'): string[] {
  const out: string[] = [];
  let word = '';
  let quote = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quote) {
      word += ch;
      if (ch === escape && quote === '"' && i + 1 < text.length) word += text[++i];
      else if (ch === quote) quote = '';
      continue;
    }
    if (ch === escape && i + 1 < text.length) { word += ch + text[++i]; continue; }
    if (ch === '"' || ch === "'") { quote = ch; word += ch; continue; }
    if (/\s/.test(ch)) {
      if (word) out.push(word);
      word = '';
      continue;
    }
    word += ch;
  }
  if (quote) throw new ExpansionError(`missing closing ${quote} quote`);
  if (word) out.push(word);
  return out;
}
