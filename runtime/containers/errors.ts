// Errors of container creation and lifecycle. `statusCode` is the HTTP status
// the engine answers with, as Docker's daemon would.

import { EngineError } from '../errors.js';

export class ContainerError extends EngineError {}

/** The create request asks for something invalid (`invalid mount config ...`) — 400. */
export class InvalidContainerConfigError extends ContainerError {
  override readonly statusCode = 400;
}

/** `No such container: web` — 404. */
export class ContainerNotFoundError extends ContainerError {
  override readonly statusCode = 404;
  constructor(readonly ref: string) {
    super(`No such container: ${ref}`);
  }
}

/** Name taken, container running while removing, ... — 409. */
export class ContainerConflictError extends ContainerError {
  override readonly statusCode = 409;
}

/** The OCI runtime or monitor failed; the message carries what it printed. */
export class RuntimeFailureError extends ContainerError {
  constructor(message: string, readonly stage: string, readonly exitCode?: number) {
    super(message);
  }
}
