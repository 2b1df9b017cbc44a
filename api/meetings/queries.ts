/**
 * Reading meetings: the list, one meeting with its participants, and the overlapping meetings of
 * a set of sites. Everything is returned as the database has it (instants are `Date`s); how a
 * meeting is written out for the API is json.ts's business, and pages format the Dates themselves.
 */
import { and, asc, eq, gt, inArray, lt, ne, sql, type SQL } from 'drizzle-orm';
import type { Executor } from '../../db/client.ts';
import { adminUnits, meetingParticipants, meetings, sites, meetingAttachments } from '../../db/schema.ts';
import { assertRoleMay, meetingInvolves, type Actor } from '../auth/policy.ts';
import { NotFoundError, ValidationError } from '../errors.ts';

export type MeetingRow = typeof meetings.$inferSelect;

/** A meeting as lists show it. */
export type MeetingSummary = MeetingRow & { hostSite: { id: string; name: string }; participantCount: number };

export interface MeetingParticipant {
  siteId: string;
  name: string;
  kind: 'hall' | 'commune' | 'department';
  unitCode: string;
  unitName: string;
  role: 'host' | 'participant';
}

/** One meeting with every participating site (host first). */
export type MeetingDetail = MeetingSummary & { participants: MeetingParticipant[]; attachment: MeetingAttachmentSummary | null };

/** The meeting's document as pages and the API show it (its content is read apart: attachment.ts). */
export interface MeetingAttachmentSummary {
  fileName: string;
  sizeBytes: number;
  sha256: string;
}

export interface ConflictingMeeting {
  meetingId: string;
  title: string;
  startsAt: Date;
  endsAt: Date;
  siteCount: number;
  sites: { id: string; name: string }[];
}

export interface MeetingListFilter {
  from?: Date;
  to?: Date;
  siteId?: string;
  status?: 'scheduled' | 'cancelled';
  limit: number;
  /** The previous page's nextCursor. */
  after?: string | undefined;
}

/** One page of the list, and where the next one starts (null: this was the last). */
export interface MeetingPage {
  meetings: MeetingSummary[];
  nextCursor: string | null;
}

const MAX_SITES_LISTED_PER_CONFLICT = 20;

/** Meetings overlapping [from, to), of a site, in a status; by start time. */
export async function listMeetings(db: Executor, filter: MeetingListFilter, actor: Actor): Promise<MeetingPage> {
  assertRoleMay(actor, 'meeting.read');
  // Only what the account may read (api/auth/policy.ts), a page at a time in start order.
  const conditions: SQL[] = [meetingInvolves(actor.unitCode)];
  const after = filter.after === undefined ? null : decodeCursor(filter.after);
  if (after) conditions.push(sql`(${meetings.startsAt}, ${meetings.id}) > (${after.startsAt}::timestamptz, ${after.id}::uuid)`);
  if (filter.from) conditions.push(gt(meetings.endsAt, filter.from));
  if (filter.to) conditions.push(lt(meetings.startsAt, filter.to));
  if (filter.status) conditions.push(eq(meetings.status, filter.status));
  if (filter.siteId) {
    conditions.push(
      inArray(meetings.id, db.select({ id: meetingParticipants.meetingId }).from(meetingParticipants).where(eq(meetingParticipants.siteId, filter.siteId))),
    );
  }
  // Counted per listed meeting through the primary key's index, in the same statement: a
  // grouped count of every meeting's participants cost a scan of the whole table per list.
  // Spelled out: inside the subquery drizzle would render the outer column unqualified.
  const participantCount = sql<number>`(select count(*)::int from ${meetingParticipants} as mp where mp.meeting_id = "meetings"."id")`;
  const rows = await db
    .select({ meeting: meetings, hostName: sites.name, participantCount })
    .from(meetings)
    .innerJoin(sites, eq(sites.id, meetings.hostSiteId))
    .where(and(...conditions))
    .orderBy(asc(meetings.startsAt), asc(meetings.id))
    .limit(filter.limit + 1);
  const page = rows.slice(0, filter.limit);
  const last = page.at(-1);
  return {
    meetings: page.map((r) => ({ ...r.meeting, hostSite: { id: r.meeting.hostSiteId, name: r.hostName }, participantCount: Number(r.participantCount ?? 0) })),
    nextCursor: rows.length > filter.limit && last ? encodeCursor(last.meeting) : null,
  };
}

