// A fast path for the plain block-style YAML that nearly every compose file
// is written in. The yaml library builds a CST and an AST through generators
// before we convert it, which costs most of `config`'s time on a large file.
// This reader handles only what it can read exactly as the library would
// (block mappings and sequences, single-line scalars, one-line flow
// sequences, `{}`, anchors, aliases and `<<`), producing the same data and
// the same source offsets; anything else, including every kind of error,
// makes it give up so that the library reads the file and reports it.

import { goYamlInteger, MAX_NODES, setOwn } from './parse.js';

/** Source offsets of one converted mapping or sequence, by key or index. */
export interface Offsets {
  readonly keys: Map<string | number, number>;
  readonly values: Map<string | number, number>;
}

export interface FastYaml {
  readonly data: Record<string, unknown>;
  readonly offsets: WeakMap<object, Offsets>;
  /** Offset of the top-level mapping (its first key). */
  readonly rootOffset: number;
}

/** Sequences and `{}` have no keys; one shared empty map (never written to) saves a map per container. */
const NO_KEYS: Map<string | number, number> = new Map();

/** Thrown inside the reader when the input needs the full YAML library. */
const GIVE_UP: unique symbol = Symbol('give up');

// Anything the reader does not model: tabs, CR, control and C1 characters, BOM, NEL, line separators.
// eslint-disable-next-line no-control-regex
const UNSUPPORTED_CHARS = /[\t\r\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufeff\u2028\u2029]/;
// The YAML 1.2 core schema's number forms; a plain scalar matching one (other than a short decimal) goes to the library.
const NUMERIC = [
  /^[-+]?[0-9]+$/,
  /^0o[0-7]+$/,
  /^0x[0-9a-fA-F]+$/,
  /^[-+]?\.(?:inf|Inf|INF)$/,
  /^\.(?:nan|NaN|NAN)$/,
  /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/,
  /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/,
];
const SHORT_DECIMAL = /^(?:0|[1-9][0-9]{0,14})$/;

/** Reads `source` if it is simple enough, else returns undefined (the caller then uses the yaml library). */
export function parseFastYaml(source: string): FastYaml | undefined {
  if (!source.endsWith('\n') || UNSUPPORTED_CHARS.test(source)) return undefined;
  try {
    return new Reader(source).read();
  } catch (err) {
    if (err === GIVE_UP) return undefined;
    throw err;
  }
}

function giveUp(): never {
  throw GIVE_UP;
}

const SPACE = 32;
const HASH = 35;
const COLON = 58;
const DASH = 45;

class Reader {
  /** Per content line (blank and comment-only lines dropped): first non-space offset, indentation, end offset. */
  private readonly start: number[] = [];
  private readonly indent: number[] = [];
  private readonly end: number[] = [];
  private pos = 0;
  private count = 0;
  private nodes = 0;
  private readonly offsets = new WeakMap<object, Offsets>();
  private readonly anchors = new Map<string, unknown>();
  private readonly pending = new Set<string>();

  constructor(private readonly src: string) {}

  read(): FastYaml {
    const src = this.src;
    let lineStart = 0;
    while (lineStart < src.length) {
      let lineEnd = src.indexOf('\n', lineStart);
      if (lineEnd < 0) lineEnd = src.length;
      let p = lineStart;
      while (p < lineEnd && src.charCodeAt(p) === SPACE) p++;
      if (p < lineEnd && src.charCodeAt(p) !== HASH) {
        if (p === lineStart) {
          const c = src[p];
          // Directives and document markers.
          if (c === '%' || src.startsWith('---', p) || src.startsWith('...', p)) giveUp();
        }
        this.start.push(p);
        this.indent.push(p - lineStart);
        this.end.push(lineEnd);
      }
      lineStart = lineEnd + 1;
    }
    this.count = this.start.length;
    if (this.count === 0 || this.indent[0] !== 0 || this.isSeqItem(0)) giveUp();
    const rootOffset = this.start[0]!;
    const data = this.mapping(0);
    if (this.pos !== this.count) giveUp();
    return { data, offsets: this.offsets, rootOffset };
  }

  private isSeqItem(line: number): boolean {
    const p = this.start[line]!;
    return this.src.charCodeAt(p) === DASH && (p + 1 === this.end[line] || this.src.charCodeAt(p + 1) === SPACE);
  }

