// `tscompose up`: converge the project (converge.ts), then either return
// (-d), wait for running/healthy (--wait), or stay attached: multiplex the
// containers' output until they all exit, stop everything on the first exit
// with --abort-on-container-exit, and on Ctrl-C (a second Ctrl-C kills).

import type { Command } from 'commander';
import type { ReconcileOptions } from '../../plan/index.js';
import type { Project } from '../../types.js';
import { printContainerLogs } from '../attach.js';
import { UsageError } from '../context.js';
import { converge } from '../converge.js';
import { awaitContainer } from '../executor/await-container.js';
import { systemClock } from '../executor/clock.js';
import { ComposeRunError, DependencyFailedError, ExitStatus, ServiceNotCompletedError, WaitTimeoutError } from '../executor/errors.js';
import { actOnContainers } from '../container-board.js';
import { checkServices, containerNameOf, listProjectContainers, serviceOf, stopOptions } from '../project-containers.js';
import { nowMs, pollMs, withProject, type ProjectSession } from '../session.js';
import { LogPrinter } from '../ui/log-printer.js';
import type { CommandContext, CommandSetup } from './index.js';
import { collect, intOption, optionGiven, parseScale, pullPolicy } from './options.js';

interface UpOptions {
  detach?: boolean;
  build?: boolean;
  pull?: string;
  forceRecreate?: boolean;
  recreate?: boolean;
  deps?: boolean;
  removeOrphans?: boolean;
  scale?: string[];
  wait?: boolean;
  waitTimeout?: number;
  abortOnContainerExit?: boolean;
  exitCodeFrom?: string;
  timeout?: number;
  start?: boolean;
  alwaysRecreateDeps?: boolean;
  renewAnonVolumes?: boolean;
  color?: boolean;
  logPrefix?: boolean;
  timestamps?: boolean;
  quietPull?: boolean;
}

export function reconcileOptionsOf(services: readonly string[], options: UpOptions, buildGiven: boolean): ReconcileOptions {
  if (options.forceRecreate && options.recreate === false) throw new UsageError('--force-recreate and --no-recreate are incompatible: use one of them');
  return {
    services: services.length > 0 ? services : undefined,
    noDeps: options.deps === false,
    forceRecreate: options.forceRecreate,
    noRecreate: options.recreate === false,
    alwaysRecreateDeps: options.alwaysRecreateDeps,
    renewAnonVolumes: options.renewAnonVolumes,
    removeOrphans: options.removeOrphans,
    scale: parseScale(options.scale),
    build: buildGiven ? (options.build ? 'always' : 'never') : undefined,
    pull: pullPolicy(options.pull),
    noStart: options.start === false,
    timeout: options.timeout,
  };
}

