// Errors of the network layer. `statusCode` is the HTTP status the engine
// answers with, as Docker's daemon would.

import { EngineError } from '../errors.js';

export class NetworkError extends EngineError {}

/** `network web_default not found` — 404. */
export class NetworkNotFoundError extends NetworkError {
  override readonly statusCode = 404;
  constructor(readonly ref: string) {
    super(`network ${ref} not found`);
  }
}

/** Name taken, network in use, address taken — 409. */
export class NetworkConflictError extends NetworkError {
  override readonly statusCode = 409;
}

/** A request that can never work as written (bad subnet, gateway outside it) — 400. */
export class InvalidNetworkConfigError extends NetworkError {
  override readonly statusCode = 400;
}

/** Every subnet of the pool overlaps something on the host or another network. */
export class AddressPoolExhaustedError extends NetworkError {
  override readonly statusCode = 503;
}

/** A step of tsc-net failed: which line, on which object, and the kernel's reason. */
export class NetlinkError extends NetworkError {
  constructor(message: string, readonly step: string, readonly errno: number) {
    super(message);
  }
}
