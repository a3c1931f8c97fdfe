// Errors a caller of the engine can act on. The message is what the engine
// said (Docker's wording: `No such container: web`), prefixed by nothing, so
// the CLI can show it as is.

/** The engine answered with an error status. */
export class EngineApiError extends Error {
  override readonly name = 'EngineApiError';
  constructor(
    readonly status: number,
    readonly method: string,
    readonly path: string,
    message: string,
  ) {
    super(message);
  }
  get isNotFound(): boolean { return this.status === 404; }
  get isConflict(): boolean { return this.status === 409; }
}

/** Nothing answered on the engine's address (no engine running, wrong --host, no permission). */
export class EngineUnreachableError extends Error {
  override readonly name = 'EngineUnreachableError';
  constructor(readonly address: string, readonly code: string, detail: string) {
    super(`cannot reach the engine at ${address}: ${detail}`);
  }
}

/** A stream from the engine (pull progress, load) reported an error in-band. */
export class EngineStreamError extends Error {
  override readonly name = 'EngineStreamError';
  constructor(readonly method: string, readonly path: string, message: string) {
    super(message);
  }
}
