#!/usr/bin/env node
// Layer lint: arrows only point down (DESIGN.md).
//   compose/ (core)    may not import runtime/ at all: it is pure.
//   compose/cli/       may import runtime/client (the one way to reach an engine)
//                      and runtime/engine/launcher (to start the embedded engine).
//   runtime/           may not import compose/.
//   runtime/client/    may not import the engine or its services.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname, sep } from 'node:path';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const rules = [
  { from: 'compose/cli/', deny: /^runtime\/(?!client\/|engine\/launcher)/, why: 'the CLI reaches the engine only through runtime/client' },
  { from: 'compose/', deny: /^runtime\//, why: 'compose/ is pure and never touches runtime/' },
  { from: 'runtime/', deny: /^compose\//, why: 'runtime/ never reads compose types' },
];
const clientRule = { from: 'runtime/client/', deny: /^runtime\/(?!client\/)/, why: 'the client is standalone' };

function* walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* walk(p);
    else if (p.endsWith('.ts') && !p.endsWith('.d.ts')) yield p;
  }
}

const problems = [];
for (const top of ['compose', 'runtime']) {
  let files;
  try { files = [...walk(join(root, top))]; } catch { continue; }
  for (const file of files) {
    const rel = relative(root, file).split(sep).join('/');
    const src = readFileSync(file, 'utf8');
    const re = /(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
    for (const m of src.matchAll(re)) {
      const spec = m[1] ?? m[2];
      if (!spec.startsWith('.')) continue;
      const target = relative(root, resolve(dirname(file), spec)).split(sep).join('/');
      const applicable = [clientRule, ...rules].filter((r) => rel.startsWith(r.from));
      const rule = applicable[0];
      if (rule && rule.deny.test(target)) {
        const line = src.slice(0, m.index).split('\n').length;
        problems.push(`${rel}:${line}: imports ${target} — ${rule.why}`);
      }
    }
  }
}
if (problems.length) {
  console.error(problems.join('\n'));
  console.error(`lint-layers: ${problems.length} forbidden import(s)`);
  process.exit(1);
}
console.log('lint-layers: ok');
