import { describe, expect, test } from 'vitest';
import { buildGraph, DependencyCycleError, MissingDependencyError, ServiceGraph } from '../../../../compose/graph/index.js';
import { ProjectError } from '../../../../compose/errors.js';
import type { ServiceConfig, ServiceDependency } from '../../../../compose/types.js';

const started: ServiceDependency = { condition: 'service_started', required: true };

function graphOf(services: Record<string, ServiceConfig>, disabled?: Record<string, ServiceConfig>) {
  return buildGraph({ services, disabledServices: disabled });
}

function cycleText(services: Record<string, ServiceConfig>): string {
  try {
    graphOf(services);
  } catch (e) {
    if (e instanceof DependencyCycleError) return e.cycle.join(' -> ');
    throw e;
  }
  return 'no cycle';
}

describe('buildGraph edges', () => {
  test('every kind of reference is an edge, with its sources', () => {
    const { graph } = graphOf({
      db: {},
      cache: {},
      vpn: {},
      data: {},
      app: {
        depends_on: { db: { condition: 'service_healthy', required: true, restart: true } },
        links: ['db:database', 'cache'],
        volumes_from: ['service:data:ro', 'container:some-container'],
        network_mode: 'service:vpn',
        ipc: 'service:vpn',
        pid: 'host',
      },
    });
    expect(graph.dependencyEdges('app')).toEqual([
      { from: 'app', to: 'cache', condition: 'service_started', required: true, restart: false, sources: ['links'] },
      { from: 'app', to: 'data', condition: 'service_started', required: true, restart: false, sources: ['volumes_from'] },
      { from: 'app', to: 'db', condition: 'service_healthy', required: true, restart: true, sources: ['depends_on', 'links'] },
      { from: 'app', to: 'vpn', condition: 'service_started', required: true, restart: false, sources: ['network_mode', 'ipc'] },
    ]);
    expect(graph.dependents('vpn')).toEqual(['app']);
  });

  test('plain volumes_from names a service', () => {
    const { graph } = graphOf({ a: {}, b: { volumes_from: ['a:rw'] } });
    expect(graph.dependencies('b')).toEqual(['a']);
  });

  test('required: false to a missing service is dropped with a warning', () => {
    const { graph, warnings } = graphOf({ app: { depends_on: { ghost: { condition: 'service_started', required: false } } } });
    expect(graph.dependencies('app')).toEqual([]);
    expect(warnings).toEqual(['service "app": optional dependency "ghost" is not in the project, ignoring it']);
  });

  test('a required missing service is an error naming both and the fix', () => {
    expect(() => graphOf({ app: { depends_on: { db: started } } })).toThrow(MissingDependencyError);
    expect(() => graphOf({ app: { links: ['db'] } })).toThrow('service "app" depends on undefined service "db" (links); define it or remove the reference');
    expect(() => graphOf({ app: { network_mode: 'service:vpn' } })).toThrow('service "app" depends on undefined service "vpn" (network_mode)');
  });

  test('a dependency disabled by profiles names the profile', () => {
    expect(() => graphOf({ app: { depends_on: { db: started } } }, { db: { profiles: ['storage', 'full'] } })).toThrow(
      'service "db" is required by "app" (depends_on) but is disabled; enable it with --profile storage or --profile full',
    );
  });

  test('errors are ProjectErrors', () => {
    expect(() => graphOf({ a: { links: ['a'] } })).toThrow(ProjectError);
  });
});

describe('cycles', () => {
  test('two services', () => {
    expect(cycleText({ b: { depends_on: { a: started } }, a: { depends_on: { b: started } } })).toBe('a -> b -> a');
  });

  test('self reference', () => {
    expect(cycleText({ a: { links: ['a'] } })).toBe('a -> a');
  });

  test('starts from the smallest name in the cycle, whatever the declaration order', () => {
    expect(cycleText({ z: { depends_on: { m: started } }, m: { depends_on: { x: started } }, x: { depends_on: { z: started } } })).toBe('m -> x -> z -> m');
    expect(cycleText({ a: { depends_on: { z: started } }, z: { depends_on: { m: started } }, m: { volumes_from: ['z'] } })).toBe('m -> z -> m');
  });

  test('message', () => {
    expect(() => graphOf({ a: { depends_on: { b: started } }, b: { network_mode: 'service:a' } })).toThrow(
      'dependency cycle between services: a -> b -> a; remove one of these depends_on/links/volumes_from/network_mode references',
    );
  });

  test('a diamond is not a cycle', () => {
    expect(cycleText({ a: { depends_on: { b: started, c: started } }, b: { depends_on: { d: started } }, c: { depends_on: { d: started } }, d: {} })).toBe('no cycle');
  });
});

describe('queries', () => {
  const { graph } = graphOf({
    web: { depends_on: { api: started } },
    api: { depends_on: { db: started, cache: started } },
    worker: { depends_on: { cache: started } },
    db: {},
    cache: {},
    solo: {},
  });

  test('withDependencies is the transitive closure', () => {
    expect(graph.withDependencies(['web'])).toEqual(['api', 'cache', 'db', 'web']);
    expect(graph.withDependencies(['worker', 'solo'])).toEqual(['cache', 'solo', 'worker']);
  });

  test('dependents and withDependents', () => {
    expect(graph.dependents('cache')).toEqual(['api', 'worker']);
    expect(graph.withDependents(['db'])).toEqual(['api', 'db', 'web']);
  });

  test('topological order is deterministic in both directions', () => {
    expect(graph.order('up')).toEqual(['cache', 'db', 'api', 'solo', 'web', 'worker']);
    expect(graph.order('down')).toEqual(['solo', 'web', 'api', 'db', 'worker', 'cache']);
  });

  test('select keeps the edges inside the selection', () => {
    const sub = graph.select(['web', 'api', 'solo']);
    expect(sub.names).toEqual(['api', 'solo', 'web']);
    expect(sub.dependencies('api')).toEqual([]);
    expect(sub.dependencies('web')).toEqual(['api']);
  });

  test('a graph can be built from names and edges directly', () => {
    const g = new ServiceGraph(['b', 'a'], [{ from: 'b', to: 'a', condition: 'service_started', required: true, restart: false, sources: ['depends_on'] }]);
    expect(g.order('up')).toEqual(['a', 'b']);
  });
});

test('service names that look like object members are plain names', () => {
  expect(() => graphOf({ app: { depends_on: { toString: started } } })).toThrow('service "app" depends on undefined service "toString"');
  const { graph } = graphOf({ constructor: {}, app: { links: ['constructor'] } });
  expect(graph.dependencies('app')).toEqual(['constructor']);
});
