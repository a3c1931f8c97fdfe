// YAML text → plain data plus a locator that maps any data path back to the
// line and column it came from, so every later phase can point at a line.
// Anchors, aliases and `<<` merge keys are resolved here; the Compose tags
// `!reset` and `!override` survive as TaggedValue markers for the merge.

import { isAlias, isMap, isScalar, isSeq, LineCounter, parseAllDocuments, visit, type Alias, type Document, type Node as YamlNode } from 'yaml';
import { ComposeFileError, throwIfAny } from '../errors.js';
import { parseFastYaml, type Offsets } from './fast-yaml.js';
import type { SourcePosition } from '../types.js';

export type DataPath = readonly (string | number)[];
export type Locator = (path: DataPath) => SourcePosition | undefined;

/** A value carrying a Compose merge tag; only the merge step looks inside. */
export class TaggedValue {
  constructor(
    readonly tag: '!reset' | '!override',
    readonly value: unknown,
  ) {}
}

export interface ParsedDocument {
  /** The file the document came from (as given: absolute, or `-` for stdin). */
  readonly file: string;
  readonly data: Record<string, unknown>;
  /** Position of the key when the path ends at a mapping key (best for errors about a key), else of the value. */
  readonly locate: Locator;
  /** Position of the value at the path (best for errors about a value). */
  readonly locateValue: Locator;
}

export interface ParseOptions {
  /** Directory error messages show the file relative to. */
  readonly baseDir?: string;
  /** Read simple files without the yaml library (the default); false forces the library, for tests that compare the two. */
  readonly fastPath?: boolean;
}

const MERGE_KEY = '<<';
/** Far above any real file; stops alias bombs ("billion laughs") from eating the machine. */
export const MAX_NODES = 500_000;
const COMPOSE_TAGS = new Set(['!reset', '!override']);

/** Parses every YAML document of a compose file; several documents are merged in order later. */
export function parseComposeYaml(source: string, file: string, options: ParseOptions = {}): ParsedDocument[] {
  const fast = options.fastPath === false ? undefined : parseFastYaml(source);
  if (fast) return [locatable(file, fast.data, fast.offsets, fast.rootOffset, lazyPositions(source, file))];
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(source, { lineCounter, uniqueKeys: false, merge: false, prettyErrors: false });
  const at = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, column: col };
  };
  const fileError = (detail: string, offset?: number) =>
    new ComposeFileError(detail, { file, baseDir: options.baseDir, ...(offset === undefined ? {} : at(offset)) });

  const list = Array.isArray(docs) ? docs : [];
  const parsed: ParsedDocument[] = [];
  for (const doc of list) {
    const first = doc.errors[0];
    if (first) throw fileError(first.message.replace(/ at line \d+, column \d+:?[\s\S]*$/, ''), first.pos[0]);
    if (doc.contents === null) continue;
    parsed.push(convertDocument(doc, file, at, fileError));
  }
  if (parsed.length === 0) throw fileError('empty compose file');
  return parsed;
}

/** Offsets to line and column, counting the lines only when an error first needs a position. */
function lazyPositions(source: string, file: string): (offset: number) => SourcePosition {
  let lineCounter: LineCounter | undefined;
  return (offset) => {
    if (!lineCounter) {
      lineCounter = new LineCounter();
      lineCounter.addNewLine(0);
      for (let i = source.indexOf('\n'); i >= 0; i = source.indexOf('\n', i + 1)) lineCounter.addNewLine(i + 1);
    }
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, column: col };
  };
}

