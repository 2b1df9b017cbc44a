/**
 * Bounds how many dashboards are computed at once. A national month reads tens of thousands of
 * events and runs the ledger for every meeting; a handful of parallel requests would take the
 * process's CPU and memory from live meetings. Beyond the bound the answer is 429 with a short
 * Retry-After rather than a queue that grows without limit.
 */
import { TooManyRequestsError } from '../errors.ts';

export class ComputationGate {
  private running = 0;

  constructor(private readonly maxConcurrent: number) {}

  async run<T>(compute: () => Promise<T>): Promise<T> {
    if (this.running >= this.maxConcurrent) throw new TooManyRequestsError(5);
    this.running++;
    try {
      return await compute();
    } finally {
      this.running--;
    }
  }
}
