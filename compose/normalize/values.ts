// Small conversions shared by the attribute tables: the many ways compose
// lets a user write a mapping, a list, a boolean or a number, turned into one.

export type Dict = Record<string, unknown>;

export class ValueError extends Error {}

export function isDict(value: unknown): value is Dict {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Go's strconv.ParseBool, which compose-go applies to quoted booleans. */
export function toBool(value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  const text = String(value);
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(text)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(text)) return false;
  throw new ValueError(`invalid boolean ${JSON.stringify(text)}: use true or false`);
}

export function toInt(value: unknown): number {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  const text = String(value).trim();
  if (!/^[-+]?\d+$/.test(text)) throw new ValueError(`invalid integer ${JSON.stringify(text)}`);
  return Number(text);
}

export function toNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  const text = String(value).trim();
  const n = Number(text);
  if (text === '' || Number.isNaN(n)) throw new ValueError(`invalid number ${JSON.stringify(text)}`);
  return n;
}

/** Scalars as YAML wrote them: numbers and booleans keep their spelling. */
export function scalarString(value: unknown): string {
  if (value === null || value === undefined) return '';
  return typeof value === 'string' ? value : String(value);
}

/**
 * `["A=1", "B"]` or `{A: 1, B: null}` -> `{A: "1", B: null}`: entries
 * without a value map to `null` so callers decide how to resolve them.
 */
export function toNullableMap(value: unknown, separator = '='): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  if (Array.isArray(value)) {
    for (const entry of value) {
      const text = scalarString(entry);
      const at = text.indexOf(separator);
      if (at < 0) out[text] = null;
      else out[text.slice(0, at)] = text.slice(at + separator.length);
    }
  } else if (isDict(value)) {
    for (const [key, v] of Object.entries(value)) out[key] = v === null || v === undefined ? null : scalarString(v);
  }
  return out;
}

/** Labels, sysctls, options: a missing value is the empty string. */
export function toStringMap(value: unknown, separator = '='): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(toNullableMap(value, separator))) out[k] = v ?? '';
  return out;
}

export function toStringList(value: unknown): string[] {
  if (value === null || value === undefined) return [];
  if (Array.isArray(value)) return value.map(scalarString);
  return [scalarString(value)];
}
