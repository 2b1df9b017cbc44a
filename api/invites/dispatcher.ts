/**
 * The outbox dispatcher: claims due `invites` rows with a lease, renders each message with fresh
 * site links, sends it through the MailTransport and records the outcome; and, on its poll tick,
 * queues reminders for sites that have not confirmed.
 *
 * Claiming is one statement that works on PostgreSQL and PGlite alike:
 *   update invites set status='sending', lease_until=now+lease, attempts=attempts+1
 *   where id in (select id … where due … order by next_attempt_at for update skip locked limit N)
 *   returning *
 * so several dispatchers (or a restarted one) never hold the same row, and a row whose lease ran
 * out — its dispatcher died mid-send — is due again.
 *
 * Exactly once? A row is only ever sent while it is not 'sent', and 'sent' is recorded by the
 * same dispatcher right after the server's 250 with nothing else in between. What remains is the
 * window between the server accepting the message and that acceptance being durable on our side:
 * if the process dies inside it (or the connection drops after the final "." but before we read
 * the 250), the lease expires, the row is claimed again and the site receives a second copy. No
 * client can close that window alone (SMTP has no two-phase commit). What we do instead:
 * - keep it small: the batch is rendered and its links minted before anything is sent, so an
 *   acceptance is handled as soon as it arrives; it is first appended synchronously to a local
 *   journal (delivery-journal.ts: microseconds, survives a process crash), then written to the
 *   row (one UPDATE: a few ms, tens on a loaded machine); a restarted dispatcher replays the
 *   journal before it claims anything. Without the journal, or when the machine rather than the
 *   process dies, the window is that UPDATE's round trip;
 * - make the duplicate harmless: the copy has the same Message-ID — derived from (meeting UID,
 *   SEQUENCE, METHOD, recipient) — so mail systems and calendar clients can recognise and drop
 *   it, and a second REQUEST with the same UID and SEQUENCE is idempotent in every calendar.
 * The crash tests count these duplicates rather than pretending they cannot happen.
 */
