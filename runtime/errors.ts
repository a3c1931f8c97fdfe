// The base of every error the engine's services raise. `statusCode` is the
// HTTP status the engine answers with, as Docker's daemon would, so the API
// server maps any of them without a table of its own; subclasses name the
// outcome (not found, conflict, invalid config) and set their status.
export class EngineError extends Error {
  readonly statusCode: number = 500;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}