function convertDocument(
  doc: Document.Parsed,
  file: string,
  at: (offset: number) => SourcePosition,
  fileError: (detail: string, offset?: number) => ComposeFileError,
): ParsedDocument {
  // Positions live beside the data, keyed by container identity, so that
  // converting a large file costs no path strings; the locator walks the
  // original data along the path instead.
  const offsets = new WeakMap<object, Offsets>();
  const errors: ComposeFileError[] = [];
  const active = new Set<YamlNode>();
  const aliasTargets = anchorTargets(doc);
  const lineOf = (offset: number | undefined) => (offset === undefined ? 0 : at(offset).line);
  let visited = 0;

  const convert = (node: unknown): unknown => {
    if (node === null || node === undefined) return null;
    const yamlNode = node as YamlNode;
    if (++visited > MAX_NODES) {
      throw fileError(`the document expands to more than ${MAX_NODES} values through aliases; reduce the nesting of anchors`, yamlNode.range?.[0]);
    }
    if (isAlias(node)) {
      const target = aliasTargets.get(node);
      if (!target) throw fileError(`unknown alias *${node.source}: define the anchor &${node.source} before using it`, yamlNode.range?.[0]);
      return convert(target);
    }
    if (active.has(yamlNode)) throw fileError('an alias refers to a node that contains it', yamlNode.range?.[0]);
    active.add(yamlNode);
    try {
      const value = isMap(node) ? convertMap(node) : isSeq(node) ? convertSeq(node.items) : scalarValue(node);
      const tag = yamlNode.tag;
      return tag && COMPOSE_TAGS.has(tag) ? new TaggedValue(tag as '!reset' | '!override', value) : value;
    } finally {
      active.delete(yamlNode);
    }
  };

  const convertSeq = (items: unknown[]): unknown[] => {
    const out: unknown[] = [];
    const values = new Map<string | number, number>();
    items.forEach((item, i) => {
      const offset = (item as YamlNode | null)?.range?.[0];
      if (offset !== undefined) values.set(i, offset);
      out.push(convert(item));
    });
    offsets.set(out, { keys: new Map(), values });
    return out;
  };

  const convertMap = (node: { items: { key: unknown; value: unknown }[] }): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    const own: Offsets = { keys: new Map(), values: new Map() };
    const merges: unknown[] = [];
    for (const pair of node.items) {
      const keyNode = pair.key as YamlNode | null;
      const keyOffset = keyNode?.range?.[0];
      if (isScalar(keyNode) && keyNode.value === MERGE_KEY && keyNode.type === 'PLAIN') {
        merges.push(pair.value);
        continue;
      }
      if (keyNode !== null && !isScalar(keyNode)) {
        errors.push(fileError('mapping keys must be strings, not collections', keyOffset));
        continue;
      }
      const key = keyNode === null || keyNode.value === null ? 'null' : String(keyNode.value);
      if (own.keys.has(key)) {
        errors.push(fileError(`mapping key ${JSON.stringify(key)} already defined at line ${lineOf(own.keys.get(key))}`, keyOffset));
        continue;
      }
      if (keyOffset !== undefined) own.keys.set(key, keyOffset);
      const valueOffset = (pair.value as YamlNode | null)?.range?.[0] ?? keyOffset;
      if (valueOffset !== undefined) own.values.set(key, valueOffset);
      setOwn(out, key, convert(pair.value));
    }
    // `<<` never overrides a key written in the mapping itself; among several
    // merged mappings the first one wins, as the YAML merge-key spec says.
    for (const source of merges.flatMap((m) => (isSeq(m) ? m.items : [m]))) {
      const merged = convert(source);
      if (merged === null || typeof merged !== 'object' || Array.isArray(merged) || merged instanceof TaggedValue) {
        errors.push(fileError('a merge key (<<) must refer to a mapping or a list of mappings', (source as YamlNode | null)?.range?.[0]));
        continue;
      }
      const from = offsets.get(merged);
      for (const [key, value] of Object.entries(merged)) {
        if (Object.hasOwn(out, key)) continue;
        setOwn(out, key, value);
        const k = from?.keys.get(key);
        const v = from?.values.get(key);
        if (k !== undefined) own.keys.set(key, k);
        if (v !== undefined) own.values.set(key, v);
      }
    }
    offsets.set(out, own);
    return out;
  };

  const data = convert(doc.contents);
  throwIfAny(errors);
  if (data === null || typeof data !== 'object' || Array.isArray(data) || data instanceof TaggedValue) {
    throw fileError('top-level object must be a mapping', (doc.contents as YamlNode | null)?.range?.[0]);
  }
  return locatable(file, data as Record<string, unknown>, offsets, (doc.contents as YamlNode | null)?.range?.[0] ?? 0, at);
}