export const up: CommandSetup = (program: Command, ctx: CommandContext) => {
  const attach: string[] = [];
  const noAttach: string[] = [];
  const command = program
    .command('up')
    .description('Create and start containers')
    .argument('[services...]', 'only these services (and their dependencies)')
    .option('-d, --detach', 'detached mode: run containers in the background')
    .option('--build', 'build images before starting containers')
    .option('--no-build', "don't build an image, even if it's missing")
    .option('--pull <policy>', 'pull image before running ("always"|"missing"|"never")')
    .option('--force-recreate', "recreate containers even if their configuration and image haven't changed")
    .option('--no-recreate', "if containers already exist, don't recreate them")
    .option('--always-recreate-deps', 'recreate dependent containers')
    .option('-V, --renew-anon-volumes', 'recreate anonymous volumes instead of retrieving data from the previous containers')
    .option('--no-deps', "don't start linked services")
    .option('--remove-orphans', 'remove containers for services not defined in the compose file')
    .option('--scale <service=n>', 'scale SERVICE to NUM instances (repeatable)', collect)
    .option('--wait', 'wait for services to be running|healthy; implies detached mode')
    .option('--wait-timeout <seconds>', 'maximum duration in seconds to wait for the project to be running|healthy', intOption('--wait-timeout'))
    .option('--abort-on-container-exit', 'stop all containers if any container was stopped; incompatible with -d')
    .option('--exit-code-from <service>', 'return the exit code of the selected service container; implies --abort-on-container-exit')
    .option('-t, --timeout <seconds>', 'shutdown timeout in seconds', intOption('--timeout'))
    .option('--no-start', "don't start the services after creating them")
    .option('--attach <service>', 'restrict attaching to the specified services (repeatable)')
    .option('--no-attach <service>', "don't attach to the specified service (repeatable)")
    .option('--no-color', 'produce monochrome output')
    .option('--no-log-prefix', "don't print prefix in logs")
    .option('--timestamps', 'show timestamps')
    .option('--quiet-pull', 'pull without printing progress information')
    .action(async (services: string[], options: UpOptions, cmd: Command) => {
      const detach = options.detach || options.wait || options.start === false;
      if (options.detach && (options.abortOnContainerExit || options.exitCodeFrom)) {
        throw new UsageError('-d and --abort-on-container-exit (or --exit-code-from) are incompatible: containers run in the background with -d');
      }
      await withProject(ctx, services, async (session) => {
        const project = session.loaded.project;
        checkServices(project, services);
        if (options.exitCodeFrom !== undefined) checkServices(project, [options.exitCodeFrom]);
        // Ctrl-C while converging: schedule nothing more, let the calls in
        // flight finish, and leave what exists for the next `up` or `down`.
        const cancel = new AbortController();
        let started = new Set<string>();
        // The output of a container this up starts begins now: an exited container started again keeps its old log.
        const since = (Date.now() / 1000).toFixed(3);
        const onInterrupt = () => cancel.abort(new ComposeRunError('canceled: the project is partly up; run tscompose up again, or tscompose down', 130));
        // SIGTERM (a process manager, `timeout`) is a Ctrl-C too, as in docker compose.
        process.once('SIGINT', onInterrupt);
        process.once('SIGTERM', onInterrupt);
        try {
          const plan = await converge(session, project, reconcileOptionsOf(services, options, optionGiven(cmd, 'build')), cancel.signal);
          started = new Set(plan.ofKind('StartContainer').map((op) => op.containerName));
          if (options.wait) await waitReady(session, project, services, options.waitTimeout, cancel.signal);
        } finally {
          process.off('SIGINT', onInterrupt);
          process.off('SIGTERM', onInterrupt);
        }
        if (detach) return;
        await attached(session, project, services, options, attach, noAttach, started, since);
      });
    });
  command.on('option:attach', (v: string) => attach.push(v));
  command.on('option:no-attach', (v: string) => noAttach.push(v));
};

/**
 * What `--wait` waits for in a service's containers: done with status 0 when
 * another service depends on it with service_completed_successfully (a
 * one-shot job: waiting for it to run would fail as soon as it finished, as
 * docker compose's getDependencyCondition says), else running or healthy.
 */
export function waitGoal(project: Project, service: string): 'completed' | 'ready' {
  const job = Object.values(project.services).some((s) => s.depends_on?.[service]?.condition === 'service_completed_successfully');
  return job ? 'completed' : 'ready';
}

/** `--wait`: every selected container running, and healthy when it has a health check. */
async function waitReady(session: ProjectSession, project: Project, services: readonly string[], timeoutSeconds: number | undefined, signal: AbortSignal): Promise<void> {
  const containers = await listProjectContainers(session.engine, project.name, { all: true, services });
  const clock = { now: nowMs, sleep: systemClock.sleep };
  const deadline = timeoutSeconds !== undefined ? nowMs() + timeoutSeconds * 1000 : undefined;
  const lines = containers.map((c) => ({ resource: 'container' as const, name: containerNameOf(c), steps: 1 }));
  await session.board('Waiting', lines, async (emit) => {
    const failures = await Promise.all(
      containers.map(async (c) => {
        const name = containerNameOf(c);
        emit({ kind: 'resource', resource: 'container', name, status: 'Waiting' });
        const outcome = await awaitContainer(session.engine, name, waitGoal(project, serviceOf(c)), { clock, deadline, pollMs: pollMs(), signal });
        if (outcome.ok) {
          emit({ kind: 'resource', resource: 'container', name, status: outcome.status === 'Healthy' ? 'Healthy' : outcome.status === 'Exited' ? 'Exited' : 'Running' });
          return undefined;
        }
        emit({ kind: 'resource', resource: 'container', name, status: 'Error', detail: outcome.reason });
        return { name, service: serviceOf(c), reason: outcome.reason, exitCode: outcome.exitCode };
      }),
    );
    const failed = failures.find((f) => f !== undefined);
    if (!failed) return;
    if (failed.reason.includes('in time')) {
      throw new WaitTimeoutError(`service "${failed.service}": container ${failed.name} ${failed.reason}; raise --wait-timeout or check its logs (tscompose logs ${failed.service})`);
    }
    if (waitGoal(project, failed.service) === 'completed' && failed.exitCode !== undefined) throw new ServiceNotCompletedError(failed.service, failed.exitCode);
    throw new DependencyFailedError(failed.name, failed.reason);
  });
}

