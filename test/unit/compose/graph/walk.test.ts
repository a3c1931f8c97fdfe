import { describe, expect, test } from 'vitest';
import { buildGraph, walk } from '../../../../compose/graph/index.js';
import type { ServiceConfig, ServiceDependency } from '../../../../compose/types.js';

const started: ServiceDependency = { condition: 'service_started', required: true };

/** web -> api -> {db, cache}; worker -> cache; solo. */
function stack() {
  const services: Record<string, ServiceConfig> = {
    web: { depends_on: { api: started } },
    api: { depends_on: { db: started, cache: started } },
    worker: { depends_on: { cache: started } },
    db: {},
    cache: {},
    solo: {},
  };
  return buildGraph({ services }).graph;
}

const tick = () => new Promise((r) => setTimeout(r, 1));

/** Records start/end events; each visit waits `ms` (or a few ticks). */
function recorder(ms = 5) {
  const events: string[] = [];
  let running = 0;
  let peak = 0;
  const visit = async (s: string) => {
    events.push(`start ${s}`);
    running++;
    peak = Math.max(peak, running);
    await new Promise((r) => setTimeout(r, ms));
    running--;
    events.push(`end ${s}`);
  };
  return { events, visit, peak: () => peak };
}

function assertOrder(events: string[], before: string, after: string) {
  expect(events.indexOf(`end ${before}`)).toBeGreaterThanOrEqual(0);
  expect(events.indexOf(`end ${before}`)).toBeLessThan(events.indexOf(`start ${after}`));
}

describe('walk', () => {
  test('up: every service starts after its dependencies ended', async () => {
    const r = recorder();
    await walk(stack(), 'up', r.visit);
    for (const [a, b] of [['db', 'api'], ['cache', 'api'], ['api', 'web'], ['cache', 'worker']]) assertOrder(r.events, a, b);
    expect(r.events.filter((e) => e.startsWith('start')).length).toBe(6);
  });

  test('down: every service starts after its dependents ended', async () => {
    const r = recorder();
    await walk(stack(), 'down', r.visit);
    for (const [a, b] of [['web', 'api'], ['api', 'db'], ['api', 'cache'], ['worker', 'cache']]) assertOrder(r.events, a, b);
  });

  test('independent services run in parallel', async () => {
    const r = recorder(20);
    await walk(stack(), 'up', r.visit);
    // db, cache and solo have no dependencies: all three start before any ends.
    expect(r.events.slice(0, 3).sort()).toEqual(['start cache', 'start db', 'start solo']);
    expect(r.peak()).toBeGreaterThanOrEqual(3);
  });

  test('the first wave starts in name order', async () => {
    const r = recorder();
    await walk(stack(), 'up', r.visit);
    expect(r.events.slice(0, 3)).toEqual(['start cache', 'start db', 'start solo']);
  });

  test('concurrency bounds the visits in flight', async () => {
    const services: Record<string, ServiceConfig> = {};
    for (let i = 0; i < 12; i++) services[`s${String(i).padStart(2, '0')}`] = {};
    const r = recorder(3);
    await walk(buildGraph({ services }).graph, 'up', r.visit, { concurrency: 2 });
    expect(r.peak()).toBe(2);
    expect(r.events.filter((e) => e.startsWith('end')).length).toBe(12);
  });

  test('concurrency 1 is the topological order', async () => {
    const order: string[] = [];
    await walk(stack(), 'up', async (s) => void order.push(s), { concurrency: 1 });
    expect(order).toEqual(stack().order('up'));
    const down: string[] = [];
    await walk(stack(), 'down', async (s) => void down.push(s), { concurrency: 1 });
    expect(down).toEqual(stack().order('down'));
  });

  test('a failure stops scheduling, waits for visits in flight, rejects with the error', async () => {
    const events: string[] = [];
    const boom = new Error('db failed to start');
    const visit = async (s: string) => {
      events.push(`start ${s}`);
      if (s === 'db') {
        await tick();
        throw boom;
      }
      await new Promise((r) => setTimeout(r, 30));
      events.push(`end ${s}`);
    };
    await expect(walk(stack(), 'up', visit)).rejects.toBe(boom);
    // cache and solo were in flight when db failed: they were allowed to end.
    expect(events).toContain('end cache');
    expect(events).toContain('end solo');
    // nothing new was started after the failure (api would have been next after cache).
    expect(events.filter((e) => e.startsWith('start')).sort()).toEqual(['start cache', 'start db', 'start solo']);
  });

  test('a visit that throws synchronously is a failure, not a crash', async () => {
    const visit = (s: string): Promise<void> => {
      if (s === 'cache') throw new Error('sync');
      return Promise.resolve();
    };
    await expect(walk(stack(), 'up', visit, { concurrency: 1 })).rejects.toThrow('sync');
  });

  test('an abort stops scheduling and rejects with the reason', async () => {
    const controller = new AbortController();
    const seen: string[] = [];
    const visit = async (s: string) => {
      seen.push(s);
      controller.abort(new Error('interrupted'));
      await tick();
    };
    await expect(walk(stack(), 'up', visit, { concurrency: 1, signal: controller.signal })).rejects.toThrow('interrupted');
    expect(seen).toEqual(['cache']);
  });

  test('an empty graph resolves at once; concurrency below 1 is refused', async () => {
    await expect(walk(buildGraph({ services: {} }).graph, 'up', async () => {})).resolves.toBeUndefined();
    await expect(walk(stack(), 'up', async () => {}, { concurrency: 0 })).rejects.toThrow('concurrency must be at least 1');
  });
});
