// `up`, `create` and `run` share one path: observe, plan, and when the plan
// pulls or builds, run those first on their own board, observe again and
// plan again without pulling (so containers are compared with the images
// just fetched — see compose/plan/reconcile.ts), then run the plan.

import { Plan, reconcile, type Operation, type ReconcileOptions } from '../plan/index.js';
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

export async function converge(session: ProjectSession, project: Project, options: ReconcileOptions, signal?: AbortSignal): Promise<Plan> {
  const observe = () => observeProject(session.engine, project.name, declaredNames(project));
  let plan = reconcile(project, await observe(), options);
  const fetches = plan.operations.filter((op) => op.kind === 'PullImage' || op.kind === 'BuildImage');
  if (fetches.length > 0) {
    const fetchPlan = new Plan(fetches.map((op): Operation => ({ ...op, dependsOn: [] })));
    await session.board('Pulling', planSteps(fetchPlan), (emit) => executePlan(fetchPlan, session.engine, executeOptions(session, project, emit, signal)));
    plan = reconcile(project, await observe(), { ...options, pull: 'never', build: 'never' });
  }
  await session.board('Running', planSteps(plan), (emit) => executePlan(plan, session.engine, executeOptions(session, project, emit, signal)));
  return plan;
}
