/**
 * The outbox dispatcher, composed of its parts: the loop and the lease (dispatch-loop.ts) claim
 * due `invites` rows, reminders.ts queues reminders on the poll tick, render.ts turns the claimed
 * batch into messages with fresh site links; this module sends them through the MailTransport and
 * records each outcome (sent, retried with back-off, failed, superseded), many per statement
 * (outcome-recorder.ts).
 *
 * Exactly once? A row is only ever sent while it is not 'sent', and 'sent' is recorded by the
 * same dispatcher after the server's 250. What remains is the window between the server
 * accepting the message and that acceptance being durable on our side: if the process dies
 * inside it (or the connection drops after the final "." but before we read the 250), the lease
 * expires, the row is claimed again and the site receives a second copy. No client can close
 * that window alone (SMTP has no two-phase commit). What we do instead:
 * - keep it small: the batch is rendered and its links minted before anything is sent, so an
 *   acceptance is handled as soon as it arrives; the transport appends it synchronously to a
 *   local journal the moment it hears it (delivery-journal.ts: microseconds, survives a process
 *   crash; on the SMTP thread, so a busy main thread does not delay it), and a restarted
 *   dispatcher replays the journal before it claims anything. The row itself is then written
 *   with the other outcomes of up to 50 ms in one UPDATE, while the connection already carries
 *   the next message: the journal, not that UPDATE, closes the window. Without a journal the
 *   outcome is written at once (with whatever else is waiting) and the connection waits for it,
 *   so the window is that UPDATE's round trip and at most one message per connection is at
 *   risk; so it is too when the machine rather than the process dies (no fsync per line);
 * - make the duplicate harmless: the copy has the same Message-ID — derived from (meeting UID,
 *   SEQUENCE, METHOD, recipient) — so mail systems and calendar clients can recognise and drop
 *   it, and a second REQUEST with the same UID and SEQUENCE is idempotent in every calendar.
 * The crash tests count these duplicates rather than pretending they cannot happen.
 */
import type { Logger } from 'pino';
import type { AppConfig } from '../config.ts';
import type { AppContext } from '../context.ts';
import type { DeliveryJournal } from './delivery-journal.ts';
import { claimDue, DispatchLoop, giveBack, renewLease, type RowOutcome } from './dispatch-loop.ts';
import { OutcomeRecorder } from './outcome-recorder.ts';
import { classifySendError, type MailTransport, type SendErrorVerdict } from './mail-transport.ts';
import type { InviteOutbox, InviteRow } from './outbox.ts';
import { ReminderScheduler } from './reminders.ts';
import { prepareBatch, type Prepared } from './render.ts';

export interface DispatcherOptions {
  /** Rows claimed per round. */
  batchSize: number;
  /**
   * The SMTP pool's connections (the transport enforces the rate): sends in flight at once
   * without a journal; with one, TRANSPORT_QUEUE_FACTOR times as many are handed over (runRound).
   */
  concurrency: number;
  leaseMs: number;
  pollMs: number;
  maxAttempts: number;
  /** 0 disables reminders. */
  reminderHoursBefore: number;
  /** Back-off before retry n: min(maxMs, baseMs·2^(n−1)), scaled by a random factor in [0.5, 1). */
  backoff: { baseMs: number; maxMs: number };
  random: () => number;
}

export function dispatcherOptionsFrom(config: AppConfig): DispatcherOptions {
  return {
    batchSize: config.INVITE_BATCH_SIZE,
    concurrency: config.SMTP_URL ? config.SMTP_MAX_CONNECTIONS : 1,
    leaseMs: config.INVITE_LEASE_SECONDS * 1000,
    pollMs: config.INVITE_POLL_SECONDS * 1000,
    maxAttempts: config.INVITE_MAX_ATTEMPTS,
    reminderHoursBefore: config.REMINDER_HOURS_BEFORE,
    backoff: { baseMs: 30_000, maxMs: 60 * 60_000 },
    random: Math.random,
  };
}

export interface DispatcherDeps {
  ctx: AppContext;
  transport: MailTransport;
  /** Narrows the crash window to microseconds (see delivery-journal.ts); optional for tests. */
  journal?: DeliveryJournal;
  /** Wakes the dispatcher when rows are queued; without it, only the poll finds them. */
  outbox?: InviteOutbox;
  options: DispatcherOptions;
}

/** How long a journaled outcome may wait to be written with others: the longest a row shows 'sending' after its 250. */
const RECORD_LINGER_MS = 50;
/** With a journal, messages handed to the transport at once per connection (see runRound). */
const TRANSPORT_QUEUE_FACTOR = 3;
/** Outcomes per statement at most (one JSON parameter of about 250 bytes each). */
const RECORD_MAX_ROWS = 500;

