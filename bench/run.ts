// The single benchmark runner: `npm run bench -- NAME [ARGS...]` imports
// bench/NAME.ts, runs its default export and writes what it returns, with the
// machine it ran on, to bench/results/NAME.json.
import { mkdirSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface BenchModule {
  /** One line: what is measured. */
  description: string;
  run(args: string[]): Promise<Record<string, unknown>>;
}

const here = path.dirname(fileURLToPath(import.meta.url));

function machine(): Record<string, unknown> {
  const cpus = os.cpus();
  return {
    kernel: os.release(),
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryMiB: Math.round(os.totalmem() / 1024 / 1024),
    node: process.version,
    os: existsSync('/etc/debian_version') ? `Debian ${readFileSync('/etc/debian_version', 'utf8').trim()}` : os.type(),
  };
}

async function main(): Promise<number> {
  const [name, ...args] = process.argv.slice(2);
  if (!name || !/^[a-z0-9-]+$/.test(name)) {
    console.error('usage: npm run bench -- NAME [ARGS...]   (runs bench/NAME.ts, writes bench/results/NAME.json)');
    return 2;
  }
  const file = path.join(here, `${name}.ts`);
  if (!existsSync(file)) {
    console.error(`bench: no benchmark ${name}: ${file} does not exist`);
    return 2;
  }
  const mod = (await import(pathToFileURL(file).href)) as { default?: BenchModule };
  if (!mod.default || typeof mod.default.run !== 'function') {
    console.error(`bench: ${file} must export default { description, run(args) }`);
    return 2;
  }
  console.error(`bench ${name}: ${mod.default.description}`);
  const started = new Date();
  const result = await mod.default.run(args);
  const report = {
    bench: name,
    description: mod.default.description,
    startedAt: started.toISOString(),
    seconds: Math.round((Date.now() - started.getTime()) / 100) / 10,
    machine: machine(),
    ...result,
  };
  const outDir = path.join(here, 'results');
  mkdirSync(outDir, { recursive: true });
  const out = path.join(outDir, `${name}.json`);
  writeFileSync(out, JSON.stringify(report, null, 2) + '\n');
  console.error(`bench ${name}: wrote ${path.relative(process.cwd(), out)}`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`bench: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  },
);
