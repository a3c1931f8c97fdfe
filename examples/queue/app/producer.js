'use strict';
// The queue's HTTP API.
//   POST /jobs      {"text": "..."} → 202 {"id", "status": "queued"}
//   GET  /jobs/:id  → {"id", "status": queued|running|done|failed, "result"?, ...}
//   GET  /stats     → queue length and counts
//   GET  /healthz   → 200 when redis answers
const http = require('http');
const { QUEUE, log, connectRetrying, pairs, onStop } = require('./common');

const PORT = Number(process.env.PORT || 8080);
const MAX_BODY = 64 * 1024;
let db = null;

function send(res, status, body, headers = {}) {
  const data = JSON.stringify(body) + '\n';
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(data), ...headers });
  res.end(data);
}

function readJson(req) {
  return new Promise((resolve, reject) => {
    const chunks = []; let size = 0;
    req.on('data', (c) => { size += c.length; if (size > MAX_BODY) { req.destroy(); reject(Object.assign(new Error('body too large (64 KiB at most)'), { status: 413 })); } else chunks.push(c); });
    req.on('end', () => {
      try { resolve(JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}')); }
      catch { reject(Object.assign(new Error('the body is not valid JSON'), { status: 400 })); }
    });
    req.on('error', reject);
  });
}

function jobView(id, h) {
  const job = { id: Number(id), status: h.status, text: h.text, created_at: h.created_at };
  if (h.result) job.result = JSON.parse(h.result);
  if (h.error) job.error = h.error;
  if (h.worker) job.worker = h.worker;
  if (h.finished_at) job.finished_at = h.finished_at;
  return job;
}

async function handle(req, res) {
  const url = new URL(req.url, 'http://localhost');
  if (url.pathname === '/healthz') {
    if (!db) return send(res, 503, { status: 'starting' });
    await db.call('PING');
    return send(res, 200, { status: 'ok', redis: 'up' });
  }
  if (!db) return send(res, 503, { error: 'redis is not reachable yet; retry in a moment' }, { 'retry-after': '2' });
  if (url.pathname === '/jobs' && req.method === 'POST') {
    const body = await readJson(req);
    if (typeof body.text !== 'string' || !body.text) return send(res, 400, { error: 'send {"text": "..."}: a non-empty string to process' });
    const id = await db.call('INCR', 'jobs:next-id');
    await db.call('HSET', `job:${id}`, 'status', 'queued', 'text', body.text, 'created_at', new Date().toISOString());
    await db.call('LPUSH', QUEUE, id);
    log(`job ${id} queued`);
    return send(res, 202, { id, status: 'queued' }, { location: `/jobs/${id}` });
  }
  const m = /^\/jobs\/(\d+)$/.exec(url.pathname);
  if (m && req.method === 'GET') {
    const h = pairs(await db.call('HGETALL', `job:${m[1]}`));
    if (!h.status) return send(res, 404, { error: `no job ${m[1]}` });
    return send(res, 200, jobView(m[1], h));
  }
  if (url.pathname === '/stats' && req.method === 'GET') {
    const [queued, done, failed] = await Promise.all([db.call('LLEN', QUEUE), db.call('GET', 'jobs:done'), db.call('GET', 'jobs:failed')]);
    return send(res, 200, { queued, done: Number(done || 0), failed: Number(failed || 0) });
  }
  return send(res, 404, { error: `no route for ${req.method} ${url.pathname}` });
}

const server = http.createServer((req, res) => {
  handle(req, res).catch((err) => {
    log(`${req.method} ${req.url} failed: ${err.message}`);
    if (!res.headersSent) send(res, err.status || 503, { error: err.status ? err.message : `redis: ${err.message}` });
  });
});

async function keepConnected() {
  for (;;) {
    db = await connectRetrying('producer');
    await new Promise((resolve) => {
      const ping = setInterval(() => db.call('PING').catch(() => { clearInterval(ping); resolve(); }), 2000);
    });
    log('producer: lost redis, reconnecting');
    db = null;
  }
}

onStop(() => server.close(() => process.exit(0)));
server.listen(PORT, process.env.HOST || undefined, () => log(`producer listening on ${process.env.HOST || '*'}:${PORT}`));
keepConnected();
