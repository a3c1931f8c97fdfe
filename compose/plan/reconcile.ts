// `up` (and `create`, `run`) as a pure function: the desired Project and one
// observed snapshot in, a Plan out. Mirrors docker compose v2's reconciler
// (pkg/compose/reconcile.go) and start phase (start.go, convergence.go):
//
//   networks, volumes, images      created/pulled/built when missing
//   containers, per service, dependencies first:
//     scale down                   stop + remove, obsolete ones first, then the highest numbers
//     recreate                     create `<id12>_<name>` -> stop old -> remove old -> rename,
//                                  so the new container exists before the old one goes;
//                                  dependents with `restart: true` are stopped first
//     scale up                     new numbers continue after the highest existing one
//   starts                         every container that is not running afterwards, each
//                                  waiting on its dependencies' starts (service_started) or
//                                  on an AwaitCondition node (service_healthy,
//                                  service_completed_successfully)
//   orphans                        removed with --remove-orphans, else a warning
//
// Differences from docker compose, on purpose:
//   - Starts are planned here; docker compose decides them in a second pass.
//   - A service with both `build` and a missing image is built, not first
//     pulled: a plan has no "try this, else that" operations.
//   - Scale down mirrors docker compose and does not prefer stopped containers.
//   - A container whose image changed under the same tag (label
//     com.docker.compose.image, written by the executor, against the
//     observed image id) is recreated only when this plan does not pull or
//     build that image: until the pull has run nobody knows the new id.
//     docker compose pulls before it plans; a CLI that wants the same runs
//     the plan's PullImage/BuildImage operations, observes again, and plans
//     again with `pull: 'never', build: 'never'`.
//   - Networks and volumes whose definition changed are reported (warning),
//     not recreated.

import { ProjectError } from '../errors.js';
import { buildGraph, serviceModeTarget, volumesFromService, type ServiceGraph } from '../graph/graph.js';
import type { Project, ServiceConfig } from '../types.js';
import { PlanBuilder } from './builder.js';
import { configHash, networkConfigHash, volumeConfigHash } from './hash.js';
import {
  LABEL_CONFIG_HASH,
  LABEL_CONTAINER_NUMBER,
  LABEL_DEPENDS_ON,
  LABEL_IMAGE,
  LABEL_NETWORK,
  LABEL_ONEOFF,
  LABEL_PROJECT,
  LABEL_REPLACE,
  LABEL_SERVICE,
  LABEL_SLUG,
  LABEL_VOLUME,
  LABEL_WORKING_DIR,
} from './labels.js';
import { containerNumber, containerConfigHash, type ObservedContainer, type ObservedState } from './observed.js';
import { operationId, type AwaitConditionOp, type Plan } from './plan.js';
import {
  classifyContainers,
  containerName,
  desiredScale,
  stopSettings,
  findImage,
  findNetwork,
  findVolume,
  isRunningLike,
  networkConfig,
  normalizeImageRef,
  oneOffName,
  orphanCause,
  serviceImage,
  serviceNetworkKeys,
  serviceVolumeKeys,
  volumeConfig,
} from './resources.js';

export type RecreatePolicy = 'diverged' | 'force' | 'never';

/** `run`: one extra container for `service`, besides converging its dependencies. */
export interface OneOffOptions {
  readonly service: string;
  /**
   * The caller's random id (the planner is pure): docker uses 64 hex digits;
   * the container name takes the first 12.
   */
  readonly slug: string;
  /** `run --name`. */
  readonly name?: string;
  /** The service with `run`'s overrides applied (command, env, user, ...); default the project's. */
  readonly config?: ServiceConfig;
  /** `run --rm`. */
  readonly autoRemove?: boolean;
}

