'use strict';
// What the producer and the worker share: settings and a Redis connection that
// is retried until the server answers (it may still be starting).
const { connect } = require('./resp');

const redis = { host: process.env.REDIS_HOST || 'redis', port: Number(process.env.REDIS_PORT || 6379) };
const QUEUE = process.env.QUEUE_NAME || 'jobs';
const log = (...a) => console.log(new Date().toISOString(), ...a);

async function connectRetrying(what) {
  for (let attempt = 1; ; attempt++) {
    try {
      const c = await connect(redis);
      await c.call('PING');
      log(`${what}: connected to redis at ${redis.host}:${redis.port}`);
      return c;
    } catch (err) {
      log(`${what}: waiting for redis at ${redis.host}:${redis.port} (attempt ${attempt}): ${err.code || err.message}`);
      await new Promise((r) => setTimeout(r, Math.min(500 * attempt, 3000)));
    }
  }
}

/** hgetall's flat [k, v, k, v] as an object. */
const pairs = (flat) => { const o = {}; for (let i = 0; i + 1 < flat.length; i += 2) o[flat[i]] = flat[i + 1]; return o; };

function onStop(fn) {
  // PID 1 in a container ignores SIGTERM unless it says otherwise.
  for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => { log(`${sig}: stopping`); fn(); setTimeout(() => process.exit(0), 3000).unref(); });
}

module.exports = { redis, QUEUE, log, connectRetrying, pairs, onStop };
