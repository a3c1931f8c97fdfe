// Runs a Plan: walks it with the shared walker (compose/graph/walk.ts),
// bounded by --parallel, one engine call per operation, and reports each
// step as events. It never decides whether to act (STYLE 5): everything it
// does is an operation of the plan. What an operation needs that the plan
// cannot know (the id of an image pulled in this run, the anonymous volumes
// of a container being replaced) is read right before the call.
//
// Every operation emits exactly one finishing status (done or Error) per
// resource it touches, after any number of working ones; the task board
// counts on it (planSteps below).

import { EngineApiError, EngineStreamError, packBuildContext, type MountPoint, type NetworkCreateRequest } from '../../../runtime/client/index.js';
import { walk } from '../../graph/walk.js';
import type {
  AwaitConditionOp,
  BuildImageOp,
  CreateContainerOp,
  CreateNetworkOp,
  CreateVolumeOp,
  Operation,
  Plan,
  PullImageOp,
} from '../../plan/plan.js';
import type { Project } from '../../types.js';
import { awaitContainer } from './await-container.js';
import { buildPlanOf, type BuildSettings } from './build-request.js';
import { systemClock, type Clock } from './clock.js';
import { buildCreateRequest } from './create-request.js';
import type { Engine } from './engine-port.js';
import { ComposeRunError, DependencyFailedError, OperationFailedError, ServiceNotCompletedError } from './errors.js';
import type { EmitEvent, ResourceKind, ResourceStatus } from './events.js';

export interface ExecuteOptions {
  readonly project: Project;
  readonly emit: EmitEvent;
  /** --parallel: operations at once; undefined or < 1 means unbounded. */
  readonly concurrency?: number;
  readonly signal?: AbortSignal;
  readonly clock?: Clock;
  readonly pollMs?: number;
  /** Absolute compose file paths, for the config_files label. */
  readonly configFiles?: readonly string[];
  readonly environmentFiles?: readonly string[];
  readonly version?: string;
  /** `--no-cache`, `--pull`, `--build-arg` of build / up --build. */
  readonly build?: BuildSettings;
}

export interface ResourceRef {
  readonly resource: ResourceKind;
  readonly name: string;
}

/** The resources an operation reports on, under the names people see. */
export function operationResources(op: Operation): ResourceRef[] {
  switch (op.kind) {
    case 'CreateNetwork':
    case 'RemoveNetwork':
      return [{ resource: 'network', name: op.name }];
    case 'CreateVolume':
    case 'RemoveVolume':
      return [{ resource: 'volume', name: op.name }];
    case 'PullImage':
    case 'BuildImage':
    case 'RemoveImage':
      return [{ resource: 'image', name: op.image }];
    case 'CreateContainer':
      return [{ resource: 'container', name: op.replaces?.name ?? op.containerName }];
    case 'RenameContainer':
      return [{ resource: 'container', name: op.newName }];
    case 'StartContainer':
    case 'UnpauseContainer':
    case 'StopContainer':
    case 'RemoveContainer':
      return [{ resource: 'container', name: op.containerName }];
    case 'AwaitCondition':
      return op.containerNames.map((name) => ({ resource: 'container' as const, name }));
  }
}

/** Each resource of a plan with the number of finishing statuses it will report. */
export function planSteps(plan: Plan): { resource: ResourceKind; name: string; steps: number }[] {
  const byKey = new Map<string, { resource: ResourceKind; name: string; steps: number }>();
  for (const op of plan.operations) {
    for (const ref of operationResources(op)) {
      const key = `${ref.resource}:${ref.name}`;
      const entry = byKey.get(key) ?? { ...ref, steps: 0 };
      entry.steps++;
      byKey.set(key, entry);
    }
  }
  return [...byKey.values()];
}

export async function executePlan(plan: Plan, engine: Engine, options: ExecuteOptions): Promise<void> {
  const run = new PlanRun(engine, options);
  const concurrency = options.concurrency !== undefined && options.concurrency >= 1 ? options.concurrency : undefined;
  for (const warning of plan.warnings) options.emit({ kind: 'warning', message: warning });
  await walk(plan, 'up', (id) => run.operation(plan.get(id)!), { concurrency, signal: options.signal });
}