export interface ReconcileOptions {
  /** Services named on the command line; default all. */
  readonly services?: readonly string[];
  /** `--no-deps`: converge only the named services. */
  readonly noDeps?: boolean;
  /** `--force-recreate` (named services). */
  readonly forceRecreate?: boolean;
  /** `--no-recreate` (all services). */
  readonly noRecreate?: boolean;
  /** `--always-recreate-deps` (dependencies of the named services). */
  readonly alwaysRecreateDeps?: boolean;
  /** `-V, --renew-anon-volumes`: replacements do not inherit anonymous volumes. */
  readonly renewAnonVolumes?: boolean;
  readonly removeOrphans?: boolean;
  /** COMPOSE_IGNORE_ORPHANS: do not warn about orphans. */
  readonly ignoreOrphans?: boolean;
  /** `--scale SERVICE=N`. */
  readonly scale?: Readonly<Record<string, number>>;
  /** `--build` = always, `--no-build` = never; default missing. */
  readonly build?: 'always' | 'never' | 'missing';
  /** `--pull`; `policy` (default) follows each service's pull_policy. */
  readonly pull?: 'always' | 'missing' | 'never' | 'build' | 'policy';
  /** `--no-start` / `create`: plan no starts. */
  readonly noStart?: boolean;
  /** `-t`: seconds before SIGKILL when stopping; default each service's stop_grace_period. */
  readonly timeout?: number;
  readonly oneoff?: OneOffOptions;
}

/** Per-container outcome while planning one service. */
interface Planned {
  readonly name: string;
  /** The op after which the container exists under its final name (create or rename). */
  readonly ready?: string;
  /** True when it will not be running once creation is over. */
  readonly needsStart: boolean;
  readonly startCause: string;
  /** Observed container kept as is, paused: unpause rather than start. */
  readonly paused?: ObservedContainer;
  /** The stop planned for it (restart of a dependency), which its start must follow. */
  readonly stoppedBy?: string;
}

export function reconcile(project: Project, observed: ObservedState, options: ReconcileOptions = {}): Plan {
  return new Reconciler(project, observed, options).run();
}

class Reconciler {
  private readonly plan = new PlanBuilder();
  private readonly graph: ServiceGraph;
  /** Services converged like `up` does: the named ones and (unless --no-deps) what they need. */
  private readonly active: readonly string[];
  private readonly activeSet: ReadonlySet<string>;
  /** The named services (recreate policy differs for the others). */
  private readonly targeted: ReadonlySet<string>;
  private readonly containers: ReturnType<typeof classifyContainers>;

  private readonly networkOps = new Map<string, string>();
  private readonly volumeOps = new Map<string, string>();
  private readonly imageOps = new Map<string, string>();
  /** Per service: ops after which its containers exist in their final form. */
  private readonly finalOps = new Map<string, string[]>();
  /** Per service: its start and unpause ops. */
  private readonly startOps = new Map<string, string[]>();
  /** Per service: final names of its containers. */
  private readonly finalNames = new Map<string, string[]>();
  private readonly recreated = new Set<string>();
  /** Observed container id -> the stop already planned for it. */
  private readonly stoppedByPlan = new Map<string, string>();

  constructor(
    private readonly project: Project,
    private readonly observed: ObservedState,
    private readonly options: ReconcileOptions,
  ) {
    const { graph, warnings } = buildGraph(project);
    this.graph = graph;
    for (const w of warnings) this.plan.warn(w);
    this.containers = classifyContainers(project, observed);

    const oneoff = options.oneoff;
    let active: string[];
    if (oneoff) {
      this.requireService(oneoff.service);
      active = options.noDeps ? [] : graph.withDependencies([oneoff.service]).filter((n) => n !== oneoff.service);
      this.targeted = new Set();
    } else if (options.services && options.services.length > 0) {
      for (const s of options.services) this.requireService(s);
      active = options.noDeps ? [...new Set(options.services)] : graph.withDependencies(options.services);
      this.targeted = new Set(options.services);
    } else {
      active = [...graph.names];
      this.targeted = new Set(active);
    }
    this.activeSet = new Set(active);
    this.active = graph.select(active).order('up');
  }

  run(): Plan {
    this.planNetworks();
    this.planVolumes();
    this.planImages();
    for (const name of this.active) this.planService(name);
    if (this.options.oneoff) this.planOneOff(this.options.oneoff);
    this.planOrphans();
    return this.plan.build();
  }

