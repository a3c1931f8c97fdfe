// Errors of running a plan or a command, each naming the outcome and what to
// do, in docker compose's words where people know them. `exitCode` is what
// the CLI exits with.

import { UsageError } from '../context.js';

export class ComposeRunError extends UsageError {}

/** Ends the command with a status and nothing to add (the output said it all): `exec`, `run`, `up --exit-code-from`. */
export class ExitStatus extends ComposeRunError {
  constructor(exitCode: number) {
    super('', exitCode);
  }
}

/** A depends_on condition was not met: `dependency failed to start: container app-db-1 is unhealthy`. */
export class DependencyFailedError extends ComposeRunError {
  constructor(readonly containerName: string, readonly reason: string) {
    super(`dependency failed to start: container ${containerName} ${reason}`);
  }
}

/** service_completed_successfully not met: `service "migrate" didn't complete successfully: exit 1`. */
export class ServiceNotCompletedError extends ComposeRunError {
  constructor(readonly service: string, readonly containerExitCode: number) {
    super(`service "${service}" didn't complete successfully: exit ${containerExitCode}`);
  }
}

/** One operation's engine call failed; the message says which resource and why. */
export class OperationFailedError extends ComposeRunError {
  constructor(readonly operationId: string, message: string) {
    super(message);
  }
}

/** A wait (`--wait`, `--wait-timeout`) ran out of time. */
export class WaitTimeoutError extends ComposeRunError {
}

/** A container exit code in words: `137 (killed)`, `127 (command not found)`. */
export function exitCodeInWords(code: number): string {
  const words: Record<number, string> = {
    125: 'the engine could not run the container',
    126: 'command cannot be invoked',
    127: 'command not found',
    130: 'interrupted',
    137: 'killed',
    139: 'segmentation fault',
    143: 'terminated',
  };
  return words[code] ? `${code} (${words[code]})` : String(code);
}