/** `started`: containers this up started (their output since `since`); the others were running already and show only new output. */
async function attached(
  session: ProjectSession,
  project: Project,
  services: readonly string[],
  options: UpOptions,
  attach: string[],
  noAttach: string[],
  started: ReadonlySet<string>,
  since: string,
): Promise<void> {
  const engine = session.engine;
  const io = session.io;
  const all = await listProjectContainers(engine, project.name, { all: true, services: services.length > 0 ? services : undefined });
  const attachable = all.filter((c) => {
    const service = serviceOf(c);
    if (attach.length > 0) return attach.includes(service);
    if (noAttach.includes(service)) return false;
    return project.services[service]?.['attach'] !== false;
  });
  const printer = new LogPrinter({ color: session.output.color && options.color !== false, prefix: options.logPrefix !== false, write: io.stdout, projectName: project.name });
  const names = attachable.map(containerNameOf);
  printer.register(names);
  io.stdout(`Attaching to ${names.map((n) => printer.shortName(n)).join(', ')}\n`);

  const abortLogs = new AbortController();
  const follow = (name: string) =>
    printContainerLogs(engine, name, printer, {
      follow: true,
      ...(started.has(name) ? { since } : { tail: 0 }),
      timestamps: options.timestamps,
      signal: abortLogs.signal,
    }).catch(() => undefined);
  const followed = new Map(names.map((n) => [n, follow(n)]));
  const logs = Promise.all(followed.values());
  // A followed log ends by itself once its container has stopped; the grace
  // period only bounds an engine that keeps a stream open.
  const logsOf = (name: string) => Promise.race([followed.get(name), new Promise((r) => setTimeout(r, 2000).unref())]);
  const abortOnExit = options.abortOnContainerExit || options.exitCodeFrom !== undefined;
  let stopping: Promise<void> | undefined;
  let interrupted = false;
  // On a board of its own, as docker compose shows it after `Gracefully stopping...`.
  const stopAll = () =>
    (stopping ??= actOnContainers(session, project, all, {
      title: 'Stopping',
      order: 'down',
      working: 'Stopping',
      done: 'Stopped',
      call: async (c) => {
        await engine.stopContainer(c.Id, stopOptions(project.services[serviceOf(c)], options.timeout)).catch(() => undefined);
      },
    }));
  const onInterrupt = () => {
    if (!interrupted) {
      interrupted = true;
      io.stderr('Gracefully stopping... (press Ctrl+C again to force)\n');
      void stopAll();
    } else {
      for (const c of all) void engine.killContainer(c.Id).catch(() => undefined);
    }
  };
  process.on('SIGINT', onInterrupt);
  process.on('SIGTERM', onInterrupt);
  try {
    const exitCodes = new Map<string, number>();
    let firstExit: { service: string; code: number } | undefined;
    await Promise.all(
      attachable.map(async (c) => {
        const { StatusCode } = await engine.waitContainer(c.Id);
        exitCodes.set(serviceOf(c), StatusCode);
        // Its last lines first, then the news that it exited.
        await logsOf(containerNameOf(c));
        io.stdout(`${printer.shortName(containerNameOf(c))} exited with code ${StatusCode}\n`);
        if (abortOnExit && !firstExit) {
          firstExit = { service: serviceOf(c), code: StatusCode };
          if (!interrupted) io.stderr('Aborting on container exit...\n');
          await stopAll();
        }
      }),
    );
    await stopping;
    await Promise.race([logs, new Promise((r) => setTimeout(r, 2000).unref())]);
    abortLogs.abort();
    if (interrupted) throw new ExitStatus(130);
    if (options.exitCodeFrom !== undefined) {
      const code = exitCodes.get(options.exitCodeFrom) ?? 0;
      if (code !== 0) throw new ExitStatus(code);
    } else if (firstExit && firstExit.code !== 0) {
      throw new ExitStatus(firstExit.code);
    }
  } finally {
    process.off('SIGINT', onInterrupt);
    process.off('SIGTERM', onInterrupt);
    abortLogs.abort();
  }
}
