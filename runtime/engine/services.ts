// What the API handlers are given: the services of one engine. Tests of the
// routing hand in fakes of the same shapes.

import type { ImageStore } from '../images/index.js';
import type { ContainerManager } from '../containers/container-manager.js';
import type { EventBus } from './event-bus.js';
import type { NetworkManager } from '../networks/index.js';
import type { VolumeStore } from '../volumes/index.js';
import type { Builder } from '../build/index.js';

/** The image store's surface the engine uses (E1's ImageStore implements it). */
export type ImageBackend = Pick<ImageStore, 'pull' | 'list' | 'inspect' | 'tag' | 'remove' | 'prune' | 'load' | 'save' | 'importRootfs' | 'rootfsLayers' | 'config'> & Partial<Pick<ImageStore, 'history'>>;

export type ContainerBackend = Pick<ContainerManager,
  'create' | 'start' | 'stop' | 'restart' | 'kill' | 'wait' | 'inspect' | 'list' | 'logs' | 'attachOutput' | 'top' | 'pause' |
  'unpause' | 'rename' | 'remove' | 'find' | 'all' | 'imageInUse' | 'openAttach' | 'attachesThroughMonitor' | 'execs' |
  'connectNetwork' | 'disconnectNetwork'>;

/** The builder's surface the engine uses (runtime/build). */
export type BuildBackend = Pick<Builder, 'build' | 'pruneCache'>;

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
  /** Absent in tests that need none: the volume routes then answer 501. */
  volumes?: VolumeStore;
  /** Absent: the /networks routes answer 501 (route tests without a network layer). */
  networks?: NetworkManager;
  /** Absent: POST /build answers 501 (engines over a test image backend). */
  builder?: BuildBackend;
}
