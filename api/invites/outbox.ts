/**
 * The invitation outbox: which messages a meeting change owes to which sites, written as
 * `invites` rows inside the meeting's own transaction (so a committed change always has its
 * messages, and a refused one has none), and the secretariat's re-queueing of them.
 * Sending is dispatcher.ts's job; this module only writes rows and rings the wake-up bell.
 *
 *   created                 REQUEST invite  to every site, host included
 *   updated, content        REQUEST update  to every remaining site, REQUEST invite to added sites,
 *                           CANCEL cancel   to removed sites
 *   updated, membership     REQUEST invite  to added sites, CANCEL cancel to removed sites
 *   cancelled               CANCEL cancel   to every site
 *
 * Removed sites' links are revoked in the same transaction, and all links of a cancelled meeting.
 */
import { and, asc, desc, eq, inArray, ne, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Executor, Transaction } from '../../db/client.ts';
import { auditLog, invites, meetingParticipants, meetings, sites } from '../../db/schema.ts';
import { assertMayManageMeeting } from '../auth/policy.ts';
import type { AppContext, AuthenticatedUser } from '../context.ts';
import { ConflictError, NotFoundError, ValidationError } from '../errors.ts';
import type { MeetingChange } from '../meetings/service.ts';
import { moveMeetingTokenExpiry, revokeMeetingTokens, revokeSeriesTokens } from './site-tokens.ts';

export type InviteRow = typeof invites.$inferSelect;
type InviteInsert = typeof invites.$inferInsert;
type Planned = Pick<InviteInsert, 'siteId' | 'method' | 'kind'>;

/** lastError of a row that could not even be queued; the secretariat page translates it. */
export const NO_CONTACT_EMAIL = 'no contact e-mail address for this site';

// Rows per INSERT: 1,000 rows × 11 columns stays far below PostgreSQL's 65,535 parameters.
const INSERT_CHUNK = 1000;
/** A site is sent the same invitation again at most once in this long, unless the secretariat confirms. */
export const RESEND_INTERVAL_MS = 10 * 60_000;
// Rows per JSON INSERT: bounds the size of one parameter (about 250 bytes a row).
const JSON_INSERT_CHUNK = 10_000;

const emailSchema = z.email();

/** A site's usable mailboxes: trimmed, valid, each once (the first is the calendar ATTENDEE). */
export function recipientsOf(contactEmails: readonly string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const raw of contactEmails) {
    const email = raw.trim();
    if (!emailSchema.safeParse(email).success || seen.has(email.toLowerCase())) continue;
    seen.add(email.toLowerCase());
    out.push(email);
  }
  return out;
}

function plan(change: MeetingChange): Planned[] {
  switch (change.kind) {
    case 'created':
      return change.siteIds.map((siteId) => ({ siteId, method: 'REQUEST', kind: 'invite' }));
    case 'cancelled':
      return change.siteIds.map((siteId) => ({ siteId, method: 'CANCEL', kind: 'cancel' }));
    case 'updated': {
      if (!change.sequenceRaised) return [];
      const added = new Set(change.addedSiteIds);
      const out: Planned[] = [];
      for (const siteId of change.siteIds) {
        if (added.has(siteId)) out.push({ siteId, method: 'REQUEST', kind: 'invite' });
        else if (change.contentChanged) out.push({ siteId, method: 'REQUEST', kind: 'update' });
      }
      for (const siteId of change.removedSiteIds) out.push({ siteId, method: 'CANCEL', kind: 'cancel' });
      return out;
    }
    default: {
      const unreachable: never = change.kind;
      throw new Error(`unknown meeting change ${String(unreachable)}`);
    }
  }
}

/**
 * Inserts outbox rows as one JSON parameter expanded by json_populate_recordset: a national
 * meeting's 3,356 rows are one statement with one parameter, instead of drizzle building and the
 * server parsing four statements of 12,000 parameters each (the difference is most of the time
 * the scheduling transaction spends queueing invitations).
 */