/** A claimed batch: rendered, or deferred until the batch before it is recorded (see prepareAhead). */
interface Batch {
  claimed: InviteRow[];
  prepared: Prepared[];
  deferred: InviteRow[];
  claimMs: number;
  prepareMs: number;
}

const pairOf = (row: InviteRow) => `${row.meetingId} ${row.siteId}`;

type Outcome = 'sent' | 'retry' | 'failed' | 'superseded' | 'lease-lost';

/** Counters since start, for logs and the bench. */
export interface DispatcherStats {
  outcomes: Record<Outcome, number>;
  /**
   * From the transport reporting the server's acceptance to the 'sent' UPDATE returning. Without
   * a journal this is the at-risk window: a crash inside it duplicates the message (see the
   * module header). With one, the window is the journal's append and this is how long a row
   * shows 'sending' after its 250 (up to the 50 ms linger and the write).
   */
  recordWindowMs: { count: number; total: number; max: number };
  /** Rows a replayed journal marked sent after a crash. */
  recoveredFromJournal: number;
  /** Outcome writes: statements and the outcomes they carried (outcome-recorder.ts). */
  recordWrites: { statements: number; outcomes: number };
}

export class InviteDispatcher {
  private readonly log: Logger;
  private readonly loop: DispatchLoop;
  private readonly reminders: ReminderScheduler;
  private closing: Promise<void> | null = null;
  private unsubscribe: (() => void) | null = null;
  private readonly recorder: OutcomeRecorder;
  /** The next batch, being claimed and rendered while the current one is sent. */
  private ahead: Promise<Batch> | null = null;
  private stopping = false;
  private readonly counters: DispatcherStats = {
    outcomes: { sent: 0, retry: 0, failed: 0, superseded: 0, 'lease-lost': 0 },
    recordWindowMs: { count: 0, total: 0, max: 0 },
    recoveredFromJournal: 0,
    recordWrites: { statements: 0, outcomes: 0 },
  };

  constructor(private readonly deps: DispatcherDeps) {
    this.log = deps.ctx.logger.child({ component: 'invite-dispatcher' });
    // With a journal, acceptances are safe before their write, so outcomes may wait to share one.
    this.recorder = new OutcomeRecorder(deps.ctx.db, { lingerMs: deps.journal ? RECORD_LINGER_MS : 0, maxRows: RECORD_MAX_ROWS });
    const { pollMs, reminderHoursBefore } = deps.options;
    this.reminders = new ReminderScheduler(deps.ctx, reminderHoursBefore, pollMs, this.log);
    this.loop = new DispatchLoop(
      async () => {
        await this.reminders.scanIfDue();
        return this.runRound();
      },
      pollMs,
      this.log,
    );
  }

  /** Starts the loop. Idempotent; a closed dispatcher stays closed. */
  start(): void {
    if (!this.loop.start()) return;
    this.unsubscribe = this.deps.outbox?.onEnqueued(() => this.wake()) ?? null;
    this.log.info({ pollMs: this.deps.options.pollMs, batchSize: this.deps.options.batchSize }, 'invite dispatcher started');
  }

  /**
   * Stops claiming, waits for the sends in flight to finish and be recorded, and gives back the
   * rows of a batch claimed ahead (they become due again at once). Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.stopping = true;
      this.unsubscribe?.();
      await this.loop.close();
      try {
        const ahead = await this.takeAhead();
        if (ahead?.claimed.length) await giveBack(this.deps.ctx.db, ahead.claimed);
      } catch (error) {
        // Their lease runs out instead, and whichever dispatcher runs then sends them.
        this.log.error({ err: error }, 'could not give back the invitations claimed ahead');
      }
      this.log.info('invite dispatcher stopped');
    })();
    return this.closing;
  }

  /** Look at the outbox now instead of at the next poll. */
  wake(): void {
    this.loop.wake();
  }

  stats(): DispatcherStats {
    return { ...structuredClone(this.counters), recordWrites: { ...this.recorder.written } };
  }

  /** Rounds until nothing is due (tests and one-shot tools; the loop does the same). */
  async drain(): Promise<number> {
    let total = 0;
    for (let n = await this.runRound(); n > 0; n = await this.runRound()) total += n;
    return total;
  }

  /** Queues the reminders that are due now (see reminders.ts); the number queued. */
  queueReminders(): Promise<number> {
    return this.reminders.scan();
  }