  private count1(): void {
    if (++this.nodes > MAX_NODES / 2) giveUp();
  }

  /** A block node beginning on content line `pos` (a mapping or a sequence). */
  private block(): unknown {
    return this.isSeqItem(this.pos) ? this.sequence(this.indent[this.pos]!) : this.mapping(this.indent[this.pos]!);
  }

  private mapping(n: number): Record<string, unknown> {
    this.count1();
    const src = this.src;
    const out: Record<string, unknown> = {};
    const own: Offsets = { keys: new Map(), values: new Map() };
    const merges: unknown[] = [];
    while (this.pos < this.count && this.indent[this.pos] === n) {
      if (this.isSeqItem(this.pos)) giveUp();
      const keyStart = this.start[this.pos]!;
      const end = this.end[this.pos]!;
      const key = this.key(keyStart, end);
      let p = key.next;
      while (p < end && src.charCodeAt(p) === SPACE) p++;
      let anchor: string | undefined;
      if (src[p] === '&') {
        anchor = this.anchorName(p + 1, end);
        p += anchor.length + 1;
        if (p < end && src.charCodeAt(p) !== SPACE) giveUp();
        while (p < end && src.charCodeAt(p) === SPACE) p++;
        this.beginAnchor(anchor);
      }
      let value: unknown;
      let valueOffset: number;
      if (p >= end || src.charCodeAt(p) === HASH) {
        const hadMore = p < end || anchor !== undefined;
        this.pos++;
        const next = this.pos < this.count ? this.indent[this.pos]! : -1;
        // Where the library places an anchored node that follows a comment, or a same-indent sequence, is not modelled here.
        if (anchor !== undefined && (p < end || next === n)) giveUp();
        if (next > n || (next === n && this.isSeqItem(this.pos))) {
          valueOffset = this.start[this.pos]!;
          value = this.block();
        } else {
          // An empty value: the library places it at the end of the line, which a comment would move.
          if (hadMore) giveUp();
          valueOffset = end;
          value = null;
        }
      } else {
        valueOffset = p;
        value = this.inline(p, end);
        this.pos++;
        if (this.pos < this.count && this.indent[this.pos]! > n) giveUp();
      }
      if (anchor !== undefined) this.endAnchor(anchor, value);
      if (key.merge) {
        if (src[p] !== '*' || anchor !== undefined) giveUp();
        merges.push(value);
        continue;
      }
      if (own.keys.has(key.text)) giveUp();
      own.keys.set(key.text, keyStart);
      own.values.set(key.text, valueOffset);
      setOwn(out, key.text, value);
    }
    for (const merged of merges) {
      if (merged === null || typeof merged !== 'object' || Array.isArray(merged)) giveUp();
      const from = this.offsets.get(merged);
      for (const [key, value] of Object.entries(merged)) {
        if (Object.hasOwn(out, key)) continue;
        setOwn(out, key, value);
        const k = from?.keys.get(key);
        const v = from?.values.get(key);
        if (k !== undefined) own.keys.set(key, k);
        if (v !== undefined) own.values.set(key, v);
      }
    }
    this.offsets.set(out, own);
    return out;
  }

  private sequence(n: number): unknown[] {
    this.count1();
    const src = this.src;
    const out: unknown[] = [];
    const values = new Map<string | number, number>();
    while (this.pos < this.count && this.indent[this.pos] === n && this.isSeqItem(this.pos)) {
      const line = this.pos;
      const end = this.end[line]!;
      let p = this.start[line]! + 1;
      while (p < end && src.charCodeAt(p) === SPACE) p++;
      if (p >= end || src.charCodeAt(p) === HASH || src[p] === '&' || src[p] === '?' || src[p] === ':') giveUp();
      if (src.charCodeAt(p) === DASH && (p + 1 === end || src.charCodeAt(p + 1) === SPACE)) giveUp();
      values.set(out.length, p);
      if (this.startsKey(p, end)) {
        // A compact mapping (`- key: value`): it continues on the lines indented to its first key.
        const column = p - this.start[line]! + this.indent[line]!;
        this.start[line] = p;
        this.indent[line] = column;
        out.push(this.mapping(column));
      } else {
        out.push(this.inline(p, end));
        this.pos++;
        if (this.pos < this.count && this.indent[this.pos]! > n) giveUp();
      }
    }
    this.offsets.set(out, { keys: NO_KEYS, values });
    return out;
  }