async function insertInviteRows(tx: Executor, rows: InviteInsert[]): Promise<void> {
  for (let i = 0; i < rows.length; i += JSON_INSERT_CHUNK) {
    const json = JSON.stringify(
      rows.slice(i, i + JSON_INSERT_CHUNK).map((r) => ({
        meeting_id: r.meetingId,
        site_id: r.siteId,
        sequence: r.sequence,
        method: r.method,
        kind: r.kind,
        recipients: r.recipients,
        status: r.status ?? 'queued',
        last_error: r.lastError ?? null,
        next_attempt_at: (r.nextAttemptAt ?? new Date()).toISOString(),
        resend: r.resend ?? 0,
        whole_series: r.wholeSeries ?? false,
      })),
    );
    await tx.execute(sql`
      insert into ${invites} (id, meeting_id, site_id, sequence, method, kind, recipients, status, last_error, next_attempt_at, resend, whole_series)
      select gen_random_uuid(), r.meeting_id, r.site_id, r.sequence, r.method, r.kind, r.recipients, r.status, r.last_error, r.next_attempt_at, r.resend, r.whole_series
      from json_populate_recordset(null::invites, ${json}::json) as r
      on conflict do nothing`);
  }
}

async function contactsOf(db: Executor, siteIds: string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (let i = 0; i < siteIds.length; i += 5000) {
    const rows = await db
      .select({ id: sites.id, contactEmails: sites.contactEmails })
      .from(sites)
      .where(inArray(sites.id, siteIds.slice(i, i + 5000)));
    for (const row of rows) out.set(row.id, recipientsOf(row.contactEmails));
  }
  return out;
}

export interface ResendInput {
  siteIds?: string[] | undefined;
  failedOnly?: boolean | undefined;
  /** Also to sites resent to in the last 10 minutes. */
  confirm?: boolean | undefined;
}

export interface ResendResult {
  /** Failed messages put back in the queue (attempts reset). */
  requeued: number;
  /** Sent messages queued once more as a deliberate resend. */
  resent: number;
  /** Sites whose latest message is still queued or being sent: nothing to do. */
  alreadyPending: number;
  /** Sites still without a usable e-mail address: they stay failed. */
  withoutAddress: number;
}

export class InviteOutbox {
  private readonly wakeListeners = new Set<() => void>();
  private readonly rotatedListeners: Array<(meetingId: string, siteId: string) => void> = [];

  /** The composition root (server/services.ts) connects it to the meetings service's changes. */
  constructor(private readonly ctx: AppContext) {}

  /** The dispatcher subscribes here to hear about new rows at once; returns the unsubscribe. */
  onEnqueued(listener: () => void): () => void {
    this.wakeListeners.add(listener);
    return () => this.wakeListeners.delete(listener);
  }

  wake(): void {
    for (const listener of this.wakeListeners) listener();
  }

  /** The MeetingChangeListener: runs inside the meeting's transaction. */
  async enqueueForChange(tx: Transaction, change: MeetingChange): Promise<void> {
    const now = this.ctx.now();
    const meeting = change.meeting;
    // A whole-series message (series.ts) is about the series, not its first occurrence's links.
    const series = change.wholeSeries;
    if (!series) {
      if (change.kind === 'cancelled') await revokeMeetingTokens(tx, meeting.id, now);
      if (change.removedSiteIds.length) await revokeMeetingTokens(tx, meeting.id, now, change.removedSiteIds);
      if (change.kind === 'updated' && change.contentChanged) await moveMeetingTokenExpiry(tx, meeting.id, meeting.endsAt);
    }

    const planned = plan(change);
    if (planned.length === 0) return;
    const contacts = await contactsOf(tx, [...new Set(planned.map((p) => p.siteId))]);
    const rows: InviteInsert[] = planned.map((p) => {
      const recipients = contacts.get(p.siteId) ?? [];
      return {
        ...p,
        meetingId: meeting.id,
        sequence: series ? series.sequence : meeting.sequence,
        wholeSeries: series !== undefined,
        recipients,
        // A site nobody can write to is recorded, not skipped: the secretariat must see it.
        ...(recipients.length === 0 ? { status: 'failed' as const, lastError: NO_CONTACT_EMAIL } : {}),
        // The app's clock, not the database's: tests pin time, and retries compare against it.
        nextAttemptAt: now,
      };
    });
    await insertInviteRows(tx, rows);
    this.ctx.logger.info({ meetingId: meeting.id, sequence: meeting.sequence, change: change.kind, queued: rows.length }, 'invitations queued');
  }