  /**
   * Sends one batch, claimed and rendered beforehand; the number of rows claimed. Rendering (CPU)
   * and minting links (one INSERT) happen before the first send, so while messages are on the
   * wire the event loop is free to handle each acceptance the moment it arrives. A full batch
   * means more is due: the next one is claimed and rendered while this one is sent (prepareAhead),
   * so the connections do not wait for it. Outcomes are written in bulk (outcome-recorder.ts);
   * the round ends when every one is committed.
   */
  async runRound(): Promise<number> {
    const { journal, options } = this.deps;
    await this.replayJournal();
    const batch = (await this.takeAheadRenewed()) ?? (await this.prepareAhead(new Set()));
    if (batch.claimed.length === 0) return 0;
    const queue = [...batch.prepared, ...(await this.prepareDeferred(batch))];
    if (batch.claimed.length === options.batchSize && !this.stopping) {
      this.ahead = this.prepareAhead(new Set(batch.claimed.map(pairOf)));
      // Awaited by the next round or by close(); a failure here is that round's to report.
      this.ahead.catch(() => undefined);
    }
    const sendingAt = performance.now();
    const outcomes: Record<Outcome, number> = { sent: 0, retry: 0, failed: 0, superseded: 0, 'lease-lost': 0 };
    const recorded: Promise<void>[] = [];
    const failures: unknown[] = [];
    const worker = async () => {
      for (let item = queue.shift(); item; item = queue.shift()) {
        const { outcome } = await this.process(item);
        const counted = outcome.then(
          (o) => {
            outcomes[o]++;
            this.counters.outcomes[o]++;
          },
          (error: unknown) => void failures.push(error),
        );
        recorded.push(counted);
        // Without a journal the row is the only record of an acceptance: the connection waits
        // for it, so at most one unrecorded acceptance per connection (see the module header).
        if (!journal) await counted;
      }
    };
    // With a journal the transport may hold a queue beyond its connections: each acceptance is
    // journaled where it is heard, so messages waiting in the transport widen no window, and the
    // connections keep going while this thread is inside a database statement or a render.
    const handedOver = journal ? options.concurrency * TRANSPORT_QUEUE_FACTOR : options.concurrency;
    await Promise.all(Array.from({ length: Math.min(handedOver, batch.claimed.length) }, worker));
    await this.recorder.flush();
    await Promise.all(recorded);
    // A failed write leaves its acceptances in the journal for the next round's replay.
    if (failures.length) throw failures[0];
    // Every acceptance of this batch is in the database now (or another dispatcher owns the row).
    journal?.clear();
    this.log.info(
      { claimed: batch.claimed.length, ...outcomes, claimMs: batch.claimMs, prepareMs: batch.prepareMs, sendMs: Math.round(performance.now() - sendingAt) },
      'invite batch done',
    );
    return batch.claimed.length;
  }

  /**
   * Claims a batch and renders it. Rows of a (meeting, site) still being sent in the current
   * batch are only claimed here: whether an update is a site's first message depends on whether
   * the earlier one was sent, known once the current batch is recorded (prepareDeferred).
   */
  private async prepareAhead(inFlight: ReadonlySet<string>): Promise<Batch> {
    const { ctx, options } = this.deps;
    const started = performance.now();
    const claimed = await claimDue(ctx.db, ctx.now(), options.batchSize, options.leaseMs);
    const claimedAt = performance.now();
    const now = claimed.filter((row) => !inFlight.has(pairOf(row)));
    const prepared = now.length ? await prepareBatch(ctx, now, options.reminderHoursBefore) : [];
    return {
      claimed,
      prepared,
      deferred: claimed.filter((row) => inFlight.has(pairOf(row))),
      claimMs: Math.round(claimedAt - started),
      prepareMs: Math.round(performance.now() - claimedAt),
    };
  }

  private prepareDeferred(batch: Batch): Promise<Prepared[]> {
    return batch.deferred.length ? prepareBatch(this.deps.ctx, batch.deferred, this.deps.options.reminderHoursBefore) : Promise.resolve([]);
  }

  /**
   * The batch claimed ahead, its lease renewed from now if less than half of it is left: it
   * waited for the batch before it to be sent, and a lease that ran out meanwhile would let this
   * very dispatcher claim and send those rows a second time. With more than half left (the usual
   * case: a batch takes seconds, a lease minutes) the renewal is skipped, one statement fewer per
   * batch on the thread that also carries the database. Rows no longer ours are dropped from it.
   * Null when none was claimed ahead.
   */
  private async takeAheadRenewed(): Promise<Batch | null> {
    const batch = await this.takeAhead();
    if (!batch?.claimed.length) return batch;
    const { ctx, options } = this.deps;
    const now = ctx.now().getTime();
    const leaseLeft = Math.min(...batch.claimed.map((row) => (row.leaseUntil?.getTime() ?? now) - now));
    if (leaseLeft > options.leaseMs / 2) return batch;
    const kept = new Set(await renewLease(ctx.db, batch.claimed, new Date(now + options.leaseMs)));
    if (kept.size < batch.claimed.length)
      this.log.warn({ lost: batch.claimed.length - kept.size }, 'invitations claimed ahead lost their lease before their turn');
    return {
      ...batch,
      claimed: batch.claimed.filter((row) => kept.has(row)),
      prepared: batch.prepared.filter((item) => kept.has(item.row)),
      deferred: batch.deferred.filter((row) => kept.has(row)),
    };
  }

