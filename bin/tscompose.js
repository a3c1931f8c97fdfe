#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm install` (prepare).
import { main } from '../dist/compose/cli/main.js';

main(process.argv).then(
  (code) => { process.exitCode = code; },
  (err) => { console.error(err instanceof Error ? err.message : String(err)); process.exitCode = 1; },
);
