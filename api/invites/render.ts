/**
 * Turning a claimed batch of outbox rows into messages: load what the batch needs once (its
 * meetings, sites, participants, answers and sibling rows), drop the rows that should no longer
 * be sent (superseded), mint the sites' links in one INSERT, and compose each e-mail. All of it
 * happens before the first send (see dispatcher.ts: it keeps the at-risk window small).
 */
import { setImmediate as setImmediatePromise } from 'node:timers/promises';
import { and, asc, eq, inArray, ne } from 'drizzle-orm';
import { invites, meetingAttachments, meetingParticipants, meetings, meetingSeries, rsvps, sites } from '../../db/schema.ts';
import { describeRule, icalRepeating, recurrenceRule } from '../meetings/recurrence.ts';
import type { AppContext } from '../context.ts';
import { parseMailbox } from './config.ts';
import { composeInviteEmail, composeReminderEmail, type OutgoingMail } from './email.ts';
import type { InviteMeeting } from './ical.ts';
import type { InviteRow } from './outbox.ts';
import { mintMessageLinkTokens, SERIES_LINK_GRACE_MS, seriesConsoleUrl, siteLinks } from './site-tokens.ts';

/** Messages rendered between two turns of the event loop (about 5 ms). */
const RENDER_SLICE = 20;

/** A claimed row after the batch was prepared: what to do with it. */
export type Prepared =
  | { row: InviteRow; step: 'send'; message: OutgoingMail }
  | { row: InviteRow; step: 'superseded'; reason: string }
  | { row: InviteRow; step: 'error'; error: unknown };

interface MeetingFacts {
  row: typeof meetings.$inferSelect;
  hostSiteName: string;
  /** The meeting's document, loaded once per batch. */
  attachment: { fileName: string; content: Uint8Array } | null;
}

/** A series an occurrence of the batch belongs to, with all its occurrences as they are now. */
interface SeriesFacts {
  row: typeof meetingSeries.$inferSelect;
  occurrences: (typeof meetings.$inferSelect)[];
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
  series: Map<string, SeriesFacts>;
  /** "seriesId siteId" of sites that were sent the whole series: their occurrence changes are exceptions (RECURRENCE-ID). */
  seriesMembers: Set<string>;
}
type Sibling = Pick<InviteRow, 'sequence' | 'method' | 'kind' | 'status' | 'wholeSeries'>;

type Links = { join: string; readiness: string };

const pairKey = (meetingId: string, siteId: string) => `${meetingId} ${siteId}`;

/**
 * Prepares every row of a batch; a failure (database, bad data) marks the rows it concerns as
 * errors instead of throwing, so each row still gets an outcome. `reminderHoursBefore` is what a
 * reminder says ("in N hours").
 */
export async function prepareBatch(ctx: AppContext, rows: InviteRow[], reminderHoursBefore: number): Promise<Prepared[]> {
  let context: BatchContext;
  try {
    context = await loadBatchContext(ctx, rows);
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
    const reason = supersededBecause(row, context, meeting, () => ctx.now());
    if (reason) out.push({ row, step: 'superseded', reason });
    else toRender.push({ row, meeting });
  }
  // A withdrawal or cancellation carries no working link: the site's links are revoked.
  const needLinks = toRender.filter(({ row }) => row.method === 'REQUEST');
  let minted: Links[];
  const seriesOf = (row: InviteRow, meeting: MeetingFacts) => (row.wholeSeries && meeting.row.seriesId ? context.series.get(meeting.row.seriesId) : undefined);
  try {
    minted = await mintMessageLinkTokens(
      ctx.db,
      needLinks.map(({ row, meeting }) => {
        // A series' message carries series links: one per site for every occurrence (site-tokens.ts).
        const series = seriesOf(row, meeting);
        if (!series) return { meetingId: row.meetingId, siteId: row.siteId, expiresAt: meeting.row.endsAt };
        const lastEnd = Math.max(...series.occurrences.map((o) => o.endsAt.getTime()));
        return { meetingId: null, seriesId: series.row.id, siteId: row.siteId, expiresAt: new Date(lastEnd + SERIES_LINK_GRACE_MS) };
      }),
    );
  } catch (error) {
    return [...out, ...toRender.map(({ row }) => ({ row, step: 'error' as const, error }))];
  }
  const publicUrl = ctx.config.PUBLIC_URL;
  // The host hall's "join" link is its console (site-tokens.ts): no link carries host powers.
  const linksOf = new Map(
    needLinks.map(({ row, meeting }, i) => {
      const series = seriesOf(row, meeting);
      const isHost = meeting.row.hostSiteId === row.siteId;
      const links = siteLinks(publicUrl, minted[i]!, isHost ? { meetingId: row.meetingId } : undefined);
      return [row.id, series && isHost ? { ...links, join: seriesConsoleUrl(publicUrl, series.row.id) } : links];
    }),
  );
  const noLinks = { join: `${publicUrl}/`, readiness: `${publicUrl}/` };
  for (const [i, { row, meeting }] of toRender.entries()) {
    // A batch is rendered while the one before it is sent: a turn of the event loop now and then
    // lets acceptances be heard and the next messages handed to the transport meanwhile.
    if (i > 0 && i % RENDER_SLICE === 0) await setImmediatePromise();
    try {
      out.push({ row, step: 'send', message: renderMessage(ctx, row, context, meeting, linksOf.get(row.id) ?? noLinks, reminderHoursBefore) });
    } catch (error) {
      out.push({ row, step: 'error', error });
    }
  }
  return out;
}