class PlanRun {
  private readonly clock: Clock;
  private readonly started = new Map<string, number>();
  private readonly imageIds = new Map<string, Promise<string | undefined>>();

  constructor(
    private readonly engine: Engine,
    private readonly options: ExecuteOptions,
  ) {
    this.clock = options.clock ?? systemClock;
  }

  private emit(resource: ResourceKind, name: string, status: ResourceStatus, detail?: string): void {
    const key = `${resource}:${name}`;
    const now = this.clock.now();
    if (!this.started.has(key)) this.started.set(key, now);
    this.options.emit({ kind: 'resource', resource, name, status, ...(detail !== undefined ? { detail } : {}), elapsedMs: now - this.started.get(key)! });
  }

  async operation(op: Operation): Promise<void> {
    try {
      await this.dispatch(op);
    } catch (err) {
      const failure = this.describe(op, err);
      for (const ref of operationResources(op)) this.emit(ref.resource, ref.name, 'Error', failure.message);
      throw failure;
    }
  }

  private async dispatch(op: Operation): Promise<void> {
    const e = this.engine;
    switch (op.kind) {
      case 'CreateNetwork':
        this.emit('network', op.name, 'Creating');
        await e.createNetwork(networkCreateRequest(op));
        return this.emit('network', op.name, 'Created');
      case 'RemoveNetwork':
        this.emit('network', op.name, 'Removing');
        return this.removed('network', op.name, await this.tolerant(() => e.removeNetwork(op.name), 'network', op.name));
      case 'CreateVolume':
        this.emit('volume', op.name, 'Creating');
        await e.createVolume(volumeCreateRequest(op));
        return this.emit('volume', op.name, 'Created');
      case 'RemoveVolume':
        this.emit('volume', op.name, 'Removing');
        return this.removed('volume', op.name, await this.tolerant(() => e.removeVolume(op.name), 'volume', op.name));
      case 'PullImage':
        return this.pull(op);
      case 'BuildImage':
        return this.build(op);
      case 'RemoveImage':
        this.emit('image', op.image, 'Removing');
        return this.removed('image', op.image, await this.tolerant(() => e.removeImage(op.image).then(() => undefined), 'image', op.image));
      case 'CreateContainer':
        return this.createContainer(op);
      case 'StartContainer':
        this.emit('container', op.containerName, 'Starting');
        await e.startContainer(op.containerName);
        return this.emit('container', op.containerName, 'Started');
      case 'UnpauseContainer':
        this.emit('container', op.containerName, 'Unpausing');
        await e.unpauseContainer(op.containerId);
        return this.emit('container', op.containerName, 'Running');
      case 'StopContainer':
        this.emit('container', op.containerName, 'Stopping');
        await e.stopContainer(op.containerId, { timeout: op.timeoutSeconds, signal: op.signal });
        return this.emit('container', op.containerName, 'Stopped');
      case 'RemoveContainer':
        this.emit('container', op.containerName, 'Removing');
        return this.removed('container', op.containerName, await this.tolerant(() => e.removeContainer(op.containerId, { force: true, volumes: op.removeVolumes }), 'container', op.containerName));
      case 'RenameContainer':
        await e.renameContainer(op.containerName, op.newName);
        return this.emit('container', op.newName, 'Recreated');
      case 'AwaitCondition':
        return this.awaitCondition(op);
    }
  }

  /**
   * Gone already is fine for a removal; in use is a warning, as in docker
   * compose. Returns false when the resource is still there (in use).
   */
  private async tolerant(call: () => Promise<void>, resource: ResourceKind, name: string): Promise<boolean> {
    try {
      await call();
      return true;
    } catch (err) {
      if (err instanceof EngineApiError && err.isNotFound) return true;
      if (err instanceof EngineApiError && (err.status === 409 || err.status === 403)) {
        this.options.emit({ kind: 'warning', message: `${resource} ${name} is still in use and was not removed: ${err.message}` });
        return false;
      }
      throw err;
    }
  }

  /** The last word on a removal: `Removed`, or docker compose's `Resource is still in use` when it stayed. */
  private removed(resource: ResourceKind, name: string, gone: boolean): void {
    if (gone) this.emit(resource, name, 'Removed');
    else this.emit(resource, name, 'Warning', 'Resource is still in use');
  }

