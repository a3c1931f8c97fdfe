// Merging compose files (and `extends` bases) by the Compose spec's rules.
// The default is: mappings merge by key, sequences append, scalars are
// replaced. Every exception is one row of MERGE_RULES, keyed by a path
// pattern where `*` is any key. `!reset` removes what earlier files set,
// `!override` replaces it instead of merging.
//
// Merging also makes keyed sequences unique (ports, volumes, secrets, ...):
// a later entry for the same key replaces the earlier one in place, as
// compose-go's EnforceUnicity does after each merge.

import { setOwn, TaggedValue } from './parse.js';

type Path = readonly string[];
type Merger = (base: unknown, over: unknown, path: Path) => unknown;
type Indexer = (item: unknown) => string;

/** Returned by a merge to delete the key (or list item) from the result. */
const REMOVE: unique symbol = Symbol('remove');

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof TaggedValue);
}

/** Whether a merge tag appears anywhere inside `value` (most documents have none). */
function hasTags(value: unknown): boolean {
  if (value instanceof TaggedValue) return true;
  if (Array.isArray(value)) {
    for (const item of value) if (item !== null && typeof item === 'object' && hasTags(item)) return true;
    return false;
  }
  if (value !== null && typeof value === 'object') {
    for (const key in value) {
      if (!Object.hasOwn(value, key)) continue;
      const item = (value as Record<string, unknown>)[key];
      if (item !== null && typeof item === 'object' && hasTags(item)) return true;
    }
  }
  return false;
}

/** The value without merge tags, for reading only: the value itself when it has none. */
export function readableWithoutTags(value: unknown): unknown {
  return hasTags(value) ? stripTags(value) : value;
}

/** Removes the merge tags from a value that has no base to merge with (always a fresh copy). */
export function stripTags(value: unknown): unknown {
  const out = cleanItem(value);
  return out === REMOVE ? undefined : out;
}

function cleanItem(value: unknown): unknown {
  if (value instanceof TaggedValue) return value.tag === '!reset' ? REMOVE : stripTags(value.value);
  if (Array.isArray(value)) return value.map(cleanItem).filter((v) => v !== REMOVE);
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    // Keys rather than entries: no [key, value] pair per property, which is most of what a large file allocates here.
    for (const k of Object.keys(value)) {
      const cleaned = cleanItem(value[k]);
      if (cleaned !== REMOVE) setOwn(out, k, cleaned);
    }
    return out;
  }
  return value;
}

function toSequence(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value;
  if (isPlainObject(value)) {
    // compose-go turns `key: value` into `key=value` (one per value for lists), sorted.
    const seq: string[] = [];
    for (const [k, v] of Object.entries(value)) {
      if (v === null || v === undefined) seq.push(k);
      else if (Array.isArray(v)) for (const item of v) seq.push(`${k}=${String(item)}`);
      else seq.push(`${k}=${String(v)}`);
    }
    return seq.sort();
  }
  return [value];
}