/**
 * A copy of the document in shared memory, once per batch: every message of the batch refers to
 * it, and it crosses to the SMTP thread (threaded-smtp-transport.ts) without a copy per message.
 */
function inSharedMemory(bytes: Uint8Array): Uint8Array {
  const shared = new Uint8Array(new SharedArrayBuffer(bytes.byteLength));
  shared.set(bytes);
  return shared;
}

async function loadBatchContext(ctx: AppContext, rows: InviteRow[]): Promise<BatchContext> {
  const { db } = ctx;
  const meetingIds = [...new Set(rows.map((r) => r.meetingId))];
  const siteIds = [...new Set(rows.map((r) => r.siteId))];
  const meetingRows = await db
    .select({ meeting: meetings, hostSiteName: sites.name })
    .from(meetings)
    .innerJoin(sites, eq(sites.id, meetings.hostSiteId))
    .where(inArray(meetings.id, meetingIds));
  // Only invitations and updates carry the document.
  const needsAttachment = [...new Set(rows.filter((r) => r.method === 'REQUEST' && r.kind !== 'reminder').map((r) => r.meetingId))];
  const attachmentRows = needsAttachment.length
    ? await db
        .select({ meetingId: meetingAttachments.meetingId, fileName: meetingAttachments.fileName, content: meetingAttachments.content })
        .from(meetingAttachments)
        .where(inArray(meetingAttachments.meetingId, needsAttachment))
    : [];
  const attachments = new Map(attachmentRows.map((a) => [a.meetingId, { fileName: a.fileName, content: inSharedMemory(a.content) }]));
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
    .select({
      meetingId: invites.meetingId,
      siteId: invites.siteId,
      sequence: invites.sequence,
      method: invites.method,
      kind: invites.kind,
      status: invites.status,
      wholeSeries: invites.wholeSeries,
    })
    .from(invites)
    .where(and(inArray(invites.meetingId, meetingIds), inArray(invites.siteId, siteIds), ne(invites.kind, 'reminder')));
  const seriesIds = [...new Set(meetingRows.map((r) => r.meeting.seriesId).filter((id): id is string => id !== null))];
  const series = new Map<string, SeriesFacts>();
  const seriesMembers = new Set<string>();
  if (seriesIds.length) {
    const seriesRows = await db.select().from(meetingSeries).where(inArray(meetingSeries.id, seriesIds));
    const occurrenceRows = await db.select().from(meetings).where(inArray(meetings.seriesId, seriesIds)).orderBy(asc(meetings.startsAt));
    for (const row of seriesRows) series.set(row.id, { row, occurrences: occurrenceRows.filter((o) => o.seriesId === row.id) });
    const members = await db
      .selectDistinct({ seriesId: meetings.seriesId, siteId: invites.siteId })
      .from(invites)
      .innerJoin(meetings, eq(meetings.id, invites.meetingId))
      .where(and(eq(invites.wholeSeries, true), inArray(meetings.seriesId, seriesIds), inArray(invites.siteId, siteIds)));
    for (const m of members) seriesMembers.add(`${m.seriesId} ${m.siteId}`);
  }
  const siblings = new Map<string, Sibling[]>();
  for (const s of siblingRows) {
    const key = pairKey(s.meetingId, s.siteId);
    const list = siblings.get(key) ?? [];
    list.push(s);
    siblings.set(key, list);
  }
  return {
    meetings: new Map(
      meetingRows.map((r) => [r.meeting.id, { row: r.meeting, hostSiteName: r.hostSiteName, attachment: attachments.get(r.meeting.id) ?? null }]),
    ),
    siteNames: new Map(siteRows.map((r) => [r.id, r.name])),
    participants: new Set(participantRows.map((r) => pairKey(r.meetingId, r.siteId))),
    answered: new Set(answeredRows.map((r) => pairKey(r.meetingId, r.siteId))),
    siblings,
    series,
    seriesMembers,
  };
}