  /** Whether a mapping key (`key:` then a space or the line end) starts at `p`. */
  private startsKey(p: number, end: number): boolean {
    const src = this.src;
    const c = src[p];
    if (c === '"' || c === "'") {
      const q = this.quoted(p, end);
      return src.charCodeAt(q.next) === COLON && (q.next + 1 === end || src.charCodeAt(q.next + 1) === SPACE);
    }
    return this.plainKeyColon(p, end) >= 0;
  }

  /** The `:` ending a plain key on this line, or -1. */
  private plainKeyColon(p: number, end: number): number {
    const src = this.src;
    for (let k = p; k < end; k++) {
      const c = src.charCodeAt(k);
      if (c === COLON && (k + 1 === end || src.charCodeAt(k + 1) === SPACE)) return k;
      if (c === HASH && src.charCodeAt(k - 1) === SPACE) return -1;
    }
    return -1;
  }

  private key(p: number, end: number): { text: string; next: number; merge: boolean } {
    const src = this.src;
    const c = src[p]!;
    let text: string;
    let next: number;
    let merge = false;
    if (c === '"' || c === "'") {
      const q = this.quoted(p, end);
      if (src.charCodeAt(q.next) !== COLON || !(q.next + 1 === end || src.charCodeAt(q.next + 1) === SPACE)) giveUp();
      text = q.value;
      next = q.next + 1;
    } else {
      if (!plainStart(c)) giveUp();
      const colon = this.plainKeyColon(p, end);
      if (colon < 0) giveUp();
      const raw = src.slice(p, colon).trimEnd();
      if (raw === '<<') merge = true;
      else {
        // Keys are read as scalars, then turned into strings: only those that read back as written stay here.
        const value = plainValue(raw);
        if (typeof value !== 'string' && typeof value !== 'number') giveUp();
      }
      text = raw;
      next = colon + 1;
    }
    if (text.length > 1000) giveUp();
    return { text, next, merge };
  }

  private anchorName(p: number, end: number): string {
    const src = this.src;
    let k = p;
    while (k < end) {
      const c = src[k]!;
      if (c === ' ' || c === ',' || c === '[' || c === ']' || c === '{' || c === '}') break;
      k++;
    }
    if (k === p) giveUp();
    return src.slice(p, k);
  }

  private beginAnchor(name: string): void {
    // A name defined twice resolves by document order in the library; leave those files to it.
    if (this.anchors.has(name) || this.pending.has(name)) giveUp();
    this.pending.add(name);
  }

  private endAnchor(name: string, value: unknown): void {
    this.pending.delete(name);
    this.anchors.set(name, value);
  }

  /** A value that ends on this line: alias, flow sequence, `{}`, quoted or plain scalar. */
  private inline(p: number, end: number): unknown {
    const src = this.src;
    const c = src[p]!;
    let value: unknown;
    let next: number;
    if (c === '*') {
      const name = this.anchorName(p + 1, end);
      if (!this.anchors.has(name)) giveUp();
      value = this.copy(this.anchors.get(name));
      next = p + 1 + name.length;
    } else if (c === '[') {
      const r = this.flowSequence(p, end);
      value = r.value;
      next = r.next;
    } else if (c === '{') {
      let k = p + 1;
      while (k < end && src.charCodeAt(k) === SPACE) k++;
      if (src[k] !== '}') giveUp();
      this.count1();
      const out: Record<string, unknown> = {};
      this.offsets.set(out, { keys: NO_KEYS, values: NO_KEYS });
      value = out;
      next = k + 1;
    } else if (c === '"' || c === "'") {
      const q = this.quoted(p, end);
      value = q.value;
      next = q.next;
    } else {
      if (!plainStart(c)) giveUp();
      let k = p;
      for (; k < end; k++) {
        const ch = src.charCodeAt(k);
        if (ch === HASH && src.charCodeAt(k - 1) === SPACE) break;
        if (ch === COLON && (k + 1 === end || src.charCodeAt(k + 1) === SPACE)) giveUp();
      }
      value = plainValue(src.slice(p, k).trimEnd());
      next = k;
    }
    this.count1();
    this.rest(next, end);
    return value;
  }