/** A page boundary: the last meeting's start and id, opaque to clients. */
function encodeCursor(m: { startsAt: Date; id: string }): string {
  return Buffer.from(`${m.startsAt.toISOString()}|${m.id}`).toString('base64url');
}

function decodeCursor(cursor: string): { startsAt: string; id: string } {
  const [startsAt, id, ...rest] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  if (rest.length || !startsAt || !id || Number.isNaN(Date.parse(startsAt)) || !/^[0-9a-f-]{36}$/i.test(id)) {
    throw new ValidationError('Invalid page cursor: pass nextCursor from the previous page', undefined, 400);
  }
  return { startsAt: new Date(startsAt).toISOString(), id };
}

/**
 * One meeting with its participants, or null. One round trip: the participants come as one JSON
 * array in one text value, which both drivers decode far faster than thousands of rows.
 */
export async function getMeetingDetail(db: Executor, id: string): Promise<MeetingDetail | null> {
  const participantsJson = sql<string>`(select coalesce(json_agg(json_build_object('siteId', s.id, 'name', s.name, 'kind', s.kind, 'unitCode', s.unit_code, 'unitName', u.name, 'role', mp.role)
      order by mp.role, s.unit_code, s.name), '[]'::json)::text
    from ${meetingParticipants} as mp join ${sites} as s on s.id = mp.site_id join ${adminUnits} as u on u.code = s.unit_code
    where mp.meeting_id = "meetings"."id")`;
  const attachmentJson = sql<string | null>`(select json_build_object('fileName', a.file_name, 'sizeBytes', a.size_bytes, 'sha256', a.sha256)::text
    from ${meetingAttachments} as a where a.meeting_id = "meetings"."id")`;
  const [row] = await db
    .select({ meeting: meetings, participants: participantsJson, attachment: attachmentJson })
    .from(meetings)
    .where(eq(meetings.id, id))
    .limit(1);
  if (!row) return null;
  const participants = JSON.parse(row.participants) as MeetingParticipant[];
  const host = participants.find((p) => p.role === 'host');
  return {
    ...row.meeting,
    attachment: row.attachment === null ? null : (JSON.parse(row.attachment) as MeetingAttachmentSummary),
    hostSite: { id: row.meeting.hostSiteId, name: host?.name ?? '' },
    participantCount: participants.length,
    participants,
  };
}

/** One meeting with its participants; NotFoundError (404) when there is none. */
export async function getMeeting(db: Executor, id: string): Promise<MeetingDetail> {
  const detail = await getMeetingDetail(db, id);
  if (!detail) throw new NotFoundError('Meeting', id);
  return detail;
}

/** The overlapping meetings (sites listed up to a cap) and how many distinct sites clash in all. */
export async function findConflicts(
  tx: Executor,
  siteIds: string[],
  when: { startsAt: Date; endsAt: Date },
  excludeMeetingId: string | null,
): Promise<{ conflicts: ConflictingMeeting[]; siteCount: number }> {
  const byMeeting = new Map<string, ConflictingMeeting>();
  const clashingSites = new Set<string>();
  for (const chunk of chunks(siteIds, 5000)) {
    const rows = await tx
      .select({ meetingId: meetings.id, title: meetings.title, startsAt: meetings.startsAt, endsAt: meetings.endsAt, siteId: sites.id, siteName: sites.name })
      .from(meetingParticipants)
      .innerJoin(meetings, eq(meetings.id, meetingParticipants.meetingId))
      .innerJoin(sites, eq(sites.id, meetingParticipants.siteId))
      .where(
        and(
          inArray(meetingParticipants.siteId, chunk),
          eq(meetings.status, 'scheduled'),
          lt(meetings.startsAt, when.endsAt),
          gt(meetings.endsAt, when.startsAt),
          excludeMeetingId ? ne(meetings.id, excludeMeetingId) : undefined,
        ),
      )
      .orderBy(asc(meetings.startsAt), asc(sites.name));
    for (const row of rows) {
      clashingSites.add(row.siteId);
      let entry = byMeeting.get(row.meetingId);
      if (!entry) {
        entry = { meetingId: row.meetingId, title: row.title, startsAt: row.startsAt, endsAt: row.endsAt, siteCount: 0, sites: [] };
        byMeeting.set(row.meetingId, entry);
      }
      entry.siteCount++;
      if (entry.sites.length < MAX_SITES_LISTED_PER_CONFLICT) entry.sites.push({ id: row.siteId, name: row.siteName });
    }
  }
  return { conflicts: [...byMeeting.values()], siteCount: clashingSites.size };
}

export function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
