// Errors of the image store, each naming an outcome. `statusCode` is the
// HTTP status the engine answers with (Docker's choices), so the engine maps
// them without a table of its own.

import { EngineError } from '../errors.js';

export class ImageError extends EngineError {}

/** `invalid reference format...` — 400. */
export class InvalidReferenceError extends ImageError {
  override readonly statusCode = 400;
}

/** `No such image: nginx:latest` — 404. */
export class ImageNotFoundError extends ImageError {
  override readonly statusCode = 404;
  constructor(readonly ref: string) {
    super(`No such image: ${ref}`);
  }
}

/** Remove refused: in use by a container or tagged in several repositories — 409. */
export class ImageConflictError extends ImageError {
  override readonly statusCode = 409;
}

/** A registry answered with an error (401 unauthorized, 404 manifest unknown, ...). */
export class RegistryError extends ImageError {
  override readonly statusCode: number;
  constructor(
    message: string,
    readonly httpStatus: number,
    readonly url: string,
  ) {
    super(message);
    // Docker answers 404 for "manifest unknown" / "repository does not exist", 500 otherwise.
    this.statusCode = httpStatus === 404 ? 404 : httpStatus === 401 || httpStatus === 403 ? 401 : 500;
  }
}

/** Content did not hash to the digest that named it. */
export class DigestMismatchError extends ImageError {
  constructor(
    readonly expected: string,
    readonly actual: string,
    readonly what: string,
  ) {
    super(`${what} ${expected} failed verification: content hashes to ${actual} (corrupt or tampered blob)`);
  }
}

/** A layer tar that the unpacker refused (escape attempt, malformed tar, ...) — 500 with the entry. */
export class LayerUnpackError extends ImageError {
  constructor(
    message: string,
    readonly layer: string,
  ) {
    super(message);
  }
}

/** A malformed archive, manifest or config — 400. */
export class InvalidImageError extends ImageError {
  override readonly statusCode = 400;
}

/** The manifest list has nothing for the wanted platform — 404 like Docker's "no matching manifest". */
export class NoMatchingPlatformError extends ImageError {
  override readonly statusCode = 404;
}
