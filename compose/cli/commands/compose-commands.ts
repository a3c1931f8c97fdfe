// The commands that talk to an engine, in `tscompose --help` order; the
// registry (index.ts) lists them after config and version.

import { build } from './build.js';
import { cp } from './cp.js';
import { create } from './create.js';
import { down } from './down.js';
import { events } from './events.js';
import { exec } from './exec.js';
import { images } from './images.js';
import type { CommandSetup } from './index.js';
import { kill } from './kill.js';
import { logs } from './logs.js';
import { ls } from './ls.js';
import { pause, unpause } from './pause.js';
import { port } from './port.js';
import { ps } from './ps.js';
import { pull } from './pull.js';
import { restart } from './restart.js';
import { rm } from './rm.js';
import { run } from './run.js';
import { start } from './start.js';
import { stop } from './stop.js';
import { top } from './top.js';
import { up } from './up.js';
import { wait } from './wait.js';

export const COMPOSE_COMMANDS: readonly CommandSetup[] = [
  build, cp, create, down, events, exec, images, kill, logs, ls, pause, port, ps, pull, restart, rm, run, start, stop, top, unpause, up, wait,
];
