// The HTTP side of the engine: requests (and hijacked upgrades) go through
// the router; thrown errors become Docker's `{"message": ...}` answers.

import http from 'node:http';
import type { Duplex } from 'node:stream';
import { toApiError } from './api-error.js';
import { sendError } from './http-util.js';
import { splitVersion, type RouteContext, type Router } from './router.js';

export function createApiServer(router: Router, log: (line: string) => void = () => {}): http.Server {
  const handle = async (req: http.IncomingMessage, res: http.ServerResponse | undefined, socket: Duplex | undefined, head: Buffer | undefined): Promise<void> => {
    const abort = new AbortController();
    const fail = (status: number, message: string): void => {
      if (res) sendError(res, status, message);
      else if (socket && !socket.destroyed) {
        const body = JSON.stringify({ message }) + '\n';
        socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? 'Error'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
      }
    };
    try {
      if (res) res.on('close', () => { if (!res.writableFinished) abort.abort(); });
      if (socket) socket.on('close', () => abort.abort());
      const url = new URL(req.url ?? '/', 'http://engine');
      const { version, rest } = splitVersion(url.pathname);
      const { route, params, methodMismatch } = router.match(req.method ?? 'GET', rest);
      if (!route) {
        fail(methodMismatch ? 405 : 404, methodMismatch ? `method ${req.method} is not allowed on ${rest}` : 'page not found');
        return;
      }
      if (socket && !route.hijack) { fail(400, `${rest} does not upgrade the connection`); return; }
      const ctx: RouteContext = { req, res, socket, head, params, query: url.searchParams, version, signal: abort.signal };
      await route.handler(ctx);
    } catch (err) {
      const { status, message } = toApiError(err);
      if (status >= 500) log(`${req.method} ${req.url}: ${message}`);
      fail(status, message);
    }
  };
  const server = http.createServer({ requestTimeout: 0 }, (req, res) => { void handle(req, res, undefined, undefined); });
  server.on('upgrade', (req, socket, head) => { void handle(req, undefined, socket, head); });
  server.keepAliveTimeout = 30_000;
  server.headersTimeout = 60_000;
  return server;
}