  private requireService(name: string): void {
    if (Object.hasOwn(this.project.services, name)) return;
    const disabled = Object.hasOwn(this.project.disabledServices ?? {}, name) ? this.project.disabledServices?.[name] : undefined;
    if (disabled) {
      const profiles = disabled.profiles ?? [];
      const fix = profiles.length > 0 ? `; enable it with --profile ${profiles.join(' or --profile ')}` : '';
      throw new ProjectError(`service "${name}" is disabled${fix}`);
    }
    throw new ProjectError(`no such service: "${name}"`);
  }

  /** Services whose networks, volumes and images this plan needs. */
  private usedServices(): string[] {
    const names = new Set(this.active);
    if (this.options.oneoff) names.add(this.options.oneoff.service);
    return [...names].sort();
  }

  private service(name: string): ServiceConfig {
    return this.project.services[name];
  }

  // --- networks, volumes, images ------------------------------------------

  private planNetworks(): void {
    const keys = new Map<string, string>();
    for (const s of this.usedServices()) for (const k of serviceNetworkKeys(this.service(s))) if (!keys.has(k)) keys.set(k, s);
    for (const key of [...keys.keys()].sort()) {
      const config = networkConfig(this.project, key, keys.get(key));
      if (config.external) continue;
      const hash = networkConfigHash(config);
      const found = findNetwork(this.observed, this.project.name, key, config.name);
      if (found) {
        const owner = found.labels[LABEL_PROJECT];
        if (owner !== this.project.name) {
          this.plan.warn(
            `network "${config.name}" exists but was not created for project "${this.project.name}"` +
              `${owner ? ` (it belongs to "${owner}")` : ''}; set \`external: true\` on network "${key}" to use it on purpose`,
          );
        } else if (diverged(found.labels[LABEL_CONFIG_HASH], hash)) {
          this.plan.warn(`network "${config.name}" differs from network "${key}" in the compose file; run \`down\` then \`up\` to recreate it`);
        }
        continue;
      }
      const labels = { ...(config.labels ?? {}), [LABEL_PROJECT]: this.project.name, [LABEL_NETWORK]: key, [LABEL_CONFIG_HASH]: hash };
      const id = this.plan.add(config.name, { kind: 'CreateNetwork', cause: 'not found', network: key, name: config.name, config, labels });
      this.networkOps.set(key, id);
    }
  }

  private planVolumes(): void {
    const keys = new Set<string>();
    for (const s of this.usedServices()) for (const k of serviceVolumeKeys(this.project, this.service(s))) keys.add(k);
    for (const key of [...keys].sort()) {
      const config = volumeConfig(this.project, key);
      if (config.external) continue;
      const hash = volumeConfigHash(config);
      const found = findVolume(this.observed, this.project.name, key, config.name);
      if (found) {
        const owner = found.labels[LABEL_PROJECT];
        if (owner !== this.project.name) {
          this.plan.warn(
            `volume "${config.name}" exists but was not created for project "${this.project.name}"` +
              `${owner ? ` (it belongs to "${owner}")` : ''}; set \`external: true\` on volume "${key}" to use it on purpose`,
          );
        } else if (diverged(found.labels[LABEL_CONFIG_HASH], hash)) {
          // Recreating a volume loses its data: docker compose asks first; a
          // plan cannot ask, so it only says so.
          this.plan.warn(`volume "${config.name}" differs from volume "${key}" in the compose file; remove it (\`down -v\`, data is lost) to recreate it`);
        }
        continue;
      }
      const labels = { ...(config.labels ?? {}), [LABEL_PROJECT]: this.project.name, [LABEL_VOLUME]: key, [LABEL_CONFIG_HASH]: hash };
      const id = this.plan.add(config.name, { kind: 'CreateVolume', cause: 'not found', volume: key, name: config.name, config, labels });
      this.volumeOps.set(key, id);
    }
  }

