// `up`, `create` and `run` share one path: observe, plan, and when the plan
// pulls or builds, run those first on their own board, observe again and
// plan again without pulling (so containers are compared with the images
// just fetched — see compose/plan/reconcile.ts), then run the plan.

import { buildGraph } from '../graph/graph.js';
import { LABEL_ONEOFF, LABEL_SERVICE, Plan, reconcile, type ObservedState, type Operation, type ReconcileOptions } from '../plan/index.js';
import { serviceNetworkKeys } from '../plan/resources.js';
import type { Project } from '../types.js';
import type { EmitEvent } from './executor/events.js';
import { executePlan, planSteps, type ExecuteOptions } from './executor/execute.js';
import { observeProject, type DeclaredNames } from './executor/observe.js';
import { pollMs, type ProjectSession } from './session.js';

export function declaredNames(project: Project): DeclaredNames {
  const networks = new Set(Object.values(project.networks ?? {}).map((n) => n.name));
  if (Object.values(project.services).some((s) => serviceNetworkKeys(s).includes('default'))) networks.add(`${project.name}_default`);
  return { networks: [...networks], volumes: Object.values(project.volumes ?? {}).map((v) => v.name) };
}

export function executeOptions(session: ProjectSession, project: Project, emit: EmitEvent, signal?: AbortSignal): ExecuteOptions {
  return {
    project,
    emit,
    signal,
    concurrency: session.globals.parallel,
    configFiles: session.loaded.files.filter((f) => f !== '-'),
    environmentFiles: session.loaded.envFiles,
    version: session.version,
    pollMs: pollMs(),
  };
}

/**
 * The running containers of the services this command converges that the
 * plan leaves alone: docker compose lists them as `Running`, so that a second
 * `up` says what is up rather than nothing.
 */
export function keptRunning(project: Project, observed: ObservedState, plan: Plan, options: ReconcileOptions): string[] {
  if (options.noStart) return [];
  const { graph } = buildGraph(project);
  const oneoff = options.oneoff;
  let selected: readonly string[];
  if (oneoff) selected = options.noDeps ? [] : graph.withDependencies([oneoff.service]).filter((n) => n !== oneoff.service);
  else if (options.services && options.services.length > 0) selected = options.noDeps ? options.services : graph.withDependencies(options.services);
  else selected = graph.names;
  const wanted = new Set(selected);
  const touched = new Set<string>();
  for (const op of plan.operations) {
    if ('containerName' in op) touched.add(op.containerName);
    if ('containerId' in op) touched.add(op.containerId);
    if (op.kind === 'RenameContainer') touched.add(op.newName);
  }
  return observed.containers
    .filter((c) => c.state === 'running' && c.labels[LABEL_ONEOFF] !== 'True' && wanted.has(c.labels[LABEL_SERVICE] ?? ''))
    .filter((c) => !touched.has(c.name) && !touched.has(c.id))
    .map((c) => c.name)
    .sort();
}

export async function converge(session: ProjectSession, project: Project, options: ReconcileOptions, signal?: AbortSignal): Promise<Plan> {
  const observe = () => observeProject(session.engine, project.name, declaredNames(project));
  let observed = await observe();
  let plan = reconcile(project, observed, options);
  const fetches = plan.operations.filter((op) => op.kind === 'PullImage' || op.kind === 'BuildImage');
  if (fetches.length > 0) {
    const fetchPlan = new Plan(fetches.map((op): Operation => ({ ...op, dependsOn: [] })));
    await session.board('Pulling', planSteps(fetchPlan), (emit) => executePlan(fetchPlan, session.engine, executeOptions(session, project, emit, signal)));
    observed = await observe();
    plan = reconcile(project, observed, { ...options, pull: 'never', build: 'never' });
  }
  const kept = keptRunning(project, observed, plan, options);
  const lines = planSteps(plan);
  for (const name of kept) {
    const line = lines.find((l) => l.resource === 'container' && l.name === name);
    if (line) line.steps++;
    else lines.push({ resource: 'container', name, steps: 1 });
  }
  await session.board('Running', lines, (emit) => {
    for (const name of kept) emit({ kind: 'resource', resource: 'container', name, status: 'Running' });
    return executePlan(plan, session.engine, executeOptions(session, project, emit, signal));
  });
  return plan;
}
