// A plan is a DAG of operations, each one engine API call, each with the
// reason it exists. The executor walks it and never decides whether to act:
// every decision (what to create, what to recreate, what to wait for before a
// start) is in here, which is what makes `up` testable without an engine.
//
// How an executor runs each kind (Docker Engine API names):
//   CreateNetwork     POST /networks/create {Name: name, Labels: labels, ...config}
//   RemoveNetwork     DELETE /networks/{name}          (in use: warn, go on)
//   CreateVolume      POST /volumes/create {Name: name, Labels: labels, ...config}
//   RemoveVolume      DELETE /volumes/{name}           (in use: warn, go on)
//   PullImage         POST /images/create?fromImage=image
//   BuildImage        the engine's builder, tagging `image`
//   RemoveImage       DELETE /images/{image}
//   CreateContainer   POST /containers/create?name=containerName, labels as given,
//                     plus com.docker.compose.image = the id of `image`; with
//                     `replaces`, inherit its anonymous volumes
//   StartContainer    POST /containers/{containerName}/start
//   UnpauseContainer  POST /containers/{containerId}/unpause
//   StopContainer     POST /containers/{containerId}/stop?t=timeoutSeconds&signal=signal
//   RemoveContainer   DELETE /containers/{containerId}?force=1&v=removeVolumes
//   RenameContainer   POST /containers/{containerName}/rename?name=newName
//   AwaitCondition    poll GET /containers/{name}/json for each of containerNames until
//                     healthy / exited 0; fail (or warn when !required) on unhealthy / exit != 0
// Operations whose dependencies have all succeeded may run in parallel.

import type { BuildConfig, NetworkConfig, ServiceConfig, VolumeConfig } from '../types.js';
import type { DependencyCondition } from '../graph/graph.js';

interface OperationBase {
  /** `<kind-in-kebab-case>:<target>`, unique in the plan, stable across runs. */
  readonly id: string;
  /** Ids of the operations that must have succeeded before this one runs. Sorted. */
  readonly dependsOn: readonly string[];
  /** Why this operation exists, for people: `config hash changed`, `scale 3 -> 1`. */
  readonly cause: string;
}

export interface CreateNetworkOp extends OperationBase {
  readonly kind: 'CreateNetwork';
  /** The compose key (`default`). */
  readonly network: string;
  /** The engine name (`myapp_default`). */
  readonly name: string;
  readonly config: NetworkConfig;
  readonly labels: Readonly<Record<string, string>>;
}

export interface RemoveNetworkOp extends OperationBase {
  readonly kind: 'RemoveNetwork';
  readonly network: string;
  readonly name: string;
}

export interface CreateVolumeOp extends OperationBase {
  readonly kind: 'CreateVolume';
  readonly volume: string;
  readonly name: string;
  readonly config: VolumeConfig;
  readonly labels: Readonly<Record<string, string>>;
}

export interface RemoveVolumeOp extends OperationBase {
  readonly kind: 'RemoveVolume';
  readonly volume: string;
  readonly name: string;
}

export interface PullImageOp extends OperationBase {
  readonly kind: 'PullImage';
  readonly image: string;
  /** Services that use it, sorted. */
  readonly services: readonly string[];
  readonly platform?: string;
}

export interface BuildImageOp extends OperationBase {
  readonly kind: 'BuildImage';
  /** The tag to give the result. */
  readonly image: string;
  readonly service: string;
  readonly build: BuildConfig;
  readonly platform?: string;
}

export interface RemoveImageOp extends OperationBase {
  readonly kind: 'RemoveImage';
  readonly image: string;
}

export interface CreateContainerOp extends OperationBase {
  readonly kind: 'CreateContainer';
  readonly service: string;
  /** The name to create it under: final, or `<old id12>_<final>` while replacing. */
  readonly containerName: string;
  /** Replica number; absent for one-off containers (not indexed). */
  readonly number?: number;
  readonly oneoff: boolean;
  readonly image: string;
  /** The service as the container must run it (one-off overrides applied). */
  readonly config: ServiceConfig;
  /** Every compose label to set, config hash included. */
  readonly labels: Readonly<Record<string, string>>;
  /** The container being replaced: inherit its anonymous volumes. */
  readonly replaces?: { readonly id: string; readonly name: string };
  /** `run --rm`. */
  readonly autoRemove?: boolean;
}

export interface StartContainerOp extends OperationBase {
  readonly kind: 'StartContainer';
  readonly service: string;
  /** Final name: after any rename in this plan. */
  readonly containerName: string;
  readonly oneoff: boolean;
}

export interface UnpauseContainerOp extends OperationBase {
  readonly kind: 'UnpauseContainer';
  readonly service: string;
  readonly containerId: string;
  readonly containerName: string;
}

export interface StopContainerOp extends OperationBase {
  readonly kind: 'StopContainer';
  readonly service?: string;
  readonly containerId: string;
  readonly containerName: string;
  /** Seconds between the stop signal and SIGKILL (`-t`, else stop_grace_period); absent: engine default. */
  readonly timeoutSeconds?: number;
  /** stop_signal; absent: the image's or SIGTERM. */
  readonly signal?: string;
}

export interface RemoveContainerOp extends OperationBase {
  readonly kind: 'RemoveContainer';
  readonly service?: string;
  readonly containerId: string;
  readonly containerName: string;
  /** Remove its anonymous volumes too (`down -v`). */
  readonly removeVolumes: boolean;
}