/** `KEY=VALUE` / `KEY` list items (or a mapping) as a mapping; `KEY` alone maps to null. */
function toMapping(value: unknown, listDefault: () => unknown = () => null): Record<string, unknown> {
  if (isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  if (Array.isArray(value)) {
    for (const item of value) {
      if (item instanceof TaggedValue) continue;
      const text = String(item);
      const eq = text.indexOf('=');
      if (listDefault !== nullDefault) setOwn(out, text, listDefault());
      else if (eq < 0) setOwn(out, text, null);
      else setOwn(out, text.slice(0, eq), text.slice(eq + 1));
    }
  }
  return out;
}
const nullDefault = () => null;

const replace: Merger = (_base, over) => stripTags(over);

/** environment, labels, ...: both sides as mappings, the later value wins per key. */
const asMapping: Merger = (base, over, path) => mergeMappings(toMapping(base, nullDefault), toMapping(over, nullDefault), path, false);

/** networks, models of a service: a list of names is a mapping of names to null. */
const namesAsMapping: Merger = (base, over, path) => mergeMappings(toMapping(base, nullDefault), toMapping(over, nullDefault), path, true);

const dependsOn: Merger = (base, over, path) => {
  const defaults = () => ({ condition: 'service_started', required: true });
  const asMap = (v: unknown) => (Array.isArray(v) ? toMapping(v, defaults) : toMapping(v, nullDefault));
  return mergeMappings(asMap(base), asMap(over), path, true);
};

const build: Merger = (base, over, path) => {
  const asMap = (v: unknown) => (typeof v === 'string' ? { context: v } : isPlainObject(v) ? v : {});
  return mergeMappings(asMap(base), asMap(over), path, true);
};

/** Logging options merge only when both sides use the same driver (or one names none). */
const logging: Merger = (base, over, path) => {
  if (isPlainObject(base) && isPlainObject(over) && base['driver'] !== undefined && over['driver'] !== undefined && base['driver'] !== over['driver']) {
    return stripTags(over);
  }
  return mergeMappings(isPlainObject(base) ? base : {}, isPlainObject(over) ? over : {}, path, true);
};

/** Sequences appended, then one entry per key, a later entry replacing an earlier one in place. */
function uniqueBy(indexer: Indexer): Merger {
  return (base, over) => {
    const items = [...toSequence(base), ...toSequence(over).map(cleanItem).filter((v) => v !== REMOVE)];
    const out: unknown[] = [];
    const seen = new Map<string, number>();
    for (const item of items) {
      const key = indexer(item);
      const at = seen.get(key);
      if (at === undefined) {
        seen.set(key, out.length);
        out.push(item);
      } else out[at] = item;
    }
    return out;
  };
}

const stringKey: Indexer = (item) => (typeof item === 'string' ? item : JSON.stringify(item));
const keyOfKeyValue: Indexer = (item) => (typeof item === 'string' ? item.split('=')[0]! : JSON.stringify(item));

/** `[host_ip:][published:]target[/protocol]`, or the long form, as one comparable key. */
export const portKey: Indexer = (item) => {
  const hostIp = (ip: unknown) => (ip === undefined || ip === '' || ip === '0.0.0.0' ? '' : String(ip));
  if (isPlainObject(item)) {
    const published = item['published'] === undefined ? '' : String(item['published']);
    return `${hostIp(item['host_ip'])}|${published}|${String(item['target'])}/${String(item['protocol'] ?? 'tcp')}`;
  }
  const text = String(item);
  const slash = text.lastIndexOf('/');
  const protocol = slash >= 0 ? text.slice(slash + 1) : 'tcp';
  const spec = slash >= 0 ? text.slice(0, slash) : text;
  let ip = '';
  let rest = spec;
  const bracket = /^\[([^\]]*)\]:(.*)$/.exec(spec);
  if (bracket) [, ip, rest] = bracket as unknown as [string, string, string];
  const parts = rest.split(':');
  const target = parts.pop() ?? '';
  const published = parts.pop() ?? '';
  if (!bracket) ip = parts.join(':');
  return `${hostIp(ip)}|${published}|${target}/${protocol}`;
};

/** Service volumes by container path: `src:dst[:mode]`, `dst`, or `target:` of the long form. */
export const volumeKey: Indexer = (item) => {
  if (isPlainObject(item)) return String(item['target']);
  const parts = String(item).split(':');
  return parts.length === 1 ? parts[0]! : parts[1]!;
};

const deviceKey: Indexer = (item) => {
  if (isPlainObject(item)) return String(item['target']);
  const parts = String(item).split(':');
  return parts[1] ?? parts[0]!;
};

/** Secrets and configs by where they appear in the container. */
function mountKey(defaultDir: string): Indexer {
  return (item) => {
    if (isPlainObject(item)) {
      const target = item['target'];
      if (typeof target === 'string') return target.startsWith('/') ? target : defaultDir + target;
      return defaultDir + String(item['source']);
    }
    return defaultDir + String(item);
  };
}

