// Errors of the volume layer. `statusCode` is the HTTP status the engine
// answers with, and the messages are Docker's, so that clients which match
// on them (docker-compose does) behave the same on our engine.

import { EngineError } from '../errors.js';

export class VolumeError extends EngineError {}

/** `get x: no such volume` — 404. */
export class VolumeNotFoundError extends VolumeError {
  override readonly statusCode = 404;
  constructor(readonly volumeName: string, op = 'get') {
    super(`${op} ${volumeName}: no such volume`);
  }
}

/** `remove x: volume is in use - [id, …]` — 409. */
export class VolumeInUseError extends VolumeError {
  override readonly statusCode = 409;
  constructor(readonly volumeName: string, readonly containerIds: readonly string[]) {
    super(`remove ${volumeName}: volume is in use - [${containerIds.join(', ')}]`);
  }
}

/** A request that can never work as written: bad name, bad option, bad mount spec — 400. */
export class InvalidVolumeConfigError extends VolumeError {
  override readonly statusCode = 400;
}

/** The kernel refused a mount or unmount, or a copy-up failed — 500, with the cause. */
export class VolumeMountError extends VolumeError {}

/** `create x: volume name must be unique` (same name, another driver) — 409. */
export class VolumeConflictError extends VolumeError {
  override readonly statusCode = 409;
}

/** A driver other than `local`: Docker answers 404 for a plugin it cannot find. */
export class VolumeDriverNotFoundError extends VolumeError {
  override readonly statusCode = 404;
}