/** The document with its locators, which walk the data along a path to the deepest recorded offset. */
function locatable(
  file: string,
  record: Record<string, unknown>,
  offsets: WeakMap<object, Offsets>,
  rootOffset: number,
  at: (offset: number) => SourcePosition,
): ParsedDocument {

  /** Walks the data along `path`; the deepest known offset wins (the key's or the value's first, as asked). */
  const nearest = (path: DataPath, preferKey: boolean): SourcePosition | undefined => {
    let best = rootOffset;
    let node: unknown = record;
    for (const segment of path) {
      if (node instanceof TaggedValue) node = node.value;
      if (node === null || typeof node !== 'object') break;
      const meta = offsets.get(node);
      if (!meta) break;
      const k = meta.keys.get(segment) ?? meta.keys.get(String(segment));
      const v = meta.values.get(segment) ?? meta.values.get(Number(segment));
      const found = preferKey ? (k ?? v) : (v ?? k);
      if (found === undefined) break;
      best = found;
      node = (node as Record<string | number, unknown>)[segment];
    }
    return at(best);
  };
  return {
    file,
    data: record,
    locate: (path) => nearest(path, true),
    locateValue: (path) => nearest(path, false),
  };
}

/**
 * Each alias's anchored node, found in one pass: `Alias.resolve()` searches
 * the whole document per call, which is quadratic for files that use an
 * anchor in every service.
 */
function anchorTargets(doc: Document.Parsed): Map<Alias, YamlNode> {
  const anchors = new Map<string, YamlNode>();
  const targets = new Map<Alias, YamlNode>();
  visit(doc, (_key, node) => {
    if (isAlias(node)) {
      const target = anchors.get(node.source);
      if (target) targets.set(node, target);
    } else if (node && typeof node === 'object' && 'anchor' in node && typeof node.anchor === 'string' && node.anchor !== '') {
      anchors.set(node.anchor, node as YamlNode);
    }
  });
  return targets;
}

function scalarValue(node: unknown): unknown {
  if (!isScalar(node)) return null;
  const value = node.value;
  // A scalar with a tag the yaml library does not know stays a string; under
  // !reset / !override it should read as it would untagged.
  if (node.tag && COMPOSE_TAGS.has(node.tag) && typeof value === 'string' && node.type === 'PLAIN') return plainScalar(value);
  if (node.type === 'PLAIN' && !node.tag && typeof node.source === 'string') {
    const goValue = goYamlInteger(node.source);
    if (goValue !== undefined) return goValue;
  }
  return typeof value === 'bigint' ? Number(value) : value;
}

/**
 * Integers go-yaml (and so docker compose) reads differently from YAML 1.2:
 * `0440` is octal (288, as file modes are meant), `0b101` binary, and `_`
 * separators are dropped.
 */
export function goYamlInteger(source: string): number | undefined {
  const plain = source.replaceAll('_', '');
  const m = /^([-+]?)(0[0-7]+|0b[01]+|\d+)$/.exec(plain);
  if (!m) return undefined;
  const sign = m[1] === '-' ? -1 : 1;
  const digits = m[2]!;
  if (digits.startsWith('0b')) return sign * parseInt(digits.slice(2), 2);
  if (/^0[0-7]+$/.test(digits)) return sign * parseInt(digits, 8);
  return source.includes('_') ? sign * Number(digits) : undefined;
}

function plainScalar(text: string): unknown {
  if (text === '' || text === '~' || /^(null|Null|NULL)$/.test(text)) return null;
  if (/^(true|True|TRUE)$/.test(text)) return true;
  if (/^(false|False|FALSE)$/.test(text)) return false;
  if (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) return Number(text);
  return text;
}


/** Sets a key even when it is `__proto__`, which plain assignment would not. */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}
