/**
 * Brute-force protection for sign-in, kept in memory (rate-limiter-flexible): a budget of failed
 * attempts per account (whatever address they come from) and a larger one per client address.
 *
 * An attempt spends a point of both budgets *before* the password is checked, and a successful
 * sign-in gives them back. Checking first and counting after the (slow) password hash let a
 * burst of parallel attempts all pass the check before any was counted: 40 at once got 40 tries.
 */
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { TooManyRequestsError } from '../errors.ts';

export class LoginLimiter {
  private readonly perAccount: RateLimiterMemory;
  private readonly perClient: RateLimiterMemory;

  constructor(maxAttempts: number, windowSeconds: number) {
    this.perAccount = new RateLimiterMemory({ points: maxAttempts, duration: windowSeconds, keyPrefix: 'account' });
    this.perClient = new RateLimiterMemory({ points: maxAttempts * 10, duration: windowSeconds, keyPrefix: 'client' });
  }

  /**
   * Spends one attempt of the account's and the client's budgets, or throws TooManyRequestsError
   * (spending nothing) when either is used up. Call before verifying the password.
   */
  async beginAttempt(clientAddress: string, email: string): Promise<void> {
    try {
      await this.perAccount.consume(email);
    } catch (reason) {
      throw tooMany(reason);
    }
    try {
      await this.perClient.consume(clientAddress);
    } catch (reason) {
      await this.perAccount.reward(email);
      throw tooMany(reason);
    }
  }

  /** The attempt succeeded: the account's failures are forgiven and the client's point returned. */
  async succeeded(clientAddress: string, email: string): Promise<void> {
    await Promise.all([this.perAccount.delete(email), this.perClient.reward(clientAddress)]);
  }
}

function tooMany(reason: unknown): TooManyRequestsError {
  if (!(reason instanceof RateLimiterRes)) throw reason;
  return new TooManyRequestsError(Math.max(1, Math.ceil(reason.msBeforeNext / 1000)));
}
