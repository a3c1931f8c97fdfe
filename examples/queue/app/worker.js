'use strict';
// The worker: takes job ids from the queue (BRPOP), does the work, and stores
// the result in the job's hash. The "work" is a small text analysis, enough
// to see that a job went through a worker.
const crypto = require('crypto');
const os = require('os');
const { QUEUE, log, connectRetrying, onStop } = require('./common');

let stopping = false;

function work(text) {
  const words = text.split(/\s+/).filter(Boolean);
  return {
    characters: [...text].length,
    words: words.length,
    upper: text.toUpperCase(),
    reversed: [...text].reverse().join(''),
    sha256: crypto.createHash('sha256').update(text).digest('hex'),
  };
}

async function run() {
  while (!stopping) {
    const db = await connectRetrying('worker');
    try {
      while (!stopping) {
        // A timeout so that a stop request is noticed within a few seconds.
        const popped = await db.call('BRPOP', QUEUE, 2);
        if (!popped) continue;
        const id = popped[1];
        const key = `job:${id}`;
        await db.call('HSET', key, 'status', 'running', 'worker', os.hostname());
        const text = await db.call('HGET', key, 'text');
        try {
          if (text === null) throw new Error('the job has no text');
          const result = work(text);
          if (process.env.WORK_DELAY_MS) await new Promise((r) => setTimeout(r, Number(process.env.WORK_DELAY_MS)));
          await db.call('HSET', key, 'status', 'done', 'result', JSON.stringify(result), 'finished_at', new Date().toISOString());
          await db.call('INCR', 'jobs:done');
          log(`job ${id} done (${result.words} words)`);
        } catch (err) {
          await db.call('HSET', key, 'status', 'failed', 'error', err.message, 'finished_at', new Date().toISOString());
          await db.call('INCR', 'jobs:failed');
          log(`job ${id} failed: ${err.message}`);
        }
      }
      db.close();
    } catch (err) {
      log(`worker: redis error, reconnecting: ${err.message}`);
    }
  }
  process.exit(0);
}

onStop(() => { stopping = true; });
log(`worker ${os.hostname()} waiting for jobs on "${QUEUE}"`);
run();
