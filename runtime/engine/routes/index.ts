// The whole route table of the engine.

import { Router } from '../router.js';
import type { EngineServices } from '../services.js';
import { registerAuthRoute } from './auth.js';
import { registerContainerRoutes } from './containers.js';
import { registerImageRoutes } from './images.js';
import { registerSystemRoutes } from './system.js';

export function buildRouter(services: EngineServices, opts: { insecureRegistries?: string[] } = {}): Router {
  const router = new Router();
  registerSystemRoutes(router, services);
  registerContainerRoutes(router, services);
  registerImageRoutes(router, services);
  registerAuthRoute(router, opts.insecureRegistries ?? []);
  return router;
}
