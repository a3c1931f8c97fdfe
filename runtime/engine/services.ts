// What the API handlers are given: the services of one engine. Tests of the
// routing hand in fakes of the same shapes.

import type { ImageStore } from '../images/index.js';
import type { ContainerManager } from '../containers/container-manager.js';
import type { EventBus } from './event-bus.js';

/** The image store's surface the engine uses (E1's ImageStore implements it). */
export type ImageBackend = Pick<ImageStore, 'pull' | 'list' | 'inspect' | 'tag' | 'remove' | 'prune' | 'load' | 'save' | 'importRootfs' | 'rootfsLayers' | 'config'>;

export type ContainerBackend = Pick<ContainerManager,
  'create' | 'start' | 'stop' | 'restart' | 'kill' | 'wait' | 'inspect' | 'list' | 'logs' | 'attachOutput' | 'top' | 'pause' |
  'unpause' | 'rename' | 'remove' | 'find' | 'all' | 'imageInUse' | 'openAttach' | 'attachesThroughMonitor' | 'execs'>;

export interface EngineInfo {
  id: string;
  root: string;
  socketPath: string;
  defaultRuntime: string;
  runtimes: Record<string, string>;
  startedAt: Date;
}

export interface EngineServices {
  containers: ContainerBackend;
  images: ImageBackend;
  events: EventBus;
  info: EngineInfo;
}