const envFileKey: Indexer = (item) => (isPlainObject(item) ? String(item['path']) : String(item));

/** compose-go keeps extra_hosts as `host=ip` entries, dropping exact repeats. */
const extraHosts: Merger = uniqueBy(stringKey);

/** IPAM pools by subnet: the same subnet merges, a new one is added. */
const ipamConfig: Merger = (base, over, path) => {
  const out = toSequence(base).slice();
  for (const raw of toSequence(over)) {
    const item = cleanItem(raw);
    if (item === REMOVE) continue;
    const at = out.findIndex((b) => isPlainObject(b) && isPlainObject(item) && b['subnet'] === item['subnet']);
    if (at >= 0 && isPlainObject(item)) out[at] = mergeMappings(out[at] as Record<string, unknown>, item, path, true);
    else out.push(item);
  }
  return out;
};

/** The exceptions to "mappings merge, sequences append, scalars replace". */
export const MERGE_RULES: Readonly<Record<string, Merger>> = {
  'services.*.command': replace,
  'services.*.entrypoint': replace,
  'services.*.healthcheck.test': replace,
  'services.*.ulimits.*': replace,
  'services.*.environment': asMapping,
  'services.*.labels': asMapping,
  'services.*.annotations': asMapping,
  'services.*.sysctls': asMapping,
  'services.*.build.args': asMapping,
  'services.*.build.labels': asMapping,
  'services.*.build.additional_contexts': asMapping,
  'services.*.deploy.labels': asMapping,
  'networks.*.labels': asMapping,
  'volumes.*.labels': asMapping,
  'secrets.*.labels': asMapping,
  'configs.*.labels': asMapping,
  'services.*.extra_hosts': extraHosts,
  'services.*.build.extra_hosts': extraHosts,
  'services.*.dns': uniqueBy(keyOfKeyValue),
  'services.*.dns_opt': uniqueBy(keyOfKeyValue),
  'services.*.dns_search': uniqueBy(keyOfKeyValue),
  'services.*.tmpfs': uniqueBy(keyOfKeyValue),
  'services.*.cap_add': uniqueBy(stringKey),
  'services.*.cap_drop': uniqueBy(stringKey),
  'services.*.links': uniqueBy(keyOfKeyValue),
  'services.*.profiles': uniqueBy(stringKey),
  'services.*.expose': uniqueBy((item) => String(item)),
  'services.*.build.tags': uniqueBy(stringKey),
  'services.*.networks.*.aliases': uniqueBy(stringKey),
  'services.*.networks.*.link_local_ips': uniqueBy(stringKey),
  'services.*.env_file': uniqueBy(envFileKey),
  'services.*.label_file': uniqueBy(stringKey),
  'services.*.ports': uniqueBy(portKey),
  'services.*.volumes': uniqueBy(volumeKey),
  'services.*.devices': uniqueBy(deviceKey),
  'services.*.secrets': uniqueBy(mountKey('/run/secrets/')),
  'services.*.configs': uniqueBy(mountKey('/')),
  'services.*.depends_on': dependsOn,
  'services.*.networks': namesAsMapping,
  'services.*.models': namesAsMapping,
  'services.*.build': build,
  'services.*.logging': logging,
  'networks.*.ipam.config': ipamConfig,
};

/** Rules indexed by depth and last segment, since every node of every file is checked. */
const RULE_INDEX = new Map<string, { segments: string[]; merger: Merger }[]>();
for (const [pattern, merger] of Object.entries(MERGE_RULES)) {
  const segments = pattern.split('.');
  const slot = `${segments.length}:${segments[segments.length - 1]}`;
  RULE_INDEX.set(slot, [...(RULE_INDEX.get(slot) ?? []), { segments, merger }]);
}

