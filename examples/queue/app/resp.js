'use strict';
// A tiny Redis client: RESP2 over one TCP connection, commands pipelined in
// order, replies matched first-in first-out. Enough for this example
// (strings, integers, bulk strings, arrays, errors); no pub/sub.
const net = require('net');

class RedisError extends Error {}

function encode(args) {
  let out = `*${args.length}\r\n`;
  for (const a of args) { const s = Buffer.from(String(a)); out += `$${s.length}\r\n${s}\r\n`; }
  return out;
}

// Parses one reply at `pos`; returns [value, nextPos] or undefined when incomplete.
function parse(buf, pos) {
  const eol = buf.indexOf('\r\n', pos);
  if (eol < 0) return undefined;
  const type = String.fromCharCode(buf[pos]);
  const line = buf.toString('utf8', pos + 1, eol);
  const next = eol + 2;
  switch (type) {
    case '+': return [line, next];
    case '-': return [new RedisError(line), next];
    case ':': return [Number(line), next];
    case '$': {
      const n = Number(line);
      if (n < 0) return [null, next];
      if (buf.length < next + n + 2) return undefined;
      return [buf.toString('utf8', next, next + n), next + n + 2];
    }
    case '*': {
      const n = Number(line);
      if (n < 0) return [null, next];
      const items = [];
      let p = next;
      for (let i = 0; i < n; i++) {
        const r = parse(buf, p);
        if (!r) return undefined;
        items.push(r[0]); p = r[1];
      }
      return [items, p];
    }
    default: throw new RedisError(`unexpected reply type ${JSON.stringify(type)} from the server`);
  }
}

function connect({ host = '127.0.0.1', port = 6379 } = {}) {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host, port });
    const waiting = [];
    let buf = Buffer.alloc(0);
    let closed = null;
    sock.once('connect', () => resolve(client));
    sock.once('error', (err) => { closed = err; reject(err); });
    sock.on('close', () => {
      closed = closed || new Error(`connection to redis at ${host}:${port} closed`);
      while (waiting.length) waiting.shift().reject(closed);
    });
    sock.on('data', (chunk) => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      let pos = 0, r;
      while (waiting.length && (r = parse(buf, pos))) {
        pos = r[1];
        const w = waiting.shift();
        r[0] instanceof RedisError ? w.reject(r[0]) : w.resolve(r[0]);
      }
      buf = buf.subarray(pos);
    });
    const client = {
      call(...args) {
        if (closed) return Promise.reject(closed);
        return new Promise((res, rej) => { waiting.push({ resolve: res, reject: rej }); sock.write(encode(args)); });
      },
      close() { sock.end(); },
    };
  });
}

module.exports = { connect, RedisError, encode, parse };
