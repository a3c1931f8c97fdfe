// `config` output: the Project printed like `docker compose config` prints
// compose-go's types.Project, in JSON (`--format json`) or YAML.

import { Document, Scalar, visit } from 'yaml';
import type { Project } from '../types.js';
import { PROJECT, type Format, type Shape } from './shapes.js';

/** Fields of the Project that are ours only and never printed. */
const PRIVATE_KEYS = new Set(['workingDir', 'disabledServices']);

function isZero(value: unknown): boolean {
  if (value === false || value === 0 || value === '' || value === undefined) return true;
  if (Array.isArray(value)) return value.length === 0;
  if (value !== null && typeof value === 'object') return Object.keys(value).length === 0;
  return false;
}

function byKey(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The value as Go would print it: ordered keys, zero values dropped, custom printers applied. */
export function printable(value: unknown, shape: Shape | undefined, format: Format): unknown {
  if (value === null || value === undefined) return value ?? null;
  if (shape?.kind === 'custom') return shape.print(value, format);
  if (Array.isArray(value)) {
    const item = shape?.kind === 'list' ? shape.item : undefined;
    return value.map((v) => printable(v, item, format));
  }
  if (typeof value !== 'object') return value;
  const record = value as Record<string, unknown>;
  if (shape?.kind !== 'struct') {
    const inner = shape?.kind === 'map' ? shape.value : undefined;
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(record).sort(byKey)) out[key] = printable(record[key], inner, format);
    return out;
  }
  const out: Record<string, unknown> = {};
  const keep = new Set([...(shape.keep ?? []), ...(format === 'json' ? (shape.keepInJson ?? []) : [])]);
  const known = new Set(shape.order);
  const hidden = new Set(shape.hide?.(record) ?? []);
  for (const key of shape.order) {
    if (hidden.has(key)) continue;
    const v = record[key];
    if (v === undefined) continue;
    if (isZero(v) && !keep.has(key)) continue;
    out[key] = printable(v, shape.fields?.[key], format);
  }
  // Extensions (x-*) are inline in YAML; compose-go's structs do not print them in JSON.
  for (const key of Object.keys(record).filter((k) => !known.has(k) && !PRIVATE_KEYS.has(k)).sort(byKey)) {
    if (key.startsWith('x-') && format === 'json') continue;
    if (record[key] === undefined) continue;
    out[key] = printable(record[key], undefined, format);
  }
  return out;
}

/** The printable project. In JSON, services always carry `command` and `entrypoint` (null when unset), like compose-go. */
export function printableProject(project: Project, format: Format): Record<string, unknown> {
  let source: Project = project;
  if (format === 'json') {
    const services: Record<string, unknown> = {};
    for (const [name, service] of Object.entries(project.services ?? {})) {
      services[name] = { command: null, entrypoint: null, ...service };
    }
    source = { ...project, services } as Project;
  }
  const out = printable(source, PROJECT, format) as Record<string, unknown>;
  out.services ??= {};
  if (format === 'yaml') return out;
  // compose-go marshals the project through a Go map: sorted keys, and no models.
  const sorted: Record<string, unknown> = {};
  // Its project-level extensions are printed too, unlike those of services.
  const withExtensions: Record<string, unknown> = { ...out };
  for (const [key, value] of Object.entries(project)) if (key.startsWith('x-')) withExtensions[key] = printable(value, undefined, format);
  for (const key of Object.keys(withExtensions).sort(byKey)) if (key !== 'models') sorted[key] = withExtensions[key];
  return sorted;
}

/** Go's encoding/json escapes HTML-significant characters; so does docker compose's output. */
function goJsonEscape(text: string): string {
  return text.replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function projectToJson(project: Project): string {
  return goJsonEscape(JSON.stringify(printableProject(project, 'json'), null, 2));
}

/**
 * Strings a YAML 1.1 reader would take for another type (go-yaml's resolver:
 * null, old booleans like `yes`/`on`, Go integer and float syntax, base-60
 * numbers). go-yaml double-quotes exactly these.
 */
const AMBIGUOUS = [
  /^(?:~|null|Null|NULL)$/,
  /^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/,
  /^[-+]?(?:0[xX][0-9a-fA-F_]+|0[oO]?[0-7_]+|0[bB][01_]+|[0-9][0-9_]*)$/,
  /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/,
  /^[-+]?\.(?:inf|Inf|INF)$|^\.(?:nan|NaN|NAN)$/,
  /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/,
];

function ambiguous(text: string): boolean {
  return text === '' || AMBIGUOUS.some((re) => re.test(text));
}

/**
 * YAML written like go-yaml v3 writes it (docker compose's encoder): block
 * style, 2-space indent, double quotes for strings that would read back as
 * another type, single quotes where a plain scalar is not possible.
 */
export function projectToYaml(project: Project): string {
  const doc = new Document(printableProject(project, 'yaml'), { aliasDuplicateObjects: false });
  visit(doc, {
    Scalar(_key, node: Scalar) {
      if (typeof node.value === 'string' && !node.value.includes('\n') && ambiguous(node.value)) node.type = Scalar.QUOTE_DOUBLE;
    },
  });
  return doc.toString({ indent: 2, lineWidth: 0, singleQuote: true });
}

export function serializeProject(project: Project, format: Format): string {
  return format === 'json' ? projectToJson(project) : projectToYaml(project);
}

export type { Format };