/** The rules as a tree of path segments, walked once per lookup without building strings or arrays. */
interface RuleNode {
  merger?: Merger;
  readonly children: Map<string, RuleNode>;
  star?: RuleNode;
}
const RULE_TREE: RuleNode = { children: new Map() };
for (const [pattern, merger] of Object.entries(MERGE_RULES)) {
  let node = RULE_TREE;
  for (const segment of pattern.split('.')) {
    let next = segment === '*' ? node.star : node.children.get(segment);
    if (!next) {
      next = { children: new Map() };
      if (segment === '*') node.star = next;
      else node.children.set(segment, next);
    }
    node = next;
  }
  node.merger = merger;
}
/** The tree needs no backtracking while no level has both a named segment and `*`; otherwise the patterns are matched one by one. */
const TREE_IS_EXACT = ((): boolean => {
  const ok = (node: RuleNode): boolean => !(node.star && node.children.size > 0) && [...node.children.values(), ...(node.star ? [node.star] : [])].every(ok);
  return ok(RULE_TREE);
})();

function ruleFor(path: Path): Merger | undefined {
  if (!TREE_IS_EXACT) return ruleByPatterns(path);
  let node: RuleNode | undefined = RULE_TREE;
  for (const segment of path) {
    node = node.children.get(segment) ?? node.star;
    if (!node) return undefined;
  }
  return node === RULE_TREE ? undefined : node.merger;
}

function ruleByPatterns(path: Path): Merger | undefined {
  const n = path.length;
  if (n === 0) return undefined;
  const candidates = [...(RULE_INDEX.get(`${n}:${path[n - 1]}`) ?? []), ...(RULE_INDEX.get(`${n}:*`) ?? [])];
  for (const { segments, merger } of candidates) {
    if (segments.every((s, i) => s === '*' || s === path[i])) return merger;
  }
  return undefined;
}

/** Merges `over` onto `base` at `path`; `base` is undefined when nothing came before. */
export function mergeValue(base: unknown, over: unknown, path: Path): unknown {
  if (over instanceof TaggedValue) return over.tag === '!reset' ? REMOVE : stripTags(over.value);
  const rule = ruleFor(path);
  // A key written with no value (`environment:`) keeps what came before, as in compose-go.
  if (over === null) return base === undefined ? null : base;
  if (rule) return rule(base, over, path);
  if (isPlainObject(over)) return mergeMappings(isPlainObject(base) ? base : {}, over, path, true);
  if (Array.isArray(over)) {
    const items = over.map(cleanItem).filter((v) => v !== REMOVE);
    return Array.isArray(base) ? [...base, ...items] : items;
  }
  return over;
}

function mergeMappings(base: Record<string, unknown>, over: Record<string, unknown>, path: Path, deep: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(base)) setOwn(out, k, base[k]);
  for (const key of Object.keys(over)) {
    const value = over[key];
    const merged = deep ? mergeValue(out[key], value, [...path, key]) : cleanItem(value);
    if (merged === REMOVE) delete out[key];
    else setOwn(out, key, merged);
  }
  return out;
}

/** Merges whole compose documents in order; the first one is cleaned the same way. */
export function mergeDocuments(documents: readonly Record<string, unknown>[]): Record<string, unknown> {
  let merged: Record<string, unknown> = {};
  for (const doc of documents) merged = mergeValue(merged, doc, []) as Record<string, unknown>;
  return merged;
}

/** Merges a service onto the service it extends (the same rules, at a service path). */
export function mergeService(base: Record<string, unknown>, service: Record<string, unknown>): Record<string, unknown> {
  // Tags in the base were written against the base's own earlier definitions, not against the service extending it.
  // Without tags the base is used as it is: merging never changes its input, and the file merge copies the result.
  return mergeValue(hasTags(base) ? stripTags(base) : base, service, ['services', '_']) as Record<string, unknown>;
}