  /** The batch claimed ahead, if any (null when none was started). */
  private async takeAhead(): Promise<Batch | null> {
    const ahead = this.ahead;
    this.ahead = null;
    return ahead ? await ahead : null;
  }

  /**
   * Marks sent what the journal holds and the database does not: after a crash, at start, and
   * after a round whose outcome write failed. Cheap when the journal is empty (one read).
   */
  private async replayJournal(): Promise<void> {
    const { ctx, journal } = this.deps;
    if (!journal) return;
    const recovered = await journal.replay(ctx.db);
    this.counters.recoveredFromJournal += recovered;
    if (recovered)
      this.log.warn({ recovered }, 'invitations accepted by the SMTP server but not recorded (a crash or a failed write) recorded as sent from the journal');
  }

  /**
   * Sends one prepared row (or skips it); resolves when the connection is free for the next
   * message, with the row's outcome still being written: `outcome` resolves once it is committed.
   */
  private async process(item: Prepared): Promise<{ outcome: Promise<Outcome> }> {
    const { row } = item;
    const log = this.log.child({ inviteId: row.id, meetingId: row.meetingId, siteId: row.siteId, sequence: row.sequence, kind: row.kind });
    if (item.step === 'superseded') {
      return { outcome: this.finish(row, { status: 'superseded', lastError: item.reason }).then((ours) => (ours ? 'superseded' : 'lease-lost')) };
    }
    if (item.step === 'error') {
      // Our own failure (database, bad data): the message may be fine later; retry within limits.
      log.error({ err: item.error }, 'could not prepare invitation');
      const reason = `preparing the message failed: ${item.error instanceof Error ? item.error.message : String(item.error)}`;
      return { outcome: this.failed(row, { kind: 'transient', reason }, log) };
    }
    const message = item.message;

    let result: Awaited<ReturnType<MailTransport['send']>>;
    const { journal } = this.deps;
    try {
      // The transport journals the acceptance the moment it hears it (see the module header).
      result = await this.deps.transport.send(message, journal ? { journal: { file: journal.file, inviteId: row.id } } : undefined);
    } catch (error) {
      return { outcome: this.failed(row, classifySendError(error), log) };
    }
    const acceptedAt = performance.now();
    const sentAt = this.deps.ctx.now();
    const written = this.finish(row, {
      status: 'sent',
      messageId: result.messageId,
      sentAt,
      lastError: result.rejected.length ? `refused recipients: ${result.rejected.join(', ')}` : null,
    });
    const outcome = written.then((ours): Outcome => {
      const window = performance.now() - acceptedAt;
      this.counters.recordWindowMs.count++;
      this.counters.recordWindowMs.total += window;
      this.counters.recordWindowMs.max = Math.max(this.counters.recordWindowMs.max, window);
      if (!ours) log.warn('invitation sent after its lease was taken over; the other dispatcher may send it too');
      return ours ? 'sent' : 'lease-lost';
    });
    return { outcome };
  }

  private failed(row: InviteRow, verdict: SendErrorVerdict, log: Logger): Promise<Outcome> {
    const reason = verdict.code ? `${verdict.code} ${verdict.reason}` : verdict.reason;
    if (verdict.kind === 'permanent' || row.attempts >= this.deps.options.maxAttempts) {
      const lastError = verdict.kind === 'permanent' ? reason : `gave up after ${row.attempts} attempts: ${reason}`;
      log.warn({ reason: lastError }, 'invitation failed');
      return this.finish(row, { status: 'failed', lastError }).then((ours) => (ours ? 'failed' : 'lease-lost'));
    }
    const { baseMs, maxMs } = this.deps.options.backoff;
    const delay = Math.min(maxMs, baseMs * 2 ** (row.attempts - 1)) * (0.5 + this.deps.options.random() / 2);
    const nextAttemptAt = new Date(this.deps.ctx.now().getTime() + delay);
    log.info({ reason, attempts: row.attempts, nextAttemptAt }, 'invitation will be retried');
    return this.finish(row, { status: 'queued', lastError: reason, nextAttemptAt }).then((ours) => (ours ? 'retry' : 'lease-lost'));
  }

  /** Ends our hold on the row (written with others, see outcome-recorder.ts); false when the lease was no longer ours. */
  private finish(row: InviteRow, outcome: RowOutcome): Promise<boolean> {
    return this.recorder.record(row, outcome);
  }
}
