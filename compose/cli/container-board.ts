// One engine call per container, shown on a board: `Container app-web-1
// Stopping` ... `Stopped`, in dependency order or all at once. Used by
// start, stop, restart, kill, pause, unpause and rm, which act on what exists
// rather than on a plan.

import type { ContainerSummary } from '../../runtime/client/index.js';
import type { Project } from '../types.js';
import { OperationFailedError } from './executor/errors.js';
import type { ResourceStatus } from './executor/events.js';
import { containerNameOf, inServiceOrder } from './project-containers.js';
import { nowMs, type Session } from './session.js';

export interface ContainerAction {
  readonly title: string;
  /** `up`: dependencies first; `down`: dependents first; `parallel`: all at once. */
  readonly order: 'up' | 'down' | 'parallel';
  readonly working: ResourceStatus;
  readonly done: ResourceStatus;
  readonly call: (c: ContainerSummary) => Promise<void>;
}

export async function actOnContainers(session: Session, project: Project, containers: readonly ContainerSummary[], action: ContainerAction): Promise<void> {
  const lines = containers.map((c) => ({ resource: 'container' as const, name: containerNameOf(c), steps: 1 }));
  await session.board(action.title, lines, async (emit) => {
    const one = async (c: ContainerSummary) => {
      const name = containerNameOf(c);
      const started = nowMs();
      emit({ kind: 'resource', resource: 'container', name, status: action.working, elapsedMs: 0 });
      try {
        await action.call(c);
      } catch (err) {
        const message = `${action.working.toLowerCase()} container ${name} failed: ${err instanceof Error ? err.message : String(err)}`;
        emit({ kind: 'resource', resource: 'container', name, status: 'Error', detail: message, elapsedMs: nowMs() - started });
        throw new OperationFailedError(name, message);
      }
      emit({ kind: 'resource', resource: 'container', name, status: action.done, elapsedMs: nowMs() - started });
    };
    if (action.order === 'parallel') await Promise.all(containers.map(one));
    else await inServiceOrder(project, containers, action.order, one, session.globals.parallel);
  });
}