  /**
   * Sends a site's latest message again. The unique key forbids a second row for the same
   * (meeting, site, sequence, kind), so: a *failed* row is reset to queued in place (it was never
   * delivered, so "at most one successful send" still holds) with its recipients re-read from the
   * site (the secretariat may just have fixed the address); a *sent* row, unless failedOnly, gets
   * a sibling row with resend = n + 1 — a deliberate second copy with its own Message-ID, because
   * a receiver that de-duplicated the first would otherwise drop it again.
   */
  async resend(meetingId: string, input: ResendInput, actor: AuthenticatedUser): Promise<ResendResult> {
    const now = this.ctx.now();
    await assertMayManageMeeting(this.ctx.db, actor, meetingId);
    const result = await this.ctx.db.transaction(async (tx) => {
      const [meeting] = await tx.select({ id: meetings.id }).from(meetings).where(eq(meetings.id, meetingId)).limit(1);
      if (!meeting) throw new NotFoundError('Meeting', meetingId);
      const conditions = [eq(invites.meetingId, meetingId), ne(invites.kind, 'reminder'), ne(invites.status, 'superseded')];
      if (input.siteIds) conditions.push(inArray(invites.siteId, input.siteIds));
      const rows = await tx
        .select()
        .from(invites)
        .where(and(...conditions))
        .orderBy(asc(invites.siteId), desc(invites.sequence), desc(invites.resend))
        .for('update');
      const latest = new Map<string, InviteRow>();
      for (const row of rows) if (!latest.has(row.siteId)) latest.set(row.siteId, row);
      const unknown = (input.siteIds ?? []).filter((siteId) => !latest.has(siteId));
      if (unknown.length) throw new ValidationError('Some sites have no invitation in this meeting', { siteIds: unknown });

      const counts: ResendResult = { requeued: 0, resent: 0, alreadyPending: 0, withoutAddress: 0 };
      const targets = [...latest.values()].filter((row) => row.status === 'failed' || (row.status === 'sent' && !input.failedOnly));
      // A site resent to in the last 10 minutes is not sent to again unless the secretariat confirms:
      // a double click or an impatient second try should not flood a commune's mailbox.
      if (!input.confirm) {
        const since = new Date(now.getTime() - RESEND_INTERVAL_MS);
        const recent = new Set(rows.filter((row) => row.resend > 0 && row.createdAt.getTime() > since.getTime()).map((row) => row.siteId));
        const tooSoon = targets.filter((row) => recent.has(row.siteId)).map((row) => row.siteId);
        if (tooSoon.length) {
          throw new ConflictError(
            `${tooSoon.length} site(s) were sent this invitation again less than 10 minutes ago; send confirm: true to send once more`,
            { siteIds: tooSoon.slice(0, 100) },
            'resend_too_soon',
          );
        }
      }
      counts.alreadyPending = [...latest.values()].filter((row) => row.status === 'queued' || row.status === 'sending').length;
      const contacts = await contactsOf(
        tx,
        targets.map((row) => row.siteId),
      );
      const copies: InviteInsert[] = [];
      for (const row of targets) {
        const recipients = contacts.get(row.siteId) ?? [];
        if (recipients.length === 0) {
          counts.withoutAddress++;
          await tx.update(invites).set({ recipients, lastError: NO_CONTACT_EMAIL }).where(eq(invites.id, row.id));
          continue;
        }
        if (row.status === 'failed') {
          counts.requeued++;
          await tx.update(invites).set({ status: 'queued', recipients, attempts: 0, nextAttemptAt: now, leaseUntil: null }).where(eq(invites.id, row.id));
        } else {
          counts.resent++;
          copies.push(resendCopy(row, recipients, now));
        }
      }
      for (let i = 0; i < copies.length; i += INSERT_CHUNK) await tx.insert(invites).values(copies.slice(i, i + INSERT_CHUNK));
      await tx.insert(auditLog).values({
        actorUserId: actor.id,
        action: 'invites.resend',
        entity: 'meeting',
        entityId: meetingId,
        details: { siteCount: input.siteIds?.length ?? null, failedOnly: input.failedOnly ?? false, ...counts },
      });
      return counts;
    });
    this.ctx.logger.info({ meetingId, actorUserId: actor.id, ...result }, 'invitations re-queued');
    if (result.requeued + result.resent > 0) this.wake();
    return result;
  }

  /** Called after a site's links were rotated (to disconnect a connection on an old link). Must not throw. */
  onLinksRotated(listener: (meetingId: string, siteId: string) => void): void {
    this.rotatedListeners.push(listener);
  }

