// Small helpers for the API handlers: typed query parameters with Docker's
// parsing rules and error texts, JSON bodies, JSON answers.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Filters } from '../client/types.js';
import { badParameter } from './api-error.js';

/** Docker's BoolValue: "", "0", "no", "false", "none" are false; any other value is true. */
export function boolParam(q: URLSearchParams, name: string, dflt = false): boolean {
  const v = q.get(name);
  if (v === null) return dflt;
  return !['', '0', 'no', 'false', 'none'].includes(v.trim().toLowerCase());
}

export function intParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  if (!/^-?\d+$/.test(v.trim())) throw badParameter(`invalid value for ${name}: strconv.Atoi: parsing "${v}": invalid syntax`);
  return Number(v);
}

/** `filters={"label":["a=b"]}`; the older map form `{"label":{"a=b":true}}` is accepted as well. */
export function filtersParam(q: URLSearchParams): Filters {
  const raw = q.get('filters');
  if (!raw) return {};
  let parsed: unknown;
  try { parsed = JSON.parse(raw); } catch { throw badParameter(`invalid filter: invalid character in filters JSON: ${raw.slice(0, 100)}`); }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw badParameter('invalid filter: filters must be a JSON object');
  const out: Filters = {};
  for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) {
    if (Array.isArray(v)) out[k] = v.map(String);
    else if (v && typeof v === 'object') out[k] = Object.entries(v as Record<string, unknown>).filter(([, on]) => on).map(([x]) => x);
    else throw badParameter(`invalid filter: the value of "${k}" must be a list`);
  }
  return out;
}

export async function readBody(req: IncomingMessage, limit = 16 << 20): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > limit) throw badParameter(`request body too large (over ${limit} bytes)`);
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

/** A JSON body; `undefined` when empty. A body that is not JSON is a 400 like Docker's. */
export async function jsonBody<T>(req: IncomingMessage): Promise<T | undefined> {
  const buf = await readBody(req);
  if (buf.length === 0) return undefined;
  const ct = (req.headers['content-type'] ?? '').split(';')[0].trim();
  if (ct && ct !== 'application/json') throw badParameter(`unsupported Content-Type header (${ct}): must be 'application/json'`);
  try {
    return JSON.parse(buf.toString('utf8')) as T;
  } catch (e) {
    throw badParameter(`invalid JSON: ${(e as Error).message}`);
  }
}

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = Buffer.from(JSON.stringify(value) + '\n');
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': body.length });
  res.end(body);
}

export function sendEmpty(res: ServerResponse, status: number): void {
  res.writeHead(status, { 'Content-Length': 0 });
  res.end();
}

export function sendError(res: ServerResponse, status: number, message: string): void {
  if (res.headersSent) {
    // Mid-stream: the status is gone; end the stream so the client sees it stop.
    res.destroy();
    return;
  }
  sendJson(res, status, { message });
}
