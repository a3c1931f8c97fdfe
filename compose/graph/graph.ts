// The service dependency graph. One node per service; an edge `from -> to`
// means `from` needs `to` (so `to` starts first and stops last). Edges come
// from every way a service can reference another, because each of them makes
// the engine resolve the other service's container at create time:
//   depends_on            condition/required/restart as written
//   links                 `db` or `db:alias`
//   volumes_from          `db`, `service:db[:ro]` (`container:x` names a container, not a service)
//   network_mode/ipc/pid  `service:db`
// The normalizer already copies implicit references into depends_on, but we
// read them here too so a Project built by hand (tests, `run`) is just as safe.

import type { Project, ServiceConfig, ServiceDependency } from '../types.js';
import { DependencyCycleError, MissingDependencyError } from './errors.js';

export type EdgeSource = 'depends_on' | 'links' | 'volumes_from' | 'network_mode' | 'ipc' | 'pid';
export type DependencyCondition = ServiceDependency['condition'];

export interface DependencyEdge {
  /** The dependent service. */
  readonly from: string;
  /** The service it needs. */
  readonly to: string;
  /** From depends_on when present there, else `service_started`. */
  readonly condition: DependencyCondition;
  readonly required: boolean;
  /** depends_on `restart: true`: restart `from` when `to` is recreated or restarted. */
  readonly restart: boolean;
  /** Every reference that produced this edge, in a fixed order. */
  readonly sources: readonly EdgeSource[];
}

export interface BuildGraphResult {
  readonly graph: ServiceGraph;
  /** Dropped optional dependencies, one sentence each. */
  readonly warnings: readonly string[];
}

const SOURCE_ORDER: readonly EdgeSource[] = ['depends_on', 'links', 'volumes_from', 'network_mode', 'ipc', 'pid'];

/** The services a service references, with where each reference came from. */
export function serviceReferences(service: ServiceConfig): { to: string; source: EdgeSource; dep?: ServiceDependency }[] {
  const refs: { to: string; source: EdgeSource; dep?: ServiceDependency }[] = [];
  for (const [to, dep] of Object.entries(service.depends_on ?? {})) refs.push({ to, source: 'depends_on', dep });
  for (const link of service.links ?? []) refs.push({ to: link.split(':')[0], source: 'links' });
  for (const from of service.volumes_from ?? []) {
    const target = volumesFromService(from);
    if (target !== undefined) refs.push({ to: target, source: 'volumes_from' });
  }
  for (const key of ['network_mode', 'ipc', 'pid'] as const) {
    const target = serviceModeTarget(service[key]);
    if (target !== undefined) refs.push({ to: target, source: key });
  }
  return refs;
}

/** `service:db` → `db`; anything else (host, none, container:x, bridge) → undefined. */
export function serviceModeTarget(mode: string | undefined): string | undefined {
  if (mode === undefined || !mode.startsWith('service:')) return undefined;
  return mode.slice('service:'.length) || undefined;
}

/** `db`, `db:ro`, `service:db`, `service:db:rw` → `db`; `container:x` → undefined. */
export function volumesFromService(spec: string): string | undefined {
  const parts = spec.split(':');
  if (parts[0] === 'container') return undefined;
  if (parts[0] === 'service') return parts[1] || undefined;
  return parts[0] || undefined;
}

export class ServiceGraph {
  /** Service names, sorted. */
  readonly names: readonly string[];
  private readonly out: ReadonlyMap<string, readonly DependencyEdge[]>;
  private readonly in: ReadonlyMap<string, readonly DependencyEdge[]>;

  constructor(names: Iterable<string>, edges: Iterable<DependencyEdge>) {
    this.names = [...new Set(names)].sort();
    const out = new Map<string, DependencyEdge[]>(this.names.map((n) => [n, []]));
    const inc = new Map<string, DependencyEdge[]>(this.names.map((n) => [n, []]));
    for (const edge of edges) {
      if (!out.has(edge.from) || !out.has(edge.to)) continue;
      out.get(edge.from)!.push(edge);
      inc.get(edge.to)!.push(edge);
    }
    for (const list of out.values()) list.sort((a, b) => cmp(a.to, b.to));
    for (const list of inc.values()) list.sort((a, b) => cmp(a.from, b.from));
    this.out = out;
    this.in = inc;
    const cycle = findCycle(this);
    if (cycle) throw new DependencyCycleError(cycle);
  }

  has(name: string): boolean {
    return this.out.has(name);
  }

  /** Edges to the services `name` needs, sorted by target. */
  dependencyEdges(name: string): readonly DependencyEdge[] {
    return this.out.get(name) ?? [];
  }

  /** Edges from the services that need `name`, sorted by source. */
  dependentEdges(name: string): readonly DependencyEdge[] {
    return this.in.get(name) ?? [];
  }

  /** Direct dependencies of `name`, sorted. */
  dependencies(name: string): string[] {
    return this.dependencyEdges(name).map((e) => e.to);
  }

  /** Direct dependents of `name`, sorted. */
  dependents(name: string): string[] {
    return this.dependentEdges(name).map((e) => e.from);
  }