  private async pull(op: PullImageOp): Promise<void> {
    this.emit('image', op.image, 'Pulling');
    for await (const message of this.engine.pullImage(op.image, { platform: op.platform, signal: this.options.signal })) {
      if (message.error) throw new ComposeRunError(message.error);
    }
    this.imageIds.delete(op.image);
    this.emit('image', op.image, 'Pulled');
  }

  private async build(op: BuildImageOp): Promise<void> {
    this.emit('image', op.image, 'Building');
    const settings = this.options.build ?? {};
    const plan = buildPlanOf(op, this.options.project.name, this.options.version ?? '0.0.0', settings);
    for (const warning of plan.warnings) this.options.emit({ kind: 'warning', message: warning });
    let packed;
    try {
      packed = packBuildContext(plan.context, { dockerfile: plan.dockerfile, dockerfileInline: plan.dockerfileInline });
    } catch (err) {
      throw new ComposeRunError(`service "${op.service}": ${(err as Error).message}`);
    }
    // The last lines of output go with an error: they say why a RUN step failed.
    const tail: string[] = [];
    let partial = '';
    const line = (text: string): void => {
      if (/^Step \d+\/\d+ : /.test(text)) this.emit('image', op.image, 'Building', text.length > 100 ? `${text.slice(0, 97)}...` : text);
      else if (/^ ---> |^Removing intermediate container /.test(text)) return;
      else {
        tail.push(text);
        if (tail.length > 12) tail.shift();
        if (settings.showOutput) this.options.emit({ kind: 'log', container: op.image, service: op.service, stream: 'stdout', line: text });
      }
    };
    try {
      const stream = this.engine.buildImage(packed.tar, { ...plan.options, dockerfile: packed.dockerfile, signal: this.options.signal });
      for await (const message of stream) {
        if (message.stream === undefined) continue;
        const parts = (partial + message.stream).split('\n');
        partial = parts.pop() ?? '';
        for (const p of parts) line(p.replace(/\r$/, ''));
      }
      if (partial) line(partial);
      await packed.done;
    } catch (err) {
      if (err instanceof EngineStreamError || err instanceof EngineApiError) {
        const output = tail.filter((l) => l.trim() !== '' && !err.message.includes(l.trim()));
        throw new ComposeRunError(
          `service "${op.service}" failed to build: ${err.message}${output.length ? `\n${output.map((l) => `  ${l}`).join('\n')}` : ''}`,
        );
      }
      throw err;
    }
    this.imageIds.delete(op.image);
    this.emit('image', op.image, 'Built');
  }

  private imageId(image: string): Promise<string | undefined> {
    let id = this.imageIds.get(image);
    if (!id) {
      id = this.engine.inspectImage(image).then(
        (info) => info.Id,
        (err: unknown) => {
          if (err instanceof EngineApiError && err.isNotFound) return undefined;
          throw err;
        },
      );
      this.imageIds.set(image, id);
    }
    return id;
  }

  private async createContainer(op: CreateContainerOp): Promise<void> {
    const display = op.replaces?.name ?? op.containerName;
    this.emit('container', display, op.replaces ? 'Recreate' : 'Creating');
    const imageId = await this.imageId(op.image);
    if (imageId === undefined) {
      throw new ComposeRunError(`service "${op.service}": image "${op.image}" not found; pull it (tscompose pull ${op.service}) or give the service a build: section`);
    }
    let inheritedMounts: readonly MountPoint[] = [];
    if (op.replaces) inheritedMounts = (await this.engine.inspectContainer(op.replaces.id)).Mounts ?? [];
    const request = buildCreateRequest(op, {
      project: this.options.project,
      configFiles: this.options.configFiles ?? [],
      environmentFiles: this.options.environmentFiles,
      version: this.options.version ?? '0.0.0',
      imageId,
      inheritedMounts,
    });
    const created = await this.engine.createContainer(request.body, { name: request.name, platform: op.config.platform });
    for (const attachment of request.connectAfter) {
      await this.engine.connectNetwork(attachment.network, created.Id, attachment.endpoint);
    }
    for (const warning of created.Warnings ?? []) this.options.emit({ kind: 'warning', message: `container ${display}: ${warning}` });
    this.emit('container', display, 'Created');
  }

