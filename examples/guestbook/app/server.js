'use strict';
// Guestbook: a page of entries with a form, backed by MariaDB/MySQL.
//   GET  /          HTML page (entries, newest first, and a form)
//   GET  /entries   the entries as JSON
//   POST /entries   add one: form (redirects to /) or JSON (201 + the entry)
//   GET  /healthz   200 when the database answers, 503 otherwise
// Settings come from the environment: DB_HOST (db), DB_PORT (3306), DB_USER,
// DB_PASSWORD, DB_NAME, PORT (8080), HOST (all addresses). The only dependency is Debian's
// node-mysql package (`require('mysql')`).
const http = require('http');
const os = require('os');
const querystring = require('querystring');
const mysql = require('mysql');

const env = process.env;
const PORT = Number(env.PORT || 8080);
const db = {
  host: env.DB_HOST || 'db',
  port: Number(env.DB_PORT || 3306),
  user: env.DB_USER || 'guestbook',
  password: env.DB_PASSWORD || '',
  database: env.DB_NAME || 'guestbook',
  charset: 'utf8mb4',
  connectTimeout: 5000,
};
const MAX_BODY = 64 * 1024;

const log = (...a) => console.log(new Date().toISOString(), ...a);
const pool = mysql.createPool({ ...db, connectionLimit: 5 });
const query = (sql, args) => new Promise((resolve, reject) => {
  pool.query(sql, args, (err, rows) => (err ? reject(err) : resolve(rows)));
});

let ready = false;

async function prepareDatabase() {
  // The database container may still be initializing: retry until it answers.
  for (let attempt = 1; ; attempt++) {
    try {
      await query(`CREATE TABLE IF NOT EXISTS entries (
        id INT AUTO_INCREMENT PRIMARY KEY,
        name VARCHAR(80) NOT NULL,
        message VARCHAR(1000) NOT NULL,
        created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
      ) DEFAULT CHARSET=utf8mb4`);
      ready = true;
      log(`database ${db.user}@${db.host}:${db.port}/${db.database} is ready`);
      return;
    } catch (err) {
      log(`waiting for the database at ${db.host}:${db.port} (attempt ${attempt}): ${err.code || err.message}`);
      await new Promise((r) => setTimeout(r, Math.min(500 * attempt, 3000)));
    }
  }
}

const escapeHtml = (s) => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));

function page(entries, error) {
  const items = entries.map((e) => `
      <li><p>${escapeHtml(e.message)}</p><small>— ${escapeHtml(e.name)}, ${new Date(e.created_at).toISOString().replace('T', ' ').slice(0, 16)} UTC</small></li>`).join('');
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Guestbook</title>
  <style>
    body { font: 16px/1.5 system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
    form { display: grid; gap: .5rem; margin-bottom: 2rem; }
    input, textarea, button { font: inherit; padding: .4rem; }
    ul { list-style: none; padding: 0; } li { border-bottom: 1px solid #ddd; padding: .5rem 0; }
    li p { margin: 0; white-space: pre-wrap; } small, footer { color: #777; }
    .error { color: #b00; }
  </style>
</head>
<body>
  <h1>Guestbook</h1>
  ${error ? `<p class="error">${escapeHtml(error)}</p>` : ''}
  <form method="post" action="/entries">
    <input name="name" placeholder="Your name" maxlength="80" required>
    <textarea name="message" placeholder="Say hello" maxlength="1000" rows="3" required></textarea>
    <button type="submit">Sign the guestbook</button>
  </form>
  <ul id="entries">${items || '\n      <li><small>No entries yet: be the first.</small></li>'}
  </ul>
  <footer>Served by ${escapeHtml(os.hostname())} · ${entries.length} entr${entries.length === 1 ? 'y' : 'ies'}</footer>
</body>
</html>
`;
}

function send(res, status, body, type = 'application/json; charset=utf-8', headers = {}) {
  const data = typeof body === 'string' ? body : JSON.stringify(body) + '\n';
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(data), ...headers });
  res.end(data);
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks = [];
    req.on('data', (c) => {
      size += c.length;
      if (size > MAX_BODY) { reject(Object.assign(new Error('body too large'), { status: 413 })); req.destroy(); return; }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

const listEntries = () => query('SELECT id, name, message, created_at FROM entries ORDER BY id DESC LIMIT 100');

async function addEntry(req, res) {
  const type = (req.headers['content-type'] || '').split(';')[0].trim();
  const raw = await readBody(req);
  let input;
  if (type === 'application/json') {
    try { input = JSON.parse(raw); } catch { return send(res, 400, { error: 'the body is not valid JSON' }); }
  } else if (type === 'application/x-www-form-urlencoded' || type === '') {
    input = querystring.parse(raw);
  } else {
    return send(res, 415, { error: `send application/json or a form, not ${type}` });
  }
  const name = String(input.name || '').trim().slice(0, 80) || 'anonymous';
  const message = String(input.message || '').trim();
  const wantsJson = type === 'application/json';
  if (!message || message.length > 1000) {
    const error = 'message must be 1 to 1000 characters';
    return wantsJson ? send(res, 400, { error }) : send(res, 400, page(await listEntries(), error), 'text/html; charset=utf-8');
  }
  const result = await query('INSERT INTO entries (name, message) VALUES (?, ?)', [name, message]);
  const [entry] = await query('SELECT id, name, message, created_at FROM entries WHERE id = ?', [result.insertId]);
  log(`entry ${entry.id} added by ${JSON.stringify(name)}`);
  if (wantsJson) return send(res, 201, entry, undefined, { location: `/entries/${entry.id}` });
  res.writeHead(303, { location: '/' });
  res.end();
}

async function handle(req, res) {
  const url = new URL(req.url, 'http://localhost');
  if (url.pathname === '/healthz') {
    if (!ready) return send(res, 503, { status: 'starting', db: 'waiting' });
    try { await query('SELECT 1'); return send(res, 200, { status: 'ok', db: 'up' }); }
    catch (err) { return send(res, 503, { status: 'error', db: err.code || err.message }); }
  }
  if (!ready) return send(res, 503, { error: 'the database is not ready yet; retry in a moment' }, undefined, { 'retry-after': '2' });
  if (url.pathname === '/' && (req.method === 'GET' || req.method === 'HEAD')) {
    return send(res, 200, page(await listEntries()), 'text/html; charset=utf-8');
  }
  if (url.pathname === '/entries' && req.method === 'GET') return send(res, 200, await listEntries());
  if (url.pathname === '/entries' && req.method === 'POST') return addEntry(req, res);
  return send(res, 404, { error: `no route for ${req.method} ${url.pathname}` });
}

const server = http.createServer((req, res) => {
  handle(req, res).catch((err) => {
    log(`${req.method} ${req.url} failed: ${err.stack || err}`);
    if (!res.headersSent) send(res, err.status || 500, { error: err.status ? err.message : 'internal error; see the web service logs' });
    else res.destroy();
  });
});

// As PID 1 in a container, the default SIGTERM action does nothing: stop on
// our own, so `stop` is quick instead of waiting for the kill.
for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, () => {
    log(`${sig}: shutting down`);
    server.close(() => pool.end(() => process.exit(0)));
    setTimeout(() => process.exit(0), 3000).unref();
  });
}

// HOST narrows the listening address (tests on a shared network namespace use 127.0.0.1).
server.listen(PORT, env.HOST || undefined, () => log(`guestbook listening on ${env.HOST || '*'}:${PORT}`));
prepareDatabase();
