// The engine in the foreground: the process `tscompose engine` and
// `tscompose engine start` (detached) run. SIGTERM/SIGINT stop it cleanly;
// containers keep running under their monitors.

import { Engine, parseAddressPool } from './engine.js';
import { EngineLockedError } from './lock-file.js';
import { parseEngineArgs, type EngineArgs } from './launcher.js';

export async function runEngineForeground(a: EngineArgs): Promise<number> {
  let engine: Engine;
  try {
    engine = await Engine.start({
      root: a.root, socketPath: a.socketPath, tcp: a.tcp, runtime: a.runtime, monitor: a.monitor, insecureRegistries: a.insecureRegistries,
      certsDir: a.certsDir, cgroupParent: a.cgroupParent, addressPools: a.addressPools?.map(parseAddressPool),
    });
  } catch (e) {
    process.stderr.write(`tscompose engine: ${e instanceof EngineLockedError ? e.message : (e as Error).message}\n`);
    return 1;
  }
  return new Promise<number>((resolveExit) => {
    let stopping = false;
    const stop = (sig: string): void => {
      if (stopping) return;
      stopping = true;
      process.stderr.write(`tscompose engine: ${sig}: stopping (containers keep running)\n`);
      void engine.close().then(() => resolveExit(0), () => resolveExit(1));
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGHUP', () => {});
  });
}

// Run directly (detached by `engine start`, or `node engine-main.js --root ...`).
if (process.argv[1] && /engine-main\.(ts|js)$/.test(process.argv[1])) {
  let args: EngineArgs;
  try { args = parseEngineArgs(['run', ...process.argv.slice(2)]); } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    process.exit(2);
  }
  void runEngineForeground(args).then((code) => process.exit(code));
}