  private async awaitCondition(op: AwaitConditionOp): Promise<void> {
    const goal = op.condition === 'service_healthy' ? 'healthy' : 'completed';
    await Promise.all(
      op.containerNames.map(async (name) => {
        this.emit('container', name, 'Waiting');
        const outcome = await awaitContainer(this.engine, name, goal, { clock: this.clock, pollMs: this.options.pollMs, signal: this.options.signal });
        if (outcome.ok) return this.emit('container', name, outcome.status);
        const error =
          goal === 'completed' && outcome.exitCode !== undefined ? new ServiceNotCompletedError(op.service, outcome.exitCode) : new DependencyFailedError(name, outcome.reason);
        if (op.required) throw error;
        // required: false — dependents start anyway, as in docker compose.
        this.options.emit({ kind: 'warning', message: `optional ${error.message}` });
        this.emit('container', name, 'Warning', error.message);
      }),
    );
  }

  /** One sentence naming the resource and the engine's reason. */
  private describe(op: Operation, err: unknown): ComposeRunError {
    if (err instanceof ComposeRunError) return err;
    const reason = err instanceof Error ? err.message : String(err);
    const [ref] = operationResources(op);
    const what = ref ? `${ref.resource} ${ref.name}` : op.id;
    const verb: Record<Operation['kind'], string> = {
      CreateNetwork: 'creating',
      RemoveNetwork: 'removing',
      CreateVolume: 'creating',
      RemoveVolume: 'removing',
      PullImage: 'pulling',
      BuildImage: 'building',
      RemoveImage: 'removing',
      CreateContainer: 'creating',
      StartContainer: 'starting',
      UnpauseContainer: 'unpausing',
      StopContainer: 'stopping',
      RemoveContainer: 'removing',
      RenameContainer: 'renaming',
      AwaitCondition: 'waiting for',
    };
    const services = 'service' in op && op.service ? [op.service] : 'services' in op ? op.services : [];
    const service = services.length > 0 ? `${services.length === 1 ? 'service' : 'services'} ${services.map((s) => `"${s}"`).join(', ')}: ` : '';
    const hint = FIXES.find(([pattern]) => pattern.test(reason))?.[1](services[0] ?? '');
    return new OperationFailedError(op.id, `${service}${verb[op.kind]} ${what} failed: ${reason}${hint ? `; ${hint}` : ''}`);
  }
}

/** The fix for engine errors people meet most, keyed by what the engine says. */
const FIXES: readonly [RegExp, (service: string) => string][] = [
  [/address already in use|port is already allocated/i, (s) => `free that port, or publish another one under ports: of service "${s}"`],
  [/executable file not found|exec format error|no such file or directory.*exec/i, (s) => `check command: and entrypoint: of service "${s}" against its image`],
  [/is already in use by container|Conflict\. The container name/i, () => 'remove the old container (tscompose down, or tscompose up --remove-orphans)'],
];

function networkCreateRequest(op: CreateNetworkOp): NetworkCreateRequest {
  const c = op.config;
  const request: NetworkCreateRequest = { Name: op.name, CheckDuplicate: true, Labels: { ...op.labels } };
  if (c.driver !== undefined) request.Driver = c.driver;
  if (c.internal !== undefined) request.Internal = c.internal;
  if (c.attachable !== undefined) request.Attachable = c.attachable;
  if (c.enable_ipv6 !== undefined) request.EnableIPv6 = c.enable_ipv6;
  if (c.driver_opts && Object.keys(c.driver_opts).length > 0) request.Options = { ...c.driver_opts };
  if (c.ipam) {
    request.IPAM = {
      ...(c.ipam.driver ? { Driver: c.ipam.driver } : {}),
      Config: (c.ipam.config ?? []).map((p) => ({
        ...(p.subnet ? { Subnet: p.subnet } : {}),
        ...(p.gateway ? { Gateway: p.gateway } : {}),
        ...(p.ip_range ? { IPRange: p.ip_range } : {}),
      })),
    };
  }
  return request;
}

function volumeCreateRequest(op: CreateVolumeOp) {
  const c = op.config;
  return {
    Name: op.name,
    Labels: { ...op.labels },
    ...(c.driver ? { Driver: c.driver } : {}),
    ...(c.driver_opts && Object.keys(c.driver_opts).length > 0 ? { DriverOpts: { ...c.driver_opts } } : {}),
  };
}

