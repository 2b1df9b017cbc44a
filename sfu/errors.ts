/**
 * The SFU's domain error: carries a protocol error code so the signaling layer can answer
 * `{ ok: false, error: { code, message } }` without leaking internals. Anything thrown that is
 * not a SignalingError is logged and answered as `internal`.
 * The app's SignalingAuthenticator throws these to refuse a join.
 */
import type { ErrorCode } from './protocol.ts';

export class SignalingError extends Error {
  override readonly name = 'SignalingError';
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export const badRequest = (message: string) => new SignalingError('bad-request', message);
export const unauthorized = (message: string) => new SignalingError('unauthorized', message);
export const forbidden = (message: string) => new SignalingError('forbidden', message);
export const notFound = (message: string) => new SignalingError('not-found', message);
export const invalidState = (message: string) => new SignalingError('invalid-state', message);
export const capacity = (message: string) => new SignalingError('capacity', message);
export const consoleOpen = (message: string) => new SignalingError('console-open', message);
