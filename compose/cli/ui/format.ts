// Events to text. One formatter per event kind, in a table whose type
// requires every kind: a new event kind without a case does not compile
// (STYLE 8).

import type { ProgressEvent, ProgressEventKind, ResourceEvent } from '../executor/events.js';
import { RESOURCE_TITLE } from '../executor/events.js';

type Formatters = { readonly [K in ProgressEventKind]: (event: Extract<ProgressEvent, { kind: K }>) => string };

/** `Container app-db-1  Started` (docker compose's plain progress). */
export function resourceLine(event: ResourceEvent): string {
  const base = `${RESOURCE_TITLE[event.resource]} ${event.name}  ${event.status}`;
  return event.detail ? `${base}  ${event.detail}` : base;
}

export const PLAIN_FORMAT: Formatters = {
  resource: resourceLine,
  warning: (e) => `WARN ${e.message}`,
  log: (e) => `${e.container}  | ${e.line}`,
};

export function formatPlain(event: ProgressEvent): string {
  return (PLAIN_FORMAT[event.kind] as (e: ProgressEvent) => string)(event);
}

/** Seconds with one decimal, as docker compose's board shows them: `2.1s`. */
export function formatElapsed(ms: number | undefined): string {
  return `${((ms ?? 0) / 1000).toFixed(1)}s`;
}
