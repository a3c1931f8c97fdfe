// The CLI from its TypeScript sources, exactly as bin/tscompose.js runs the
// build: the CLI tests start it with `node --import tsx` when dist/ is older
// than the sources.
import { main } from '../../../compose/cli/main.js';

main(process.argv).then(
  (code) => { process.exitCode = code; },
  (err: unknown) => { console.error(err instanceof Error ? err.message : String(err)); process.exitCode = 1; },
);