/** Why this row should not be sent at all, or null to send it. */
function supersededBecause(row: InviteRow, context: BatchContext, meeting: MeetingFacts, now: () => Date): string | null {
  const key = pairKey(row.meetingId, row.siteId);
  if (row.kind === 'reminder') {
    if (meeting.row.status !== 'scheduled') return 'meeting cancelled';
    if (!context.participants.has(key)) return 'site no longer in the meeting';
    if (context.answered.has(key)) return 'site already answered';
    if (meeting.row.startsAt.getTime() <= now().getTime()) return 'meeting already started';
    return null;
  }
  if (row.method === 'CANCEL') return null;
  // A REQUEST overtaken by a later message to the same site (an update, a withdrawal, the
  // cancellation): the calendar only needs the newest, and its content is what we have now.
  // Whole-series messages and the first occurrence's own share a meeting but not a sequence.
  const newer = (context.siblings.get(key) ?? []).find((s) => s.wholeSeries === row.wholeSeries && s.sequence > row.sequence);
  if (newer) return `superseded by sequence ${newer.sequence} (${newer.kind})`;
  if (row.wholeSeries) {
    // The series lives while any occurrence does, whatever became of its first one.
    const series = meeting.row.seriesId ? context.series.get(meeting.row.seriesId) : undefined;
    const live = series?.occurrences.filter((o) => o.status === 'scheduled' && o.endsAt.getTime() > now().getTime()) ?? [];
    return live.length ? null : 'every occurrence is over or cancelled';
  }
  if (meeting.row.status !== 'scheduled') return 'meeting cancelled';
  // Queued while mail was down and the meeting has passed: an invitation now only confuses.
  if (meeting.row.endsAt.getTime() <= now().getTime()) return 'meeting already over';
  return null;
}

function renderMessage(ctx: AppContext, row: InviteRow, context: BatchContext, meeting: MeetingFacts, links: Links, reminderHoursBefore: number): OutgoingMail {
  const siteName = context.siteNames.get(row.siteId) ?? 'Điểm cầu';
  const [attendee, ...otherContacts] = row.recipients;
  if (!attendee) throw Object.assign(new Error('no recipients'), { code: 'EENVELOPE' });
  const organizer = parseMailbox(ctx.config.MAIL_FROM);
  // Calendars must see this row's SEQUENCE; the content is the meeting as it is now, which is
  // what that SEQUENCE announced (any later content change queued a newer row, superseding this).
  const inviteMeeting: InviteMeeting = seriesMeeting(row, context, meeting) ?? {
    uid: meeting.row.uid,
    sequence: row.sequence,
    title: meeting.row.title,
    agenda: meeting.row.agenda,
    startsAt: meeting.row.startsAt,
    endsAt: meeting.row.endsAt,
    status: meeting.row.status,
    hostSiteName: meeting.hostSiteName,
    updatedAt: meeting.row.updatedAt,
    cancelReason: meeting.row.cancelReason,
    referenceNumber: meeting.row.referenceNumber,
  };
  let message: OutgoingMail;
  if (row.kind === 'reminder') {
    message = composeReminderEmail({
      meeting: inviteMeeting,
      organizer,
      attendee: { siteName, email: attendee },
      links,
      otherContacts,
      hoursBefore: Math.max(1, reminderHoursBefore),
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
      attachment: meeting.attachment,
      ...(row.wholeSeries ? { overrides: movedOccurrences(context, meeting) } : {}),
    }).message;
  }
  // A deliberate resend gets its own Message-ID; automatic retries keep the original one.
  if (row.resend > 0 && typeof message.messageId === 'string') {
    message.messageId = message.messageId.replace(/^<([^@>]+)@/, `<$1.resend${row.resend}@`);
  }
  return message;
}

