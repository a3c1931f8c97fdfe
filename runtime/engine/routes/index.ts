// The whole route table of the engine.

import { Router } from '../router.js';
import type { EngineServices } from '../services.js';
import { registerAuthRoute } from './auth.js';
import { registerBuildRoutes } from './build.js';
import { registerContainerRoutes } from './containers.js';
import { registerImageRoutes } from './images.js';
import { registerNetworkRoutes } from './networks.js';
import { registerStatsArchiveRoutes } from './stats-archive.js';
import { registerSystemRoutes } from './system.js';
import { registerVolumeRoutes } from './volumes.js';

export function buildRouter(services: EngineServices, opts: { insecureRegistries?: string[]; certsDir?: string } = {}): Router {
  const router = new Router();
  registerSystemRoutes(router, services);
  registerContainerRoutes(router, services);
  registerStatsArchiveRoutes(router, services);
  registerImageRoutes(router, services);
  registerBuildRoutes(router, services);
  registerNetworkRoutes(router, services);
  registerVolumeRoutes(router, services);
  registerAuthRoute(router, opts.insecureRegistries ?? [], opts.certsDir);
  return router;
}