import { and, eq, gt, inArray, isNull, lt, lte, ne, notExists, or, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import { invites, meetingParticipants, meetings, rsvps, sites } from '../../db/schema.ts';
import type { AppConfig } from '../config.ts';
import type { AppContext } from '../context.ts';
import { parseMailbox } from './config.ts';
import { composeInviteEmail, composeReminderEmail, type OutgoingMail } from './email.ts';
import type { InviteMeeting } from './ical.ts';
import { classifySendError, type MailTransport, type SendErrorVerdict } from './mail-transport.ts';
import type { DeliveryJournal } from './delivery-journal.ts';
import { recipientsOf, type InviteOutbox, type InviteRow } from './outbox.ts';
import { mintMessageLinkTokens, siteLinks } from './site-tokens.ts';

export interface DispatcherOptions {
  /** Rows claimed per round. */
  batchSize: number;
  /** Sends in flight at once (the SMTP pool's connections; the transport enforces the rate). */
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

type Outcome = 'sent' | 'retry' | 'failed' | 'superseded' | 'lease-lost';

interface MeetingFacts {
  row: typeof meetings.$inferSelect;
  hostSiteName: string;
}

/** What the rows of one claimed batch need to be rendered, loaded once per batch. */
interface BatchContext {
  meetings: Map<string, MeetingFacts>;
  siteNames: Map<string, string>;
  /** "meetingId siteId" of current participants. */
  participants: Set<string>;
  answered: Set<string>;
  /** Non-reminder rows of the batch's (meeting, site) pairs, to spot superseded and first messages. */
  siblings: Map<string, Sibling[]>;
}
type Sibling = Pick<InviteRow, 'sequence' | 'method' | 'kind' | 'status'>;

/** A claimed row after the batch was prepared: what to do with it. */
type Prepared =
  | { row: InviteRow; step: 'send'; message: OutgoingMail }
  | { row: InviteRow; step: 'superseded'; reason: string }
  | { row: InviteRow; step: 'error'; error: unknown };

const pairKey = (meetingId: string, siteId: string) => `${meetingId} ${siteId}`;

/** Counters since start, for logs and the bench. */
export interface DispatcherStats {
  outcomes: Record<Outcome, number>;
  /**
   * The at-risk window, measured: from the transport reporting the server's acceptance to the
   * 'sent' UPDATE returning. A crash inside it duplicates the message (see the module header).
   */
  recordWindowMs: { count: number; total: number; max: number };
  /** Rows a replayed journal marked sent after a crash. */
  recoveredFromJournal: number;
}

export class InviteDispatcher {
  private readonly log: Logger;
  private loop: Promise<void> | null = null;
  private closing: Promise<void> | null = null;
  private stopping = false;
  private woken = false;
  private wakeSleeper: (() => void) | null = null;
  private unsubscribe: (() => void) | null = null;
  private lastReminderScan = Number.NEGATIVE_INFINITY;
  private recovered = false;
  private readonly counters: DispatcherStats = {
    outcomes: { sent: 0, retry: 0, failed: 0, superseded: 0, 'lease-lost': 0 },
    recordWindowMs: { count: 0, total: 0, max: 0 },
    recoveredFromJournal: 0,
  };

  constructor(private readonly deps: DispatcherDeps) {
    this.log = deps.ctx.logger.child({ component: 'invite-dispatcher' });
  }

  /** Starts the loop. Idempotent; a closed dispatcher stays closed. */
  start(): void {
    if (this.loop || this.stopping) return;
    this.unsubscribe = this.deps.outbox?.onEnqueued(() => this.wake()) ?? null;
    this.loop = this.run();
    this.log.info({ pollMs: this.deps.options.pollMs, batchSize: this.deps.options.batchSize }, 'invite dispatcher started');
  }

  /** Stops claiming, waits for the sends in flight to finish and be recorded. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.stopping = true;
      this.unsubscribe?.();
      this.wakeSleeper?.();
      await this.loop;
      this.log.info('invite dispatcher stopped');
    })();
    return this.closing;
  }

  /** Look at the outbox now instead of at the next poll. */
  wake(): void {
    this.woken = true;
    this.wakeSleeper?.();
  }

  stats(): DispatcherStats {
    return structuredClone(this.counters);
  }

  /** Rounds until nothing is due (tests and one-shot tools; the loop does the same). */
  async drain(): Promise<number> {
    let total = 0;
    for (let n = await this.runRound(); n > 0; n = await this.runRound()) total += n;
    return total;
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      this.woken = false;
      let claimed = 0;
      try {
        await this.maybeQueueReminders();
        claimed = await this.runRound();
      } catch (error) {
        this.log.error({ err: error }, 'invite dispatcher round failed');
      }
      if (claimed === 0 && !this.woken && !this.stopping) await this.sleep(this.deps.options.pollMs);
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

  private async maybeQueueReminders(): Promise<void> {
    if (this.deps.options.reminderHoursBefore <= 0) return;
    // Wall-clock spacing of scans; the window itself is judged by the app clock.
    if (performance.now() - this.lastReminderScan < this.deps.options.pollMs) return;
    this.lastReminderScan = performance.now();
    await this.queueReminders();
  }

  /**
   * Queues one reminder per (meeting, site, SEQUENCE) for sites without a readiness answer in
   * meetings starting within REMINDER_HOURS_BEFORE. The unique key makes a repeated scan a no-op.
   * Sites without an address are left out: their invitation already shows as failed.
   */
  async queueReminders(): Promise<number> {
    const hours = this.deps.options.reminderHoursBefore;
    if (hours <= 0) return 0;
    const { db } = this.deps.ctx;
    const now = this.deps.ctx.now();
    const windowEnd = new Date(now.getTime() + hours * 3600_000);
    const due = await db
      .select({ meetingId: meetings.id, sequence: meetings.sequence, siteId: meetingParticipants.siteId, contactEmails: sites.contactEmails })
      .from(meetings)
      .innerJoin(meetingParticipants, eq(meetingParticipants.meetingId, meetings.id))
      .innerJoin(sites, eq(sites.id, meetingParticipants.siteId))
      .leftJoin(rsvps, and(eq(rsvps.meetingId, meetings.id), eq(rsvps.siteId, meetingParticipants.siteId)))
      .where(
        and(
          eq(meetings.status, 'scheduled'),
          gt(meetings.startsAt, now),
          lte(meetings.startsAt, windowEnd),
          isNull(rsvps.siteId),
          notExists(
            db
              .select({ one: sql`1` })
              .from(invites)
              .where(and(eq(invites.meetingId, meetings.id), eq(invites.siteId, meetingParticipants.siteId), eq(invites.sequence, meetings.sequence), eq(invites.kind, 'reminder'))),
          ),
        ),
      );
    const rows = due
      .map((r) => ({ ...r, recipients: recipientsOf(r.contactEmails) }))
      .filter((r) => r.recipients.length > 0)
      // method is required by the table; a reminder carries no calendar, so it is never read.
      .map((r) => ({ meetingId: r.meetingId, siteId: r.siteId, sequence: r.sequence, method: 'REQUEST' as const, kind: 'reminder' as const, recipients: r.recipients, nextAttemptAt: now }));
    for (let i = 0; i < rows.length; i += 1000) await db.insert(invites).values(rows.slice(i, i + 1000)).onConflictDoNothing();
    if (rows.length) this.log.info({ reminders: rows.length, hoursBefore: hours }, 'reminders queued');
    return rows.length;
  }

  /**
   * Claims one batch, renders all of it, then sends it; the number of rows claimed. Rendering
   * (CPU) and minting links (one INSERT) happen before the first send, so while messages are on
   * the wire the event loop is free to record each acceptance the moment it arrives.
   */
  async runRound(): Promise<number> {
    if (!this.recovered && this.deps.journal) {
      const recovered = await this.deps.journal.replay(this.deps.ctx.db);
      this.counters.recoveredFromJournal += recovered;
      if (recovered) this.log.warn({ recovered }, 'invitations accepted by the SMTP server before a crash recorded as sent from the journal');
    }
    this.recovered = true;
    const started = performance.now();
    const claimed = await this.claim(this.deps.options.batchSize);
    if (claimed.length === 0) return 0;
    const claimedAt = performance.now();
    const queue = await this.prepare(claimed);
    const preparedAt = performance.now();
    const outcomes: Record<Outcome, number> = { sent: 0, retry: 0, failed: 0, superseded: 0, 'lease-lost': 0 };
    const worker = async () => {
      for (let item = queue.shift(); item; item = queue.shift()) {
        const outcome = await this.process(item);
        outcomes[outcome]++;
        this.counters.outcomes[outcome]++;
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.deps.options.concurrency, claimed.length) }, worker));
    // Every acceptance of this batch is in the database now (or another dispatcher owns the row).
    this.deps.journal?.clear();
    const ms = (from: number, to: number) => Math.round(to - from);
    this.log.info({ claimed: claimed.length, ...outcomes, claimMs: ms(started, claimedAt), prepareMs: ms(claimedAt, preparedAt), sendMs: ms(preparedAt, performance.now()) }, 'invite batch done');
    return claimed.length;
  }

  private async prepare(rows: InviteRow[]): Promise<Prepared[]> {
    let context: BatchContext;
    try {
      context = await this.loadContext(rows);
    } catch (error) {
      return rows.map((row) => ({ row, step: 'error', error }));
    }
    const out: Prepared[] = [];
    const toRender: Array<{ row: InviteRow; meeting: MeetingFacts }> = [];
    for (const row of rows) {
      const meeting = context.meetings.get(row.meetingId);
      if (!meeting) {
        out.push({ row, step: 'error', error: new Error('meeting not found') });
        continue;
      }
      const reason = this.supersededBecause(row, context, meeting);
      if (reason) out.push({ row, step: 'superseded', reason });
      else toRender.push({ row, meeting });
    }
    // A withdrawal or cancellation carries no working link: the site's links are revoked.
    const needLinks = toRender.filter(({ row }) => row.method === 'REQUEST');
    let minted: Array<{ join: string; readiness: string }>;
    try {
      minted = await mintMessageLinkTokens(
        this.deps.ctx.db,
        needLinks.map(({ row, meeting }) => ({ meetingId: row.meetingId, siteId: row.siteId, expiresAt: meeting.row.endsAt })),
      );
    } catch (error) {
      return [...out, ...toRender.map(({ row }) => ({ row, step: 'error' as const, error }))];
    }
    const linksOf = new Map(
      needLinks.map(({ row, meeting }, i) => [row.id, siteLinks(this.deps.ctx.config.PUBLIC_URL, minted[i]!, meeting.row.hostSiteId === row.siteId ? { meetingId: row.meetingId } : undefined)]),
    );
    const noLinks = { join: `${this.deps.ctx.config.PUBLIC_URL}/`, readiness: `${this.deps.ctx.config.PUBLIC_URL}/` };
    for (const { row, meeting } of toRender) {
      try {
        out.push({ row, step: 'send', message: this.render(row, context, meeting, linksOf.get(row.id) ?? noLinks) });
      } catch (error) {
        out.push({ row, step: 'error', error });
      }
    }
    return out;
  }

  private async claim(limit: number): Promise<InviteRow[]> {
    const { db } = this.deps.ctx;
    const now = this.deps.ctx.now();
    const due = db
      .select({ id: invites.id })
      .from(invites)
      .where(or(and(eq(invites.status, 'queued'), lte(invites.nextAttemptAt, now)), and(eq(invites.status, 'sending'), lt(invites.leaseUntil, now))))
      .orderBy(invites.nextAttemptAt)
      .limit(limit)
      .for('update', { skipLocked: true });
    return db
      .update(invites)
      .set({ status: 'sending', leaseUntil: new Date(now.getTime() + this.deps.options.leaseMs), attempts: sql`${invites.attempts} + 1` })
      .where(inArray(invites.id, due))
      .returning();
  }

  private async loadContext(rows: InviteRow[]): Promise<BatchContext> {
    const { db } = this.deps.ctx;
    const meetingIds = [...new Set(rows.map((r) => r.meetingId))];
    const siteIds = [...new Set(rows.map((r) => r.siteId))];
    const meetingRows = await db.select({ meeting: meetings, hostSiteName: sites.name }).from(meetings).innerJoin(sites, eq(sites.id, meetings.hostSiteId)).where(inArray(meetings.id, meetingIds));
    const siteRows = await db.select({ id: sites.id, name: sites.name }).from(sites).where(inArray(sites.id, siteIds));
    const participantRows = await db
      .select({ meetingId: meetingParticipants.meetingId, siteId: meetingParticipants.siteId })
      .from(meetingParticipants)
      .where(and(inArray(meetingParticipants.meetingId, meetingIds), inArray(meetingParticipants.siteId, siteIds)));
    const answeredRows = await db
      .select({ meetingId: rsvps.meetingId, siteId: rsvps.siteId })
      .from(rsvps)
      .where(and(inArray(rsvps.meetingId, meetingIds), inArray(rsvps.siteId, siteIds)));
    const siblingRows = await db
      .select({ meetingId: invites.meetingId, siteId: invites.siteId, sequence: invites.sequence, method: invites.method, kind: invites.kind, status: invites.status })
      .from(invites)
      .where(and(inArray(invites.meetingId, meetingIds), inArray(invites.siteId, siteIds), ne(invites.kind, 'reminder')));
    const siblings = new Map<string, Sibling[]>();
    for (const s of siblingRows) {
      const key = pairKey(s.meetingId, s.siteId);
      const list = siblings.get(key) ?? [];
      list.push(s);
      siblings.set(key, list);
    }
    return {
      meetings: new Map(meetingRows.map((r) => [r.meeting.id, { row: r.meeting, hostSiteName: r.hostSiteName }])),
      siteNames: new Map(siteRows.map((r) => [r.id, r.name])),
      participants: new Set(participantRows.map((r) => pairKey(r.meetingId, r.siteId))),
      answered: new Set(answeredRows.map((r) => pairKey(r.meetingId, r.siteId))),
      siblings,
    };
  }

  /** Why this row should not be sent at all, or null to send it. */
  private supersededBecause(row: InviteRow, context: BatchContext, meeting: MeetingFacts): string | null {
    const key = pairKey(row.meetingId, row.siteId);
    if (row.kind === 'reminder') {
      if (meeting.row.status !== 'scheduled') return 'meeting cancelled';
      if (!context.participants.has(key)) return 'site no longer in the meeting';
      if (context.answered.has(key)) return 'site already answered';
      if (meeting.row.startsAt.getTime() <= this.deps.ctx.now().getTime()) return 'meeting already started';
      return null;
    }
    if (row.method === 'CANCEL') return null;
    // A REQUEST overtaken by a later message to the same site (an update, a withdrawal, the
    // cancellation): the calendar only needs the newest, and its content is what we have now.
    const newer = (context.siblings.get(key) ?? []).find((s) => s.sequence > row.sequence);
    if (newer) return `superseded by sequence ${newer.sequence} (${newer.kind})`;
    if (meeting.row.status !== 'scheduled') return 'meeting cancelled';
    // Queued while mail was down and the meeting has passed: an invitation now only confuses.
    if (meeting.row.endsAt.getTime() <= this.deps.ctx.now().getTime()) return 'meeting already over';
    return null;
  }

  private render(row: InviteRow, context: BatchContext, meeting: MeetingFacts, links: { join: string; readiness: string }): OutgoingMail {
    const { config } = this.deps.ctx;
    const siteName = context.siteNames.get(row.siteId) ?? 'Điểm cầu';
    const [attendee, ...otherContacts] = row.recipients;
    if (!attendee) throw Object.assign(new Error('no recipients'), { code: 'EENVELOPE' });
    const organizer = parseMailbox(config.MAIL_FROM);
    // Calendars must see this row's SEQUENCE; the content is the meeting as it is now, which is
    // what that SEQUENCE announced (any later content change queued a newer row, superseding this).
    const inviteMeeting: InviteMeeting = {
      uid: meeting.row.uid,
      sequence: row.sequence,
      title: meeting.row.title,
      agenda: meeting.row.agenda,
      startsAt: meeting.row.startsAt,
      endsAt: meeting.row.endsAt,
      status: meeting.row.status,
      hostSiteName: meeting.hostSiteName,
      updatedAt: meeting.row.updatedAt,
    };
    let message: OutgoingMail;
    if (row.kind === 'reminder') {
      message = composeReminderEmail({
        meeting: inviteMeeting,
        organizer,
        attendee: { siteName, email: attendee },
        links,
        otherContacts,
        hoursBefore: Math.max(1, this.deps.options.reminderHoursBefore),
      }).message;
    } else {
      const earlierRequestSent = (context.siblings.get(pairKey(row.meetingId, row.siteId)) ?? []).some(
        (s) => s.method === 'REQUEST' && s.status === 'sent' && s.sequence < row.sequence,
      );
      message = composeInviteEmail({
        method: row.method,
        meeting: inviteMeeting,
        organizer,
        attendee: { siteName, email: attendee },
        links,
        otherContacts,
        firstForSite: row.kind === 'invite' || (row.method === 'REQUEST' && !earlierRequestSent),
      }).message;
    }
    // A deliberate resend gets its own Message-ID; automatic retries keep the original one.
    if (row.resend > 0 && typeof message.messageId === 'string') {
      message.messageId = message.messageId.replace(/^<([^@>]+)@/, `<$1.resend${row.resend}@`);
    }
    return message;
  }

  private async process(item: Prepared): Promise<Outcome> {
    const { row } = item;
    const log = this.log.child({ inviteId: row.id, meetingId: row.meetingId, siteId: row.siteId, sequence: row.sequence, kind: row.kind });
    if (item.step === 'superseded') return (await this.finish(row, { status: 'superseded', lastError: item.reason })) ? 'superseded' : 'lease-lost';
    if (item.step === 'error') {
      // Our own failure (database, bad data): the message may be fine later; retry within limits.
      log.error({ err: item.error }, 'could not prepare invitation');
      const reason = `preparing the message failed: ${item.error instanceof Error ? item.error.message : String(item.error)}`;
      return this.failed(row, { kind: 'transient', reason }, log);
    }
    const message = item.message;

    let result;
    try {
      result = await this.deps.transport.send(message);
    } catch (error) {
      return this.failed(row, classifySendError(error), log);
    }
    // The server has the message: record it at once, journal first (see header).
    const acceptedAt = performance.now();
    const sentAt = this.deps.ctx.now();
    try {
      this.deps.journal?.record({ id: row.id, messageId: result.messageId, sentAt: sentAt.toISOString() });
    } catch (error) {
      log.error({ err: error }, 'could not write the delivery journal');
    }
    const recorded = await this.finish(row, {
      status: 'sent',
      messageId: result.messageId,
      sentAt,
      lastError: result.rejected.length ? `refused recipients: ${result.rejected.join(', ')}` : null,
    });
    const window = performance.now() - acceptedAt;
    this.counters.recordWindowMs.count++;
    this.counters.recordWindowMs.total += window;
    this.counters.recordWindowMs.max = Math.max(this.counters.recordWindowMs.max, window);
    if (!recorded) log.warn('invitation sent after its lease was taken over; the other dispatcher may send it too');
    return recorded ? 'sent' : 'lease-lost';
  }

  private async failed(row: InviteRow, verdict: SendErrorVerdict, log: Logger): Promise<Outcome> {
    const reason = verdict.code ? `${verdict.code} ${verdict.reason}` : verdict.reason;
    if (verdict.kind === 'permanent' || row.attempts >= this.deps.options.maxAttempts) {
      const lastError = verdict.kind === 'permanent' ? reason : `gave up after ${row.attempts} attempts: ${reason}`;
      log.warn({ reason: lastError }, 'invitation failed');
      return (await this.finish(row, { status: 'failed', lastError })) ? 'failed' : 'lease-lost';
    }
    const { baseMs, maxMs } = this.deps.options.backoff;
    const delay = Math.min(maxMs, baseMs * 2 ** (row.attempts - 1)) * (0.5 + this.deps.options.random() / 2);
    const nextAttemptAt = new Date(this.deps.ctx.now().getTime() + delay);
    log.info({ reason, attempts: row.attempts, nextAttemptAt }, 'invitation will be retried');
    return (await this.finish(row, { status: 'queued', lastError: reason, nextAttemptAt })) ? 'retry' : 'lease-lost';
  }

  /** Ends our hold on the row; false when the lease was no longer ours. */
  private async finish(row: InviteRow, set: Partial<typeof invites.$inferInsert>): Promise<boolean> {
    const updated = await this.deps.ctx.db
      .update(invites)
      .set({ ...set, leaseUntil: null })
      .where(and(eq(invites.id, row.id), eq(invites.status, 'sending'), row.leaseUntil ? eq(invites.leaseUntil, row.leaseUntil) : isNull(invites.leaseUntil)))
      .returning({ id: invites.id });
    return updated.length === 1;
  }
}
