// The part of the engine client the CLI uses, named by role so commands and
// the executor can be handed a FakeEngine in unit tests and an
// HttpEngineClient for real (STYLE 9: effects behind a narrow seam).

import type { HttpEngineClient } from '../../../runtime/client/index.js';

export type Engine = Pick<
  HttpEngineClient,
  | 'ping'
  | 'version'
  | 'events'
  | 'createContainer'
  | 'startContainer'
  | 'stopContainer'
  | 'restartContainer'
  | 'killContainer'
  | 'waitContainer'
  | 'inspectContainer'
  | 'listContainers'
  | 'removeContainer'
  | 'renameContainer'
  | 'pauseContainer'
  | 'unpauseContainer'
  | 'topContainer'
  | 'logs'
  | 'attachContainer'
  | 'createExec'
  | 'startExec'
  | 'inspectExec'
  | 'pullImage'
  | 'buildImage'
  | 'listImages'
  | 'inspectImage'
  | 'removeImage'
  | 'createNetwork'
  | 'listNetworks'
  | 'removeNetwork'
  | 'connectNetwork'
  | 'createVolume'
  | 'listVolumes'
  | 'removeVolume'
> &
  // Optional: a TTY keeps its default size with an engine (or a fake) that cannot resize.
  Partial<Pick<HttpEngineClient, 'resizeExec' | 'resizeContainer'>>;
