/**
 * The dispatcher's loop and its hold on rows: a loop that runs rounds until nothing is due, then
 * sleeps for the poll interval unless woken; and the lease with which a round claims rows and
 * gives them back.
 *
 * Claiming is one statement that works on PostgreSQL and PGlite alike:
 *   update invites set status='sending', lease_until=now+lease, attempts=attempts+1
 *   where id in (select id … where due … order by next_attempt_at for update skip locked limit N)
 *   returning *
 * so several dispatchers (or a restarted one) never hold the same row, and a row whose lease ran
 * out — its dispatcher died mid-send — is due again.
 */
import { and, eq, inArray, isNull, lt, lte, or, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Database } from '../../db/client.ts';
import { invites } from '../../db/schema.ts';
import type { InviteRow } from './outbox.ts';

/**
 * Calls `round` (which answers how many rows it claimed) again at once while there was work or a
 * wake-up came in, otherwise after `pollMs`. A failed round is logged and the loop goes on.
 */
export class DispatchLoop {
  private running: Promise<void> | null = null;
  private closing: Promise<void> | null = null;
  private stopping = false;
  private woken = false;
  private wakeSleeper: (() => void) | null = null;

  constructor(
    private readonly round: () => Promise<number>,
    private readonly pollMs: number,
    private readonly log: Logger,
  ) {}

  /** Starts looping; false when it already runs or was closed (a closed loop stays closed). */
  start(): boolean {
    if (this.running || this.stopping) return false;
    this.running = this.run();
    return true;
  }

  /** Stops after the round in progress. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.stopping = true;
      this.wakeSleeper?.();
      await this.running;
    })();
    return this.closing;
  }

  /** Run the next round now instead of at the next poll. */
  wake(): void {
    this.woken = true;
    this.wakeSleeper?.();
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      this.woken = false;
      let claimed = 0;
      try {
        claimed = await this.round();
      } catch (error) {
        this.log.error({ err: error }, 'invite dispatcher round failed');
      }
      if (claimed === 0 && !this.woken && !this.stopping) await this.sleep(this.pollMs);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeSleeper = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeSleeper = done;
    });
  }
}

/** Claims up to `limit` due rows (queued and due, or sending with an expired lease) for `leaseMs`. */
export async function claimDue(db: Database, now: Date, limit: number, leaseMs: number): Promise<InviteRow[]> {
  const due = db
    .select({ id: invites.id })
    .from(invites)
    .where(or(and(eq(invites.status, 'queued'), lte(invites.nextAttemptAt, now)), and(eq(invites.status, 'sending'), lt(invites.leaseUntil, now))))
    .orderBy(invites.nextAttemptAt)
    .limit(limit)
    .for('update', { skipLocked: true });
  return db
    .update(invites)
    .set({ status: 'sending', leaseUntil: new Date(now.getTime() + leaseMs), attempts: sql`${invites.attempts} + 1` })
    .where(inArray(invites.id, due))
    .returning();
}

/**
 * Ends our hold on a claimed row, writing its outcome; false when the lease was no longer ours
 * (it expired and another dispatcher claimed the row), in which case nothing is written.
 */
export async function releaseLease(db: Database, row: InviteRow, set: Partial<typeof invites.$inferInsert>): Promise<boolean> {
  const updated = await db
    .update(invites)
    .set({ ...set, leaseUntil: null })
    .where(and(eq(invites.id, row.id), eq(invites.status, 'sending'), row.leaseUntil ? eq(invites.leaseUntil, row.leaseUntil) : isNull(invites.leaseUntil)))
    .returning({ id: invites.id });
  return updated.length === 1;
}
