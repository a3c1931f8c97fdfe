// The route table: method + path pattern → handler. Paths may carry an API
// version prefix (`/v1.41/containers/json`) or none, as Docker's router
// accepts. `{name}` matches one segment; `{name*}` one or more (image names
// have slashes: `/images/127.0.0.1:5000/app/json`).

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { badParameter } from './api-error.js';

export const API_VERSION = '1.41';
export const MIN_API_VERSION = '1.24';
/** The newest version we answer to; a newer client gets Docker's 400. */
export const MAX_API_VERSION = '1.51';

export interface RouteContext {
  req: IncomingMessage;
  /** Undefined for hijacked (upgraded) requests. */
  res?: ServerResponse;
  /** The raw connection, for hijacked requests. */
  socket?: Duplex;
  head?: Buffer;
  params: Record<string, string>;
  query: URLSearchParams;
  /** The version asked for in the path, or API_VERSION. */
  version: string;
  signal: AbortSignal;
}

export type Handler = (ctx: RouteContext) => Promise<void> | void;

interface Route { method: string; parts: string[]; handler: Handler; hijack: boolean }

export function compareVersions(a: string, b: string): number {
  const [a1, a2] = a.split('.').map(Number);
  const [b1, b2] = b.split('.').map(Number);
  return a1 !== b1 ? a1 - b1 : a2 - b2;
}

/** Splits `/v1.41/containers/json` into the version and the rest; throws Docker's 400s for versions out of range. */
export function splitVersion(path: string): { version: string; rest: string } {
  const m = /^\/v(\d+\.\d+)(\/.*)?$/.exec(path);
  if (!m) return { version: API_VERSION, rest: path };
  const version = m[1];
  if (compareVersions(version, MAX_API_VERSION) > 0) {
    throw badParameter(`client version ${version} is too new. Maximum supported API version is ${MAX_API_VERSION}`);
  }
  if (compareVersions(version, MIN_API_VERSION) < 0) {
    throw badParameter(`client version ${version} is too old. Minimum supported API version is ${MIN_API_VERSION}, please upgrade your client to a newer version`);
  }
  return { version, rest: m[2] ?? '/' };
}

export class Router {
  private readonly routes: Route[] = [];

  add(method: string, pattern: string, handler: Handler, opts: { hijack?: boolean } = {}): this {
    this.routes.push({ method, parts: pattern.split('/').filter(Boolean), handler, hijack: !!opts.hijack });
    return this;
  }

  /** The handler and params for a method and an unversioned path; `methodMismatch` when only the method is wrong. */
  match(method: string, path: string): { route?: Route; params: Record<string, string>; methodMismatch: boolean } {
    const segs = path.split('/').filter(Boolean).map((s) => {
      try { return decodeURIComponent(s); } catch { return s; }
    });
    let methodMismatch = false;
    for (const route of this.routes) {
      const params = matchParts(route.parts, segs);
      if (!params) continue;
      const m = method === 'HEAD' && route.method === 'GET' ? 'GET' : method;
      if (route.method !== m) { methodMismatch = true; continue; }
      return { route, params, methodMismatch: false };
    }
    return { params: {}, methodMismatch };
  }

  list(): { method: string; pattern: string; hijack: boolean }[] {
    return this.routes.map((r) => ({ method: r.method, pattern: `/${r.parts.join('/')}`, hijack: r.hijack }));
  }
}

function matchParts(parts: string[], segs: string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  const greedy = parts.findIndex((p) => /^\{\w+\*\}$/.test(p));
  if (greedy < 0) {
    if (parts.length !== segs.length) return undefined;
    for (let i = 0; i < parts.length; i++) if (!bind(parts[i], segs[i], params)) return undefined;
    return params;
  }
  const after = parts.length - greedy - 1;
  if (segs.length < parts.length) return undefined;
  for (let i = 0; i < greedy; i++) if (!bind(parts[i], segs[i], params)) return undefined;
  for (let i = 0; i < after; i++) if (!bind(parts[parts.length - 1 - i], segs[segs.length - 1 - i], params)) return undefined;
  params[parts[greedy].slice(1, -2)] = segs.slice(greedy, segs.length - after).join('/');
  return params;
}

function bind(part: string, seg: string, params: Record<string, string>): boolean {
  const m = /^\{(\w+)\}$/.exec(part);
  if (m) { if (!seg) return false; params[m[1]] = seg; return true; }
  return part === seg;
}
