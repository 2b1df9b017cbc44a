/**
 * Reminders: on the dispatcher's poll, one reminder row per (meeting, site, SEQUENCE) for sites
 * that have not answered the readiness question of a meeting starting within
 * REMINDER_HOURS_BEFORE. The rows go through the outbox like any invitation; whether a reminder
 * is still worth sending when its turn comes is judged by render.ts.
 */
import { and, eq, gt, isNull, lte, notExists, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import { invites, meetingParticipants, meetings, rsvps, sites } from '../../db/schema.ts';
import type { AppContext } from '../context.ts';
import { recipientsOf } from './outbox.ts';

export class ReminderScheduler {
  private lastScan = Number.NEGATIVE_INFINITY;

  /** `hoursBefore` 0 disables reminders; scans are at least `pollMs` apart. */
  constructor(
    private readonly ctx: AppContext,
    private readonly hoursBefore: number,
    private readonly pollMs: number,
    private readonly log: Logger,
  ) {}

  /** Scans unless the last scan is less than a poll interval ago. */
  async scanIfDue(): Promise<void> {
    if (this.hoursBefore <= 0) return;
    // Wall-clock spacing of scans; the window itself is judged by the app clock.
    if (performance.now() - this.lastScan < this.pollMs) return;
    this.lastScan = performance.now();
    await this.scan();
  }

  /**
   * Queues one reminder per (meeting, site, SEQUENCE) for sites without a readiness answer in
   * meetings starting within the window; the number queued. The unique key makes a repeated scan
   * a no-op. Sites without an address are left out: their invitation already shows as failed.
   */
  async scan(): Promise<number> {
    const hours = this.hoursBefore;
    if (hours <= 0) return 0;
    const { db } = this.ctx;
    const now = this.ctx.now();
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
              .where(
                and(
                  eq(invites.meetingId, meetings.id),
                  eq(invites.siteId, meetingParticipants.siteId),
                  eq(invites.sequence, meetings.sequence),
                  eq(invites.kind, 'reminder'),
                ),
              ),
          ),
        ),
      );
    const rows = due
      .map((r) => ({ ...r, recipients: recipientsOf(r.contactEmails) }))
      .filter((r) => r.recipients.length > 0)
      // method is required by the table; a reminder carries no calendar, so it is never read.
      .map((r) => ({
        meetingId: r.meetingId,
        siteId: r.siteId,
        sequence: r.sequence,
        method: 'REQUEST' as const,
        kind: 'reminder' as const,
        recipients: r.recipients,
        nextAttemptAt: now,
      }));
    for (let i = 0; i < rows.length; i += 1000)
      await db
        .insert(invites)
        .values(rows.slice(i, i + 1000))
        .onConflictDoNothing();
    if (rows.length) this.log.info({ reminders: rows.length, hoursBefore: hours }, 'reminders queued');
    return rows.length;
  }
}
