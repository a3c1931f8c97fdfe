// An API error: the HTTP status and Docker's message. Errors of the services
// carry `statusCode` already (image and container errors); anything else is
// a 500 with its message.

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(readonly statusCode: number, message: string) {
    super(message);
  }
}

export const badParameter = (message: string): ApiError => new ApiError(400, message);
export const notFound = (message: string): ApiError => new ApiError(404, message);
export const conflict = (message: string): ApiError => new ApiError(409, message);

/** The status and message to answer with for any thrown value. */
export function toApiError(err: unknown): { status: number; message: string } {
  if (err && typeof err === 'object') {
    const e = err as { statusCode?: unknown; message?: unknown };
    const status = typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 600 ? e.statusCode : 500;
    return { status, message: typeof e.message === 'string' && e.message ? e.message : 'internal error' };
  }
  return { status: 500, message: String(err) };
}