  /** `names` and everything they transitively need, sorted. */
  withDependencies(names: Iterable<string>): string[] {
    return this.closure(names, (n) => this.dependencies(n));
  }

  /** `names` and everything that transitively needs them, sorted. */
  withDependents(names: Iterable<string>): string[] {
    return this.closure(names, (n) => this.dependents(n));
  }

  /** The induced graph on `names` (edges to other services are dropped). */
  select(names: Iterable<string>): ServiceGraph {
    const keep = new Set([...names].filter((n) => this.has(n)));
    const edges: DependencyEdge[] = [];
    for (const n of keep) for (const e of this.dependencyEdges(n)) if (keep.has(e.to)) edges.push(e);
    return new ServiceGraph(keep, edges);
  }

  /**
   * A deterministic topological order: `up` puts dependencies first, `down`
   * dependents first. Among services that are ready together, the
   * lexicographically smallest comes first.
   */
  order(direction: 'up' | 'down' = 'up'): string[] {
    const blockers = (n: string) => (direction === 'up' ? this.dependencies(n) : this.dependents(n));
    const unblocks = (n: string) => (direction === 'up' ? this.dependents(n) : this.dependencies(n));
    const remaining = new Map(this.names.map((n) => [n, blockers(n).length]));
    const ready = this.names.filter((n) => remaining.get(n) === 0);
    const result: string[] = [];
    while (ready.length > 0) {
      ready.sort(cmp);
      const next = ready.shift()!;
      result.push(next);
      for (const m of unblocks(next)) {
        const left = remaining.get(m)! - 1;
        remaining.set(m, left);
        if (left === 0) ready.push(m);
      }
    }
    return result;
  }

  private closure(start: Iterable<string>, next: (n: string) => string[]): string[] {
    const seen = new Set<string>();
    const stack = [...start].filter((n) => this.has(n));
    while (stack.length > 0) {
      const n = stack.pop()!;
      if (seen.has(n)) continue;
      seen.add(n);
      stack.push(...next(n));
    }
    return [...seen].sort(cmp);
  }
}

/**
 * Builds the graph of `project.services`. A reference to a service that is not
 * in the project is an error, unless it is a depends_on with `required: false`
 * (then it is dropped with a warning, like docker compose). Throws
 * DependencyCycleError for a cycle.
 */
export function buildGraph(project: Pick<Project, 'services' | 'disabledServices'>): BuildGraphResult {
  const names = Object.keys(project.services);
  const warnings: string[] = [];
  const edges = new Map<string, { from: string; to: string; dep?: ServiceDependency; sources: Set<EdgeSource> }>();
  for (const from of [...names].sort()) {
    for (const ref of serviceReferences(project.services[from])) {
      if (!Object.hasOwn(project.services, ref.to)) {
        if (ref.source === 'depends_on' && ref.dep && !ref.dep.required) {
          warnings.push(`service "${from}": optional dependency "${ref.to}" is not in the project, ignoring it`);
          continue;
        }
        const disabled = Object.hasOwn(project.disabledServices ?? {}, ref.to) ? project.disabledServices?.[ref.to] : undefined;
        throw new MissingDependencyError(from, ref.to, ref.source, disabled ? [...(disabled.profiles ?? [])] : undefined);
      }
      const key = `${from}\u0000${ref.to}`;
      let edge = edges.get(key);
      if (!edge) edges.set(key, (edge = { from, to: ref.to, sources: new Set() }));
      edge.sources.add(ref.source);
      if (ref.dep) edge.dep = ref.dep;
    }
  }
  const list: DependencyEdge[] = [...edges.values()].map((e) => ({
    from: e.from,
    to: e.to,
    condition: e.dep?.condition ?? 'service_started',
    required: e.dep?.required ?? true,
    restart: e.dep?.restart ?? false,
    sources: SOURCE_ORDER.filter((s) => e.sources.has(s)),
  }));
  return { graph: new ServiceGraph(names, list), warnings };
}

/**
 * The first cycle met by a depth-first search over sorted names, rotated to
 * start at its smallest name: `[a, b, a]` for a -> b -> a. Undefined when
 * acyclic.
 */
export function findCycle(graph: ServiceGraph): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (n: string): string[] | undefined => {
    state.set(n, 'open');
    path.push(n);
    for (const m of graph.dependencies(n)) {
      const s = state.get(m);
      if (s === 'open') return rotate(path.slice(path.indexOf(m)));
      if (s === undefined) {
        const found = visit(m);
        if (found) return found;
      }
    }
    path.pop();
    state.set(n, 'done');
    return undefined;
  };
  for (const n of graph.names) {
    if (state.has(n)) continue;
    const found = visit(n);
    if (found) return found;
  }
  return undefined;
}

function rotate(cycle: string[]): string[] {
  let start = 0;
  for (let i = 1; i < cycle.length; i++) if (cycle[i] < cycle[start]) start = i;
  const rotated = [...cycle.slice(start), ...cycle.slice(0, start)];
  return [...rotated, rotated[0]];
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
