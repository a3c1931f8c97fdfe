#!/usr/bin/env -S node --max-semi-space-size=2
// Thin launcher: the CLI is compiled to dist/ by `npm install` (prepare).
// A small young generation: a CLI run allocates in bursts and exits, and
// the default semi-space lets RSS grow by ~15 MiB for no gain in speed.
import { main } from '../dist/compose/cli/main.js';

main(process.argv).then(
  (code) => { process.exitCode = code; },
  (err) => { console.error(err instanceof Error ? err.message : String(err)); process.exitCode = 1; },
);
