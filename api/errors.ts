/**
 * Domain errors carry their HTTP status and a stable machine-readable code. They are mapped to
 * the JSON body `{ error: { code, message, details? } }` in exactly one place (api/app.ts);
 * anything else thrown is logged with the request id and answered with a bare 500.
 */
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { z } from 'zod';

export class DomainError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class ValidationError extends DomainError {
  constructor(message: string, details?: unknown, status: 400 | 422 = 422) {
    super(status, status === 400 ? 'bad_request' : 'validation_failed', message, details);
  }

  /** A readable summary of a zod failure, with every issue and its path kept as details. */
  static fromZod(error: z.ZodError, status: 400 | 422 = 422): ValidationError {
    const issues = error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
    const summary = issues
      .slice(0, 3)
      .map((i) => (i.path ? `${i.path}: ${i.message}` : i.message))
      .join('; ');
    return new ValidationError(`Invalid input: ${summary}${issues.length > 3 ? ` (+${issues.length - 3} more)` : ''}`, { issues }, status);
  }
}

/**
 * A value the client sent, quoted for an error message: cut to a readable length, because ids
 * and paths come from anyone and a message must stay a sentence, not an echo of the request.
 */
export function quoteInput(value: string | undefined, maxLength = 80): string {
  if (value === undefined) return 'nothing';
  return JSON.stringify(value.length > maxLength ? `${value.slice(0, maxLength)}…` : value);
}

export class UnauthorizedError extends DomainError {
  constructor(message = 'Sign-in required') {
    super(401, 'unauthorized', message);
  }
}

export class ForbiddenError extends DomainError {
  constructor(message = 'You do not have permission to do this') {
    super(403, 'forbidden', message);
  }
}

export class NotFoundError extends DomainError {
  constructor(what: string, id?: string) {
    super(404, 'not_found', id === undefined ? `${what} not found` : `${what} ${quoteInput(id)} not found`);
  }
}

export class ConflictError extends DomainError {
  constructor(message: string, details?: unknown, code = 'conflict') {
    super(409, code, message, details);
  }
}

export class PayloadTooLargeError extends DomainError {
  constructor(limitBytes: number) {
    super(413, 'payload_too_large', `Request body is larger than ${limitBytes} bytes`);
  }
}

export class TooManyRequestsError extends DomainError {
  constructor(readonly retryAfterSeconds: number) {
    super(429, 'too_many_requests', `Too many attempts; try again in ${retryAfterSeconds} seconds`);
  }
}

export type LinkProblem = 'unknown' | 'expired' | 'revoked';

/**
 * A site's link (join, readiness, calendar) that cannot be used: unknown is 404 (a typo or a
 * guess: say nothing more), expired and revoked are 410 (the link was real; the page explains).
 */
export class InvalidLinkError extends DomainError {
  constructor(readonly problem: LinkProblem) {
    super(
      problem === 'unknown' ? 404 : 410,
      `link_${problem}`,
      problem === 'unknown' ? 'This link is not valid' : problem === 'expired' ? 'This link has expired: the meeting is over' : 'This link has been withdrawn',
    );
  }
}

/**
 * No conference server (SFU node) can take this site: every live node is full or draining, or
 * none is alive. The site's page says so in Vietnamese; the refusal is recorded for the
 * secretariat (api/nodes/placement.ts).
 */
export class NoNodeAvailableError extends DomainError {
  constructor(readonly reason: 'full' | 'none-alive') {
    super(
      503,
      'no_node_available',
      reason === 'full' ? 'Every conference server is full; try again in a few minutes' : 'No conference server is running; try again in a few minutes',
      { reason },
    );
  }
}
