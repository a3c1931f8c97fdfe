// The one graph walker. `up` visits a service once everything it needs has
// been visited (start order); `down` once everything that needs it has been
// visited (stop order). Independent services run together, at most
// `concurrency` at a time. A failed visit stops new visits from being
// scheduled; the walk still waits for the visits in flight so nothing is left
// running behind the caller's back, then rejects with the first error.
// Visits are called with node names (services, or plan operation ids).

export type WalkDirection = 'up' | 'down';

/**
 * What the walker needs of a graph. ServiceGraph is one (services); a Plan is
 * another (operation ids), so the executor walks a plan with this same code.
 */
export interface Walkable {
  /** Every node, sorted. */
  readonly names: readonly string[];
  /** Nodes that must be visited before `name` when walking up. */
  dependencies(name: string): readonly string[];
  /** Nodes that must be visited before `name` when walking down. */
  dependents(name: string): readonly string[];
}

export interface WalkOptions {
  /** Visits running at once; default unbounded. Must be >= 1. */
  readonly concurrency?: number;
  /** Aborting stops scheduling like a failure; the walk rejects with the abort reason. */
  readonly signal?: AbortSignal;
}

export async function walk(
  graph: Walkable,
  direction: WalkDirection,
  visit: (name: string) => Promise<void>,
  options: WalkOptions = {},
): Promise<void> {
  const limit = options.concurrency ?? Infinity;
  if (!(limit >= 1)) throw new RangeError(`walk: concurrency must be at least 1, got ${limit}`);
  const blockers = (n: string) => (direction === 'up' ? graph.dependencies(n) : graph.dependents(n));
  const unblocks = (n: string) => (direction === 'up' ? graph.dependents(n) : graph.dependencies(n));

  const waiting = new Map(graph.names.map((n) => [n, blockers(n).length]));
  const ready = graph.names.filter((n) => waiting.get(n) === 0);
  let running = 0;
  let failure: { error: unknown } | undefined;

  return new Promise<void>((resolve, reject) => {
    const finishIfIdle = () => {
      if (running > 0 || (!failure && ready.length > 0)) return;
      options.signal?.removeEventListener('abort', onAbort);
      if (failure) reject(failure.error);
      else resolve();
    };
    const onAbort = () => {
      if (!failure) failure = { error: options.signal?.reason ?? new Error('walk aborted') };
      finishIfIdle();
    };
    if (options.signal?.aborted) return onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });

    const pump = () => {
      while (!failure && running < limit && ready.length > 0) {
        ready.sort();
        const service = ready.shift()!;
        running++;
        // Promise.resolve().then: a visit that throws synchronously is a failed visit, not a crash.
        Promise.resolve()
          .then(() => visit(service))
          .then(
            () => {
              for (const m of unblocks(service)) {
                const left = waiting.get(m)! - 1;
                waiting.set(m, left);
                if (left === 0) ready.push(m);
              }
            },
            (error: unknown) => {
              if (!failure) failure = { error };
            },
          )
          .finally(() => {
            running--;
            pump();
            finishIfIdle();
          });
      }
    };
    pump();
    finishIfIdle();
  });
}
