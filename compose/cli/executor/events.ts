// What the executor and the commands report, as data (STYLE 8): renderers in
// ui/ turn these into a task board, plain lines, JSON or nothing. The core
// never prints.

export type ResourceKind = 'container' | 'network' | 'volume' | 'image';

export type ResourceStatus =
  | 'Creating'
  | 'Created'
  | 'Starting'
  | 'Started'
  | 'Waiting'
  | 'Healthy'
  | 'Exited'
  | 'Stopping'
  | 'Stopped'
  | 'Removing'
  | 'Removed'
  | 'Pulling'
  | 'Pulled'
  | 'Building'
  | 'Built'
  | 'Recreate'
  | 'Recreated'
  | 'Running'
  | 'Killing'
  | 'Killed'
  | 'Pausing'
  | 'Paused'
  | 'Unpausing'
  | 'Unpaused'
  | 'Restarting'
  | 'Restarted'
  | 'Warning'
  | 'Error';

/** Whether a status ends a step (a tick on the board) or is one under way (a spinner). */
export type StatusPhase = 'working' | 'done' | 'error';

/** Keyed by status so a new status without a phase is a compile error. */
export const STATUS_PHASE: Readonly<Record<ResourceStatus, StatusPhase>> = {
  Creating: 'working',
  Created: 'done',
  Starting: 'working',
  Started: 'done',
  Waiting: 'working',
  Healthy: 'done',
  Exited: 'done',
  Stopping: 'working',
  Stopped: 'done',
  Removing: 'working',
  Removed: 'done',
  Pulling: 'working',
  Pulled: 'done',
  Building: 'working',
  Built: 'done',
  Recreate: 'working',
  Recreated: 'done',
  Running: 'done',
  Killing: 'working',
  Killed: 'done',
  Pausing: 'working',
  Paused: 'done',
  Unpausing: 'working',
  Unpaused: 'done',
  Restarting: 'working',
  Restarted: 'done',
  Warning: 'done',
  Error: 'error',
};

export interface ResourceEvent {
  readonly kind: 'resource';
  readonly resource: ResourceKind;
  /** The engine name: `app-db-1`, `app_default`, `nginx:1.27`. */
  readonly name: string;
  readonly status: ResourceStatus;
  /** A short reason or detail: the error text, `exit code 1`. */
  readonly detail?: string;
  /** Time since this resource's first event of the run. */
  readonly elapsedMs?: number;
}

export interface WarningEvent {
  readonly kind: 'warning';
  readonly message: string;
}

/** One line of a container's output. */
export interface LogEvent {
  readonly kind: 'log';
  /** Container name (`app-db-1`). */
  readonly container: string;
  readonly service: string;
  readonly stream: 'stdout' | 'stderr';
  readonly line: string;
}

export type ProgressEvent = ResourceEvent | WarningEvent | LogEvent;
export type ProgressEventKind = ProgressEvent['kind'];

export type EmitEvent = (event: ProgressEvent) => void;

/** Docker compose's word for a resource kind in progress lines. */
export const RESOURCE_TITLE: Readonly<Record<ResourceKind, string>> = {
  container: 'Container',
  network: 'Network',
  volume: 'Volume',
  image: 'Image',
};

/** A stable key for one resource line. */
export function resourceKey(resource: ResourceKind, name: string): string {
  return `${resource}:${name}`;
}
