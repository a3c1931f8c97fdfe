// Errors of the builder. A Dockerfile error names the file and line; the
// engine answers 400 for what the user wrote and 500 for what broke.

import { EngineError } from '../errors.js';

export class BuildError extends EngineError {}

/** The Dockerfile (or a build argument) is wrong: `Dockerfile:3: unknown instruction: FORM`. */
export class DockerfileError extends BuildError {
  override readonly statusCode = 400;
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    readonly reason: string,
  ) {
    super(line ? `${file}:${line}: ${reason}` : `${file}: ${reason}`);
  }
}

/** A build request the builder cannot serve (a bad parameter, an unsupported feature). */
export class InvalidBuildRequestError extends BuildError {
  override readonly statusCode = 400;
}

/** A RUN step exited non-zero: Docker's wording, with the exit code. */
export class RunStepFailedError extends BuildError {
  override readonly statusCode = 500;
  constructor(
    readonly command: string,
    readonly exitCode: number,
  ) {
    super(`The command '${command}' returned a non-zero code: ${exitCode}`);
  }
}