  private planImages(): void {
    for (const name of this.usedServices()) {
      const service = this.service(name);
      if (service.image === undefined && service.build === undefined) {
        throw new ProjectError(`service "${name}" has neither an image nor a build section; add one of them`);
      }
      const image = serviceImage(this.project.name, name, service);
      const present = findImage(this.observed, image) !== undefined;
      const override = this.options.pull && this.options.pull !== 'policy' ? this.options.pull : undefined;
      const policy = override ?? service.pull_policy ?? 'missing';
      const policyWhy = override ? `--pull ${override}` : `pull_policy: ${policy}`;
      const key = normalizeImageRef(image);

      if (service.build !== undefined) {
        let cause: string | undefined;
        if (this.options.build === 'always') cause = '--build';
        else if (this.options.build === 'never') {
          if (!present) this.plan.warn(`service "${name}": image "${image}" is not present and --no-build was given`);
        } else if (policy === 'build') cause = policyWhy;
        else if (!present) cause = 'image not found';
        if (cause === undefined) continue;
        const id = operationId('BuildImage', key);
        if (!this.plan.has(id)) {
          this.plan.add(key, { kind: 'BuildImage', cause, image, service: name, build: service.build, platform: service.platform });
        }
        this.imageOps.set(name, id);
        continue;
      }

      let cause: string | undefined;
      if (policy === 'always') cause = policyWhy;
      else if (policy === 'never' || policy === 'build') {
        if (!present) this.plan.warn(`service "${name}": image "${image}" is not present and ${policyWhy} forbids pulling it`);
      } else if (!present) cause = 'image not found';
      if (cause === undefined) continue;
      const id = operationId('PullImage', key);
      const existing = this.plan.get(id);
      if (existing && existing.kind === 'PullImage') {
        this.plan.update(id, 'PullImage', { services: [...existing.services, name].sort() });
      } else {
        this.plan.add(key, { kind: 'PullImage', cause, image, services: [name], platform: service.platform });
      }
      this.imageOps.set(name, id);
    }
  }

  // --- containers ----------------------------------------------------------

  private policyFor(name: string): RecreatePolicy {
    const o = this.options;
    if (o.noRecreate) return 'never';
    if (this.targeted.has(name)) return o.forceRecreate ? 'force' : 'diverged';
    return o.alwaysRecreateDeps ? 'force' : 'diverged';
  }

  /** What the service's new containers must wait for before being created. */
  private createDeps(name: string, service: ServiceConfig, withServiceDeps: boolean): string[] {
    const deps: string[] = [];
    for (const k of serviceNetworkKeys(service)) {
      const op = this.networkOps.get(k);
      if (op) deps.push(op);
    }
    for (const k of serviceVolumeKeys(this.project, service)) {
      const op = this.volumeOps.get(k);
      if (op) deps.push(op);
    }
    const image = this.imageOps.get(name);
    if (image) deps.push(image);
    // links, network_mode: service:x and volumes_from resolve the other
    // service's containers when this one is created: they must exist by then.
    if (withServiceDeps) {
      for (const d of this.graph.dependencies(name)) if (this.activeSet.has(d)) deps.push(...(this.finalOps.get(d) ?? []));
    }
    return deps;
  }

  /** The recreate reason for a container, or undefined to keep it. */
  private recreateCause(name: string, service: ServiceConfig, hash: string, c: ObservedContainer, policy: RecreatePolicy): string | undefined {
    if (policy === 'never') return undefined;
    if (policy === 'force') return this.targeted.has(name) ? '--force-recreate' : '--always-recreate-deps';
    const parent = this.recreatedNamespaceParent(service);
    if (parent) return parent;
    if (containerConfigHash(c) !== hash) return 'config hash changed';
    const imageLabel = c.labels[LABEL_IMAGE];
    if (imageLabel !== undefined && !this.imageOps.has(name)) {
      const current = findImage(this.observed, serviceImage(this.project.name, name, service));
      if (current && current.id !== imageLabel) return 'image changed';
    }
    return undefined;
  }

  /**
   * A container that shares another service's namespaces or volumes points at
   * that service's container id; when that container is replaced the
   * reference goes stale, so the dependent is recreated too.
   */
  private recreatedNamespaceParent(service: ServiceConfig): string | undefined {
    for (const key of ['network_mode', 'ipc', 'pid'] as const) {
      const parent = serviceModeTarget(service[key]);
      if (parent && this.recreated.has(parent)) return `"${parent}" recreated (${key}: service:${parent})`;
    }
    for (const spec of service.volumes_from ?? []) {
      const parent = volumesFromService(spec);
      if (parent && this.recreated.has(parent)) return `"${parent}" recreated (volumes_from)`;
    }
    return undefined;
  }