/**
 * How a row about a series is written for calendars, or null for a plain meeting:
 * - a whole-series row: the master VEVENT, DTSTART the rule's first date, RRULE (UNTIL once
 *   split), EXDATE for the dates dropped before sending and the occurrences cancelled since;
 * - a row about one occurrence, to a site that was sent the series: that occurrence alone, with
 *   the series' UID and RECURRENCE-ID its original start (a move, or a CANCEL of that date).
 * A site added to one occurrence only never had the series: it gets that meeting on its own UID.
 */
function seriesMeeting(row: InviteRow, context: BatchContext, meeting: MeetingFacts): InviteMeeting | null {
  const seriesId = meeting.row.seriesId;
  const series = seriesId ? context.series.get(seriesId) : undefined;
  if (!series) return null;
  const s = series.row;
  if (row.wholeSeries) {
    const rule = recurrenceRule.parse(s.rule);
    const cancelled = series.occurrences.filter((o) => o.status === 'cancelled').map((o) => o.occurrenceStart!);
    const excluded = [...s.excludedStarts.map((iso) => new Date(iso)), ...cancelled].sort((a, b) => a.getTime() - b.getTime());
    return {
      uid: s.uid,
      sequence: row.sequence,
      title: s.title,
      agenda: s.agenda,
      startsAt: s.firstStartsAt,
      endsAt: new Date(s.firstStartsAt.getTime() + s.durationMinutes * 60_000),
      status: 'scheduled',
      hostSiteName: meeting.hostSiteName,
      updatedAt: s.updatedAt,
      referenceNumber: s.referenceNumber,
      repeating: icalRepeating(rule, s.firstStartsAt, s.untilAt),
      excludedStarts: excluded,
      recurrenceText: describeRule(rule, s.firstStartsAt),
    };
  }
  if (!context.seriesMembers.has(`${seriesId} ${row.siteId}`)) return null;
  return { ...occurrenceFields(meeting.row, meeting.hostSiteName), uid: s.uid, sequence: row.sequence, cancelReason: meeting.row.cancelReason };
}

function occurrenceFields(o: typeof meetings.$inferSelect, hostSiteName: string): InviteMeeting {
  return {
    uid: '',
    sequence: o.sequence,
    title: o.title,
    agenda: o.agenda,
    startsAt: o.startsAt,
    endsAt: o.endsAt,
    status: o.status,
    hostSiteName,
    updatedAt: o.updatedAt,
    referenceNumber: o.referenceNumber,
    recurrenceId: o.occurrenceStart,
  };
}

/** The series' scheduled occurrences that differ from the rule (time, title, agenda): overrides in the series' message. */
function movedOccurrences(context: BatchContext, meeting: MeetingFacts): InviteMeeting[] {
  const series = meeting.row.seriesId ? context.series.get(meeting.row.seriesId) : undefined;
  if (!series) return [];
  const s = series.row;
  const duration = s.durationMinutes * 60_000;
  return series.occurrences
    .filter(
      (o) =>
        o.status === 'scheduled' &&
        (o.startsAt.getTime() !== o.occurrenceStart!.getTime() ||
          o.endsAt.getTime() - o.startsAt.getTime() !== duration ||
          o.title !== s.title ||
          o.agenda !== s.agenda),
    )
    .map((o) => ({ ...occurrenceFields(o, meeting.hostSiteName), uid: s.uid }));
}
