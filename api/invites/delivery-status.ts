/**
 * What the secretariat sees of a meeting's invitations: per site, how its latest message is
 * doing (queued, sending, sent, failed with the reason), the last SEQUENCE it has been sent,
 * the reminder, and its readiness answer. Sites removed from the meeting stay listed (their
 * withdrawal must arrive too), marked as removed. A message that could not be sent because the
 * site has no address is counted as unsendable, not failed: nothing went wrong in delivery, the
 * directory lacks an entry (the page links to it).
 *
 * Beside the answer, each site's latest device check (its rehearsal from the invitation): the
 * sites that never checked come first among the participants, since those are the ones to call.
 */
import { asc, eq, inArray } from 'drizzle-orm';
import type { Executor } from '../../db/client.ts';
import { adminUnits, invites, meetingParticipants, meetings, rsvps, sites } from '../../db/schema.ts';
import { NotFoundError } from '../errors.ts';
import { toVietnamIso } from '../time.ts';
import { latestDeviceChecks, type DeviceCheckView } from './device-checks.ts';
import { NO_CONTACT_EMAIL, type InviteRow } from './outbox.ts';

export interface SiteDelivery {
  siteId: string;
  siteName: string;
  unitCode: string;
  unitName: string;
  /** Null when the site has been removed from the meeting. */
  role: 'host' | 'participant' | null;
  /** The latest message could not be sent for want of an address (its row is failed with NO_CONTACT_EMAIL). */
  unsendable: boolean;
  latest: {
    status: InviteRow['status'];
    kind: InviteRow['kind'];
    method: InviteRow['method'];
    sequence: number;
    attempts: number;
    lastError: string | null;
    sentAt: string | null;
    nextAttemptAt: string;
    resend: number;
  } | null;
  /** Highest SEQUENCE of a calendar message this site has been sent. */
  lastSentSequence: number | null;
  reminder: { status: InviteRow['status']; sentAt: string | null } | null;
  rsvp: { answer: 'attending' | 'declined'; reason: string | null; delegateName: string | null; answeredAt: string } | null;
  /** The site's latest device check; null when it never ran one. */
  deviceCheck: DeviceCheckView | null;
}

export interface MeetingDeliveryStatus {
  meetingId: string;
  sequence: number;
  summary: {
    sites: number;
    queued: number;
    sending: number;
    sent: number;
    failed: number;
    unsendable: number;
    attending: number;
    declined: number;
    unanswered: number;
    /** Participating sites that never ran the device check (the host hall checks from its console). */
    unchecked: number;
  };
  sites: SiteDelivery[];
}

const newer = (a: InviteRow, b: InviteRow) => a.sequence > b.sequence || (a.sequence === b.sequence && a.resend > b.resend);

export async function meetingDeliveryStatus(db: Executor, meetingId: string): Promise<MeetingDeliveryStatus> {
  const [meeting] = await db.select({ id: meetings.id, sequence: meetings.sequence }).from(meetings).where(eq(meetings.id, meetingId)).limit(1);
  if (!meeting) throw new NotFoundError('Meeting', meetingId);
  const [rows, participants, answers, checks] = await Promise.all([
    db.select().from(invites).where(eq(invites.meetingId, meetingId)),
    db
      .select({ siteId: meetingParticipants.siteId, role: meetingParticipants.role })
      .from(meetingParticipants)
      .where(eq(meetingParticipants.meetingId, meetingId)),
    db.select().from(rsvps).where(eq(rsvps.meetingId, meetingId)),
    latestDeviceChecks(db, meetingId),
  ]);
  const roles = new Map(participants.map((p) => [p.siteId, p.role]));
  const siteIds = [...new Set([...roles.keys(), ...rows.map((r) => r.siteId)])];
  const siteRows: { id: string; name: string; unitCode: string; unitName: string }[] = [];
  for (let i = 0; i < siteIds.length; i += 5000) {
    siteRows.push(
      ...(await db
        .select({ id: sites.id, name: sites.name, unitCode: sites.unitCode, unitName: adminUnits.name })
        .from(sites)
        .innerJoin(adminUnits, eq(adminUnits.code, sites.unitCode))
        .where(inArray(sites.id, siteIds.slice(i, i + 5000)))
        .orderBy(asc(sites.unitCode), asc(sites.name))),
    );
  }

  const latest = new Map<string, InviteRow>();
  const lastSent = new Map<string, number>();
  const reminders = new Map<string, InviteRow>();
  for (const row of rows) {
    if (row.kind === 'reminder') {
      const seen = reminders.get(row.siteId);
      if (!seen || newer(row, seen)) reminders.set(row.siteId, row);
      continue;
    }
    if (row.status === 'sent') lastSent.set(row.siteId, Math.max(row.sequence, lastSent.get(row.siteId) ?? -1));
    if (row.status === 'superseded') continue;
    const seen = latest.get(row.siteId);
    if (!seen || newer(row, seen)) latest.set(row.siteId, row);
  }
  const answerBySite = new Map(answers.map((a) => [a.siteId, a]));

  const out: SiteDelivery[] = siteRows.map((site) => {
    const row = latest.get(site.id);
    const reminder = reminders.get(site.id);
    const answer = answerBySite.get(site.id);
    return {
      siteId: site.id,
      siteName: site.name,
      unitCode: site.unitCode,
      unitName: site.unitName,
      role: roles.get(site.id) ?? null,
      unsendable: row?.status === 'failed' && row.lastError === NO_CONTACT_EMAIL,
      latest: row
        ? {
            status: row.status,
            kind: row.kind,
            method: row.method,
            sequence: row.sequence,
            attempts: row.attempts,
            lastError: row.lastError,
            sentAt: row.sentAt ? toVietnamIso(row.sentAt) : null,
            nextAttemptAt: toVietnamIso(row.nextAttemptAt),
            resend: row.resend,
          }
        : null,
      lastSentSequence: lastSent.get(site.id) ?? null,
      reminder: reminder ? { status: reminder.status, sentAt: reminder.sentAt ? toVietnamIso(reminder.sentAt) : null } : null,
      rsvp: answer ? { answer: answer.answer, reason: answer.reason, delegateName: answer.delegateName, answeredAt: toVietnamIso(answer.answeredAt) } : null,
      deviceCheck: checks.get(site.id) ?? null,
    };
  });
  // Host first, then the participants that never checked their devices, then those that did,
  // removed sites last; each group in unit order.
  const rank = (s: SiteDelivery) => (s.role === 'host' ? 0 : s.role === 'participant' ? (s.deviceCheck ? 2 : 1) : 3);
  out.sort((a, b) => rank(a) - rank(b));

  const current = out.filter((s) => s.role !== null);
  const count = (status: InviteRow['status']) => out.filter((s) => s.latest?.status === status && !s.unsendable).length;
  return {
    meetingId,
    sequence: meeting.sequence,
    summary: {
      sites: current.length,
      queued: count('queued'),
      sending: count('sending'),
      sent: count('sent'),
      failed: count('failed'),
      unsendable: out.filter((s) => s.unsendable).length,
      attending: current.filter((s) => s.rsvp?.answer === 'attending').length,
      declined: current.filter((s) => s.rsvp?.answer === 'declined').length,
      unanswered: current.filter((s) => !s.rsvp).length,
      unchecked: current.filter((s) => s.role === 'participant' && !s.deviceCheck).length,
    },
    sites: out,
  };
}