  private stopFields(name: string | undefined, c: ObservedContainer) {
    const service = name !== undefined ? this.project.services[name] : undefined;
    return { service: name, containerId: c.id, containerName: c.name, ...stopSettings(service, this.options.timeout) };
  }

  /** Plans a stop unless one is planned already or the container is not running; returns the stop's id. */
  private ensureStopped(name: string | undefined, c: ObservedContainer, cause: string, deps: string[] = []): string | undefined {
    const planned = this.stoppedByPlan.get(c.id);
    if (planned) return planned;
    if (!isRunningLike(c.state)) return undefined;
    const id = this.plan.add(c.name, { kind: 'StopContainer', cause, ...this.stopFields(name, c) }, deps);
    this.stoppedByPlan.set(c.id, id);
    return id;
  }

  /** Stops the running containers of active services that depend on `name` with `restart: true`. */
  private stopRestartDependents(name: string): string[] {
    const stops: string[] = [];
    for (const edge of this.graph.dependentEdges(name)) {
      if (!edge.restart || !this.activeSet.has(edge.from)) continue;
      for (const c of this.containers.byService.get(edge.from) ?? []) {
        const id = this.ensureStopped(edge.from, c, `dependency "${name}" is recreated (restart: true)`);
        if (id) stops.push(id);
      }
    }
    return stops;
  }