  /**
   * New links for one site of a meeting: every join and readiness token it holds for the meeting
   * is revoked, and its invitation is sent again (the new message carries new links). After
   * commit, listeners disconnect the site if it is connected with an old link.
   */
  async rotateLinks(meetingId: string, siteId: string, actor: AuthenticatedUser): Promise<{ siteId: string }> {
    const now = this.ctx.now();
    await assertMayManageMeeting(this.ctx.db, actor, meetingId);
    await this.ctx.db.transaction(async (tx) => {
      const [meeting] = await tx
        .select({ status: meetings.status, endsAt: meetings.endsAt, seriesId: meetings.seriesId })
        .from(meetings)
        .where(eq(meetings.id, meetingId))
        .limit(1)
        .for('update');
      if (!meeting) throw new NotFoundError('Meeting', meetingId);
      if (meeting.status === 'cancelled') throw new ConflictError('This meeting has been cancelled', undefined, 'meeting_cancelled');
      if (meeting.endsAt.getTime() <= now.getTime()) throw new ConflictError('This meeting is over', undefined, 'meeting_over');
      const [participant] = await tx
        .select({ siteId: meetingParticipants.siteId })
        .from(meetingParticipants)
        .where(and(eq(meetingParticipants.meetingId, meetingId), eq(meetingParticipants.siteId, siteId)))
        .limit(1);
      if (!participant) throw new NotFoundError('Site in this meeting', siteId);
      await revokeMeetingTokens(tx, meetingId, now, [siteId]);
      const [latest] = await tx
        .select()
        .from(invites)
        .where(
          and(
            eq(invites.meetingId, meetingId),
            eq(invites.siteId, siteId),
            eq(invites.method, 'REQUEST'),
            ne(invites.kind, 'reminder'),
            ne(invites.status, 'superseded'),
            eq(invites.wholeSeries, false),
          ),
        )
        .orderBy(desc(invites.sequence), desc(invites.resend))
        .limit(1)
        .for('update');
      const recipients = (await contactsOf(tx, [siteId])).get(siteId) ?? [];
      // An occurrence of a series: the site's series links go too, and the series' message is
      // sent again with new ones (it is what the site's calendar holds).
      if (meeting.seriesId) {
        await revokeSeriesTokens(tx, meeting.seriesId, siteId, now);
        const [series] = await tx
          .select({ row: invites })
          .from(invites)
          .innerJoin(meetings, eq(meetings.id, invites.meetingId))
          .where(
            and(
              eq(meetings.seriesId, meeting.seriesId),
              eq(invites.siteId, siteId),
              eq(invites.wholeSeries, true),
              eq(invites.method, 'REQUEST'),
              ne(invites.status, 'superseded'),
            ),
          )
          .orderBy(desc(invites.sequence), desc(invites.resend))
          .limit(1)
          .for('update');
        if (series && recipients.length) await this.sendAgain(tx, series.row, recipients, now);
      }
      // The occurrence's own message (a plain meeting's invitation, an occurrence's change).
      if (latest && recipients.length) await this.sendAgain(tx, latest, recipients, now);
      await tx.insert(auditLog).values({ actorUserId: actor.id, action: 'links.rotate', entity: 'meeting', entityId: meetingId, details: { siteId } });
    });
    this.ctx.logger.info({ meetingId, siteId, actorUserId: actor.id }, 'site links rotated');
    for (const listener of this.rotatedListeners) {
      try {
        listener(meetingId, siteId);
      } catch (error) {
        this.ctx.logger.error({ err: error, meetingId, siteId }, 'links-rotated listener failed');
      }
    }
    this.wake();
    return { siteId };
  }

  /**
   * A message once more with new links: a failed row is re-queued in place; a sent one gets a
   * deliberate copy (resend n + 1). A queued or sending one needs nothing: it mints its links
   * when it goes out, after the revocation.
   */
  private async sendAgain(tx: Transaction, row: InviteRow, recipients: string[], now: Date): Promise<void> {
    if (row.status === 'failed')
      await tx.update(invites).set({ status: 'queued', recipients, attempts: 0, nextAttemptAt: now, leaseUntil: null }).where(eq(invites.id, row.id));
    if (row.status === 'sent') {
      await tx.insert(invites).values(resendCopy(row, recipients, now));
    }
  }
}

/** A new outbox row that sends a sent message again: the same (meeting, site, sequence), one more resend. */
function resendCopy(row: InviteRow, recipients: string[], now: Date): InviteInsert {
  return {
    meetingId: row.meetingId,
    siteId: row.siteId,
    sequence: row.sequence,
    method: row.method,
    kind: row.kind,
    recipients,
    resend: row.resend + 1,
    wholeSeries: row.wholeSeries,
    nextAttemptAt: now,
  };
}