  /** Only spaces, or spaces then a comment, may follow a value. */
  private rest(p: number, end: number): void {
    if (p >= end) return;
    if (this.src.charCodeAt(p) !== SPACE) giveUp();
    while (p < end && this.src.charCodeAt(p) === SPACE) p++;
    if (p < end && this.src.charCodeAt(p) !== HASH) giveUp();
  }

  /** A one-line quoted scalar without escapes. */
  private quoted(p: number, end: number): { value: string; next: number } {
    const src = this.src;
    const quote = src[p];
    if (quote === '"') {
      const close = src.indexOf('"', p + 1);
      if (close < 0 || close >= end) giveUp();
      const value = src.slice(p + 1, close);
      if (value.includes('\\')) giveUp();
      return { value, next: close + 1 };
    }
    let k = p + 1;
    let value = '';
    for (;;) {
      const close = src.indexOf("'", k);
      if (close < 0 || close >= end) giveUp();
      value += src.slice(k, close);
      if (src[close + 1] === "'") {
        value += "'";
        k = close + 2;
      } else return { value, next: close + 1 };
    }
  }

  private flowSequence(p: number, end: number): { value: unknown[]; next: number } {
    const src = this.src;
    const out: unknown[] = [];
    const values = new Map<string | number, number>();
    let k = p + 1;
    const skip = () => {
      while (k < end && src.charCodeAt(k) === SPACE) k++;
    };
    skip();
    if (src[k] === ']') {
      this.offsets.set(out, { keys: NO_KEYS, values });
      return { value: out, next: k + 1 };
    }
    for (;;) {
      skip();
      if (k >= end) giveUp();
      const c = src[k]!;
      values.set(out.length, k);
      if (c === '"' || c === "'") {
        const q = this.quoted(k, end);
        out.push(q.value);
        k = q.next;
      } else {
        if (!plainStart(c)) giveUp();
        const from = k;
        while (k < end) {
          const ch = src[k]!;
          if (ch === ',' || ch === ']') break;
          if (ch === ':' || ch === '[' || ch === '{' || ch === '}' || ch === '#') giveUp();
          k++;
        }
        out.push(plainValue(src.slice(from, k).trimEnd()));
      }
      this.count1();
      skip();
      if (src[k] === ',') {
        k++;
        skip();
        if (src[k] === ']') giveUp();
        continue;
      }
      if (src[k] === ']') break;
      giveUp();
    }
    this.offsets.set(out, { keys: NO_KEYS, values });
    return { value: out, next: k + 1 };
  }

  /** What an alias stands for: a fresh copy, as the library converts the anchored node again. */
  private copy(value: unknown): unknown {
    this.count1();
    if (value === null || typeof value !== 'object') return value;
    const meta = this.offsets.get(value);
    if (Array.isArray(value)) {
      const out = value.map((v) => this.copy(v));
      if (meta) this.offsets.set(out, meta);
      return out;
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) setOwn(out, k, this.copy(v));
    if (meta) this.offsets.set(out, meta);
    return out;
  }
}

/** Characters that may begin a plain scalar here; indicators go to the library. */
function plainStart(c: string): boolean {
  return !'-?:,[]{}#&*!|>\'"%@` '.includes(c);
}

/** A plain scalar as the core schema and go-yaml's integers read it, or give up on forms this reader leaves to the library. */
function plainValue(text: string): unknown {
  if (text === '') giveUp();
  switch (text) {
    case '~':
    case 'null':
    case 'Null':
    case 'NULL':
      return null;
    case 'true':
    case 'True':
    case 'TRUE':
      return true;
    case 'false':
    case 'False':
    case 'FALSE':
      return false;
  }
  const c = text.charCodeAt(0);
  const numberLike = (c >= 48 && c <= 57) || c === DASH || c === 43 || c === 46;
  if (numberLike && SHORT_DECIMAL.test(text)) return Number(text);
  if (numberLike || text.includes('_')) {
    if (goYamlInteger(text) !== undefined || NUMERIC.some((re) => re.test(text))) giveUp();
  }
  return text;
}