export interface RenameContainerOp extends OperationBase {
  readonly kind: 'RenameContainer';
  readonly service: string;
  /** The temporary name the replacement was created under. */
  readonly containerName: string;
  readonly newName: string;
}

/**
 * Wait until `service`'s containers meet a depends_on condition. Not an API
 * call of its own but a poll of inspect; it is a node so that a start waits
 * on it by an edge, and the executor never has to read depends_on.
 */
export interface AwaitConditionOp extends OperationBase {
  readonly kind: 'AwaitCondition';
  readonly service: string;
  readonly condition: Exclude<DependencyCondition, 'service_started'>;
  /** When false, a failure is a warning and the dependents start anyway. */
  readonly required: boolean;
  /** The containers to watch, by final name, sorted. */
  readonly containerNames: readonly string[];
}

export type Operation =
  | CreateNetworkOp
  | RemoveNetworkOp
  | CreateVolumeOp
  | RemoveVolumeOp
  | PullImageOp
  | BuildImageOp
  | RemoveImageOp
  | CreateContainerOp
  | StartContainerOp
  | UnpauseContainerOp
  | StopContainerOp
  | RemoveContainerOp
  | RenameContainerOp
  | AwaitConditionOp;

export type OperationKind = Operation['kind'];

/** `CreateContainer` → `create-container`. */
export function kindSlug(kind: OperationKind): string {
  return kind.replace(/[A-Z]/g, (c, i: number) => (i === 0 ? '' : '-') + c.toLowerCase());
}

export function operationId(kind: OperationKind, target: string): string {
  return `${kindSlug(kind)}:${target}`;
}

export interface PlanJson {
  readonly operations: readonly Operation[];
  readonly warnings: readonly string[];
}

export class Plan {
  /** In a deterministic topological order: dependencies first, ties by id. */
  readonly operations: readonly Operation[];
  /** Things a person should know that are not operations (orphans left alone, ...). */
  readonly warnings: readonly string[];
  private readonly byId: ReadonlyMap<string, Operation>;
  private readonly dependentIds: ReadonlyMap<string, readonly string[]>;

  constructor(operations: readonly Operation[], warnings: readonly string[] = []) {
    const byId = new Map<string, Operation>();
    for (const op of operations) {
      if (byId.has(op.id)) throw new Error(`plan: duplicate operation id ${op.id}`);
      byId.set(op.id, op);
    }
    for (const op of operations) {
      for (const dep of op.dependsOn) if (!byId.has(dep)) throw new Error(`plan: ${op.id} depends on unknown ${dep}`);
    }
    this.byId = byId;
    this.operations = topologicalOrder(operations);
    const dependents = new Map<string, string[]>(operations.map((op) => [op.id, []]));
    for (const op of operations) for (const dep of op.dependsOn) dependents.get(dep)!.push(op.id);
    for (const list of dependents.values()) list.sort();
    this.dependentIds = dependents;
    this.warnings = [...warnings];
  }

  /** Operation ids, sorted: with dependencies() and dependents() a Plan is Walkable (compose/graph/walk.ts). */
  get names(): readonly string[] {
    return [...this.byId.keys()].sort();
  }

  /** Ids of the operations `id` waits for. */
  dependencies(id: string): readonly string[] {
    return this.byId.get(id)?.dependsOn ?? [];
  }

  /** Ids of the operations that wait for `id`. */
  dependents(id: string): readonly string[] {
    return this.dependentIds.get(id) ?? [];
  }

  get isEmpty(): boolean {
    return this.operations.length === 0;
  }

  get(id: string): Operation | undefined {
    return this.byId.get(id);
  }

  ofKind<K extends OperationKind>(kind: K): Extract<Operation, { kind: K }>[] {
    return this.operations.filter((op): op is Extract<Operation, { kind: K }> => op.kind === kind);
  }

  /** One line per operation, `id [deps] # cause`, then `warning: ...` lines. */
  toString(): string {
    const lines = this.operations.map((op) => `${op.id} [${op.dependsOn.join(', ')}] # ${op.cause}`);
    for (const w of this.warnings) lines.push(`warning: ${w}`);
    return lines.join('\n');
  }

  toJSON(): PlanJson {
    return { operations: this.operations, warnings: this.warnings };
  }
}

function topologicalOrder(operations: readonly Operation[]): Operation[] {
  const pending = new Map(operations.map((op) => [op.id, op.dependsOn.length]));
  const dependents = new Map<string, string[]>(operations.map((op) => [op.id, []]));
  for (const op of operations) for (const dep of op.dependsOn) dependents.get(dep)!.push(op.id);
  const byId = new Map(operations.map((op) => [op.id, op]));
  const ready = operations.filter((op) => op.dependsOn.length === 0).map((op) => op.id);
  const result: Operation[] = [];
  // Kept sorted in reverse so the smallest id pops off the end.
  ready.sort().reverse();
  while (ready.length > 0) {
    const id = ready.pop()!;
    result.push(byId.get(id)!);
    for (const d of dependents.get(id)!) {
      const left = pending.get(d)! - 1;
      pending.set(d, left);
      if (left === 0) insertDescending(ready, d);
    }
  }
  if (result.length !== operations.length) {
    const stuck = operations.filter((op) => pending.get(op.id)! > 0).map((op) => op.id);
    throw new Error(`plan: operations depend on each other in a loop: ${stuck.sort().join(', ')}`);
  }
  return result;
}

function insertDescending(list: string[], item: string): void {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid] > item) lo = mid + 1;
    else hi = mid;
  }
  list.splice(lo, 0, item);
}
