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
import { rowsOf, type Database } from '../../db/client.ts';
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

/** Claimed rows by their lease: one claim gives all its rows the same one. */
function byLease(rows: readonly InviteRow[]): Map<number | null, InviteRow[]> {
  const out = new Map<number | null, InviteRow[]>();
  for (const row of rows) {
    const lease = row.leaseUntil?.getTime() ?? null;
    const list = out.get(lease);
    if (list) list.push(row);
    else out.set(lease, [row]);
  }
  return out;
}

const heldWith = (rows: InviteRow[], lease: number | null) =>
  and(
    inArray(
      invites.id,
      rows.map((row) => row.id),
    ),
    eq(invites.status, 'sending'),
    lease === null ? isNull(invites.leaseUntil) : eq(invites.leaseUntil, new Date(lease)),
  );

/**
 * Returns claimed rows that were never sent (a batch claimed ahead when the dispatcher closes):
 * queued again and due at once, their claim's attempt not counted, where the lease is still ours.
 */
export async function giveBack(db: Database, rows: readonly InviteRow[]): Promise<void> {
  for (const [lease, held] of byLease(rows)) {
    await db
      .update(invites)
      .set({ status: 'queued', leaseUntil: null, attempts: sql`${invites.attempts} - 1` })
      .where(heldWith(held, lease));
  }
}

/**
 * Holds claimed rows until `leaseUntil` from now on (a batch claimed ahead, when its turn to be
 * sent comes: its lease should count from then, as a batch claimed just before sending). Returns
 * the rows still ours, their leaseUntil updated in place (the objects the batch's messages were
 * prepared with, so their outcomes are written against the new lease); a row whose lease ran
 * out meanwhile may be another dispatcher's now and is left out.
 */
export async function renewLease(db: Database, rows: readonly InviteRow[], leaseUntil: Date): Promise<InviteRow[]> {
  const ours = new Set<string>();
  for (const [lease, held] of byLease(rows)) {
    const renewed = await db.update(invites).set({ leaseUntil }).where(heldWith(held, lease)).returning({ id: invites.id });
    for (const { id } of renewed) ours.add(id);
  }
  const kept = rows.filter((row) => ours.has(row.id));
  for (const row of kept) row.leaseUntil = leaseUntil;
  return kept;
}

/** What a round learned about one claimed row, written when its lease is released. */
export interface RowOutcome {
  status: 'sent' | 'queued' | 'failed' | 'superseded';
  /** Why it failed, will be retried or was dropped; for a sent row, the recipients refused (or null). */
  lastError: string | null;
  messageId?: string;
  sentAt?: Date;
  /** A retry's time. */
  nextAttemptAt?: Date;
}

/**
 * Ends our hold on claimed rows, writing their outcomes in one statement (one JSON parameter, as
 * the outbox inserts its rows); the ids of the rows written. A row whose lease was no longer ours
 * (it expired and another dispatcher claimed the row) is not written and not among them.
 */
export async function releaseLeases(db: Database, released: ReadonlyArray<{ row: InviteRow; outcome: RowOutcome }>): Promise<Set<string>> {
  if (released.length === 0) return new Set();
  const json = JSON.stringify(
    released.map(({ row, outcome }) => ({
      id: row.id,
      lease_until: row.leaseUntil?.toISOString() ?? null,
      status: outcome.status,
      last_error: outcome.lastError,
      message_id: outcome.messageId ?? null,
      sent_at: outcome.sentAt?.toISOString() ?? null,
      next_attempt_at: outcome.nextAttemptAt?.toISOString() ?? null,
    })),
  );
  // The ids again as an array: it lets the planner find the rows by primary key instead of
  // scanning the whole outbox to join it with the recordset (whose size it cannot know).
  const ids = `{${released.map(({ row }) => row.id).join(',')}}`;
  const result = await db.execute(sql`
    update ${invites} as i
    set status = v.status::invite_status,
        last_error = v.last_error,
        message_id = coalesce(v.message_id, i.message_id),
        sent_at = coalesce(v.sent_at, i.sent_at),
        next_attempt_at = coalesce(v.next_attempt_at, i.next_attempt_at),
        lease_until = null
    from json_to_recordset(${json}::json)
      as v(id uuid, lease_until timestamptz, status text, last_error text, message_id text, sent_at timestamptz, next_attempt_at timestamptz)
    where i.id = any(${ids}::uuid[]) and i.id = v.id and i.status = 'sending' and i.lease_until is not distinct from v.lease_until
    returning i.id`);
  return new Set(rowsOf<{ id: string }>(result).map((r) => r.id));
}