  private labels(name: string, service: ServiceConfig, extra: Record<string, string>): Record<string, string> {
    const deps = Object.entries(service.depends_on ?? {})
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([d, v]) => `${d}:${v.condition}:${v.restart ?? false}`)
      .join(',');
    const labels: Record<string, string> = {
      ...(service.labels ?? {}),
      [LABEL_PROJECT]: this.project.name,
      [LABEL_SERVICE]: name,
      [LABEL_ONEOFF]: 'False',
      [LABEL_CONFIG_HASH]: configHash(service),
      [LABEL_DEPENDS_ON]: deps,
      ...extra,
    };
    if (this.project.workingDir !== undefined) labels[LABEL_WORKING_DIR] = this.project.workingDir;
    return labels;
  }

  private planService(name: string): void {
    const service = this.service(name);
    const expected = desiredScale(name, service, this.options.scale);
    if (!Number.isInteger(expected) || expected < 0) {
      throw new ProjectError(`service "${name}": scale must be a whole number of containers, 0 or more, not ${expected}`);
    }
    if (service.container_name !== undefined && expected > 1) {
      throw new ProjectError(
        `service "${name}" sets container_name "${service.container_name}" and cannot run ${expected} containers: ` +
          `container names are unique; remove container_name to scale it`,
      );
    }
    const observed = [...(this.containers.byService.get(name) ?? [])];
    const actual = observed.length;
    const policy = this.policyFor(name);
    const hash = configHash(service);
    const image = serviceImage(this.project.name, name, service);
    const causes = new Map(observed.map((c) => [c.id, this.recreateCause(name, service, hash, c, policy)]));

    // Keep order: up-to-date before obsolete, then by number, newest first on
    // ties; the tail beyond `expected` is removed (docker compose's order).
    observed.sort((a, b) => {
      const oa = causes.get(a.id) !== undefined;
      const ob = causes.get(b.id) !== undefined;
      if (oa !== ob) return oa ? 1 : -1;
      const na = containerNumber(a) ?? 0;
      const nb = containerNumber(b) ?? 0;
      if (na !== nb) return na - nb;
      return b.created - a.created;
    });

    const finals: string[] = [];
    const planned: Planned[] = [];
    observed.forEach((c, i) => {
      if (i >= expected) {
        const cause = `scale ${actual} -> ${expected}`;
        const stop = this.ensureStopped(name, c, cause);
        finals.push(this.plan.add(c.name, { kind: 'RemoveContainer', cause, service: name, containerId: c.id, containerName: c.name, removeVolumes: false }, stop ? [stop] : []));
        return;
      }
      const cause = causes.get(c.id);
      if (cause !== undefined) {
        const rename = this.planRecreate(name, service, c, cause, image);
        finals.push(rename);
        this.recreated.add(name);
        planned.push({ name: containerName(this.project.name, name, service, containerNumber(c) ?? 0), ready: rename, needsStart: true, startCause: 'recreated' });
        return;
      }
      const stoppedBy = this.stoppedByPlan.get(c.id);
      if (stoppedBy) {
        planned.push({ name: c.name, needsStart: true, startCause: 'restart: true dependency was recreated', stoppedBy });
      } else if (c.state === 'paused') {
        planned.push({ name: c.name, needsStart: true, startCause: 'paused', paused: c });
      } else {
        planned.push({ name: c.name, needsStart: !isRunningLike(c.state), startCause: c.state });
      }
    });

    const next = Math.max(0, ...(this.containers.byService.get(name) ?? []).map((c) => containerNumber(c) ?? 0)) + 1;
    for (let i = 0; i < expected - actual; i++) {
      const number = next + i;
      const cname = containerName(this.project.name, name, service, number);
      const cause = actual === 0 ? 'not found' : `scale ${actual} -> ${expected}`;
      const id = this.plan.add(
        cname,
        {
          kind: 'CreateContainer',
          cause,
          service: name,
          containerName: cname,
          number,
          oneoff: false,
          image,
          config: service,
          labels: this.labels(name, service, { [LABEL_CONTAINER_NUMBER]: String(number) }),
        },
        this.createDeps(name, service, true),
      );
      finals.push(id);
      planned.push({ name: cname, ready: id, needsStart: true, startCause: 'new container' });
    }

    this.finalOps.set(name, finals);
    this.finalNames.set(name, planned.map((p) => p.name).sort());
    if (!this.options.noStart) this.planStarts(name, planned);
  }

  /** create `<id12>_<name>` -> stop old -> remove old -> rename new; returns the rename's id. */
  private planRecreate(name: string, service: ServiceConfig, old: ObservedContainer, cause: string, image: string): string {
    const number = containerNumber(old) ?? 0;
    const finalName = containerName(this.project.name, name, service, number);
    const tmpName = `${old.id.slice(0, 12)}_${finalName}`;
    const dependentStops = this.stopRestartDependents(name);
    const replaced = service.container_name ?? `${name}-${number}`;
    const create = this.plan.add(
      tmpName,
      {
        kind: 'CreateContainer',
        cause,
        service: name,
        containerName: tmpName,
        number,
        oneoff: false,
        image,
        config: service,
        labels: this.labels(name, service, { [LABEL_CONTAINER_NUMBER]: String(number), [LABEL_REPLACE]: replaced }),
        replaces: this.options.renewAnonVolumes ? undefined : { id: old.id, name: old.name },
      },
      [...this.createDeps(name, service, true), ...dependentStops],
    );
    const replacedBy = `replaced by ${tmpName}`;
    const earlierStop = this.stoppedByPlan.get(old.id);
    const stop = earlierStop ?? this.ensureStopped(name, old, replacedBy, [create]);
    const remove = this.plan.add(
      old.name,
      { kind: 'RemoveContainer', cause: replacedBy, service: name, containerId: old.id, containerName: old.name, removeVolumes: false },
      // The new container must exist before the old one goes. A fresh stop
      // already waits on the create; an earlier one (a restart) or none does not.
      stop && !earlierStop ? [stop] : stop ? [stop, create] : [create],
    );
    return this.plan.add(tmpName, { kind: 'RenameContainer', cause: 'finalize recreate', service: name, containerName: tmpName, newName: finalName }, [remove]);
  }

  /** What a start of `name`'s containers waits for: its dependencies' starts or conditions. */
  private startGate(name: string): string[] {
    const gate: string[] = [];
    for (const edge of this.graph.dependencyEdges(name)) {
      const dep = edge.to;
      if (!this.activeSet.has(dep)) continue;
      if (desiredScale(dep, this.service(dep), this.options.scale) === 0) continue;
      const starts = this.startOps.get(dep) ?? [];
      if (edge.condition === 'service_started') {
        gate.push(...starts);
        continue;
      }
      gate.push(this.awaitOp(dep, edge.condition, edge.required, name, starts));
    }
    return gate;
  }

  private awaitOp(dep: string, condition: AwaitConditionOp['condition'], required: boolean, dependent: string, starts: string[]): string {
    const target = `${dep}:${condition}${required ? '' : ':optional'}`;
    const id = operationId('AwaitCondition', target);
    const existing = this.plan.get(id);
    if (existing) {
      const names = existing.cause.replace(/^needed by /, '').split(', ');
      this.plan.update(id, 'AwaitCondition', { cause: `needed by ${[...new Set([...names, dependent])].sort().join(', ')}` });
      return id;
    }
    this.plan.add(
      target,
      { kind: 'AwaitCondition', cause: `needed by ${dependent}`, service: dep, condition, required, containerNames: this.finalNames.get(dep) ?? [] },
      starts,
    );
    return id;
  }

  private planStarts(name: string, planned: Planned[]): void {
    const starts: string[] = [];
    let gate: string[] | undefined;
    for (const p of planned) {
      if (!p.needsStart) continue;
      gate ??= this.startGate(name);
      const deps = [...gate, ...(p.ready ? [p.ready] : []), ...(p.stoppedBy ? [p.stoppedBy] : [])];
      if (p.paused) {
        const c = p.paused;
        starts.push(this.plan.add(c.name, { kind: 'UnpauseContainer', cause: 'paused', service: name, containerId: c.id, containerName: c.name }, deps));
      } else {
        starts.push(this.plan.add(p.name, { kind: 'StartContainer', cause: p.startCause, service: name, containerName: p.name, oneoff: false }, deps));
      }
    }
    this.startOps.set(name, starts);
  }

  // --- run, orphans ----------------------------------------------------------

  private planOneOff(oneoff: OneOffOptions): void {
    const name = oneoff.service;
    const base = oneoff.config ?? this.service(name);
    // A one-off container runs once: docker compose drops restart policies.
    const { restart: _restart, ...rest } = base;
    let config: ServiceConfig = rest;
    if (base.deploy?.restart_policy !== undefined) {
      const { restart_policy: _policy, ...deploy } = base.deploy;
      config = { ...config, deploy };
    }
    const cname = oneoff.name ?? oneOffName(this.project.name, name, oneoff.slug);
    const create = this.plan.add(
      cname,
      {
        kind: 'CreateContainer',
        cause: 'one-off container (run)',
        service: name,
        containerName: cname,
        oneoff: true,
        image: serviceImage(this.project.name, name, config),
        config,
        labels: this.labels(name, config, { [LABEL_ONEOFF]: 'True', [LABEL_SLUG]: oneoff.slug }),
        autoRemove: oneoff.autoRemove,
      },
      this.createDeps(name, config, !this.options.noDeps),
    );
    if (this.options.noStart) return;
    const gate = this.options.noDeps ? [] : this.startGate(name);
    this.plan.add(cname, { kind: 'StartContainer', cause: 'run', service: name, containerName: cname, oneoff: true }, [create, ...gate]);
  }

  private planOrphans(): void {
    const orphans = this.containers.orphans;
    if (orphans.length === 0) return;
    if (!this.options.removeOrphans) {
      if (this.options.ignoreOrphans) return;
      this.plan.warn(
        `found orphan containers (${orphans.map((c) => c.name).join(', ')}) for this project; ` +
          `if you removed or renamed their service in the compose file, run this command with --remove-orphans to clean them up`,
      );
      return;
    }
    for (const c of orphans) {
      const cause = orphanCause(c);
      const stop = this.ensureStopped(undefined, c, cause);
      this.plan.add(c.name, { kind: 'RemoveContainer', cause, containerId: c.id, containerName: c.name, removeVolumes: false }, stop ? [stop] : []);
    }
  }
}

/** True when a resource carries a config hash and it is not the expected one (no hash: made elsewhere, reuse it). */
function diverged(label: string | undefined, expected: string): boolean {
  return label !== undefined && label !== '' && label !== expected;
}
