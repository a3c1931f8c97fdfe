// Integration tests use private engines (own --root and socket). A test whose
// CLI call lost its private host would make the CLI start the DEFAULT engine
// on /var/lib/tscompose and leave it running on the machine: fail the run
// when one appears that was not there before (and name what to clean up).
import { existsSync, readFileSync } from 'node:fs';

const PID_FILE = '/var/lib/tscompose/engine.pid';

export default function setup(): () => void {
  const before = existsSync(PID_FILE);
  return () => {
    if (before || !existsSync(PID_FILE)) return;
    const pid = readFileSync(PID_FILE, 'utf8').trim();
    throw new Error(
      `a test started the default engine on /var/lib/tscompose (pid ${pid}): a CLI call without the test's --host or hooks. ` +
        'Stop it with `tscompose engine stop` and remove /var/lib/tscompose and /run/tscompose.',
    );
  };
}
