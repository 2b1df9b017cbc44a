/**
 * Brute-force protection for sign-in: a budget of failed attempts per (client address, e-mail)
 * and a larger one per client address, kept in memory (rate-limiter-flexible). A successful
 * sign-in clears the pair's budget.
 */
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { TooManyRequestsError } from '../errors.ts';

export class LoginLimiter {
  private readonly perAccount: RateLimiterMemory;
  private readonly perClient: RateLimiterMemory;

  constructor(maxAttempts: number, windowSeconds: number) {
    this.perAccount = new RateLimiterMemory({ points: maxAttempts, duration: windowSeconds });
    this.perClient = new RateLimiterMemory({ points: maxAttempts * 10, duration: windowSeconds });
  }

  /** Throws TooManyRequestsError when either budget is spent. */
  async assertAllowed(clientAddress: string, email: string): Promise<void> {
    const [account, client] = await Promise.all([this.perAccount.get(`${clientAddress}|${email}`), this.perClient.get(clientAddress)]);
    for (const state of [account, client]) {
      if (state && state.remainingPoints <= 0) throw new TooManyRequestsError(Math.max(1, Math.ceil(state.msBeforeNext / 1000)));
    }
  }

  async recordFailure(clientAddress: string, email: string): Promise<void> {
    // consume() rejects with a RateLimiterRes once the budget is spent; the next
    // assertAllowed() reports that, so the rejection itself carries no news.
    await Promise.all([
      this.perAccount.consume(`${clientAddress}|${email}`).catch(ignoreSpentBudget),
      this.perClient.consume(clientAddress).catch(ignoreSpentBudget),
    ]);
  }

  async recordSuccess(clientAddress: string, email: string): Promise<void> {
    await this.perAccount.delete(`${clientAddress}|${email}`);
  }
}

function ignoreSpentBudget(reason: unknown): void {
  if (!(reason instanceof RateLimiterRes)) throw reason;
}
