/**
 * Attendance storage: writing the SFU's events and reading back what the ledger needs.
 *
 * Writes are idempotent on the producer's eventId (`on conflict do nothing`), so the SFU may
 * retry a batch it is unsure about. One call is one transaction: a batch with an event the
 * database refuses (unknown meeting or site) writes nothing, and the caller gets a domain error
 * instead of half a batch.
 *
 * A batch that stores new events for a meeting also deletes that meeting's stored ledger
 * (stored-ledger.ts) in the same transaction, and after commit tells the listeners registered
 * with `onAttendanceStored` (the live ledgers of running meetings), whichever code path wrote.
 *
 * Reads rebuild AttendanceEvents from the stored columns plus the jsonb payload. They are not
 * re-validated with zod: every row went through the schema on the way in, and re-parsing the
 * ~67k events of a national meeting would cost more than the whole ledger.
 */
import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import type { Executor } from '../../db/client.ts';
import { AttendanceEvent, type LeaveCause } from '../../db/attendance-event.ts';
import { constraintViolationOf } from '../../db/errors.ts';
import { adminUnits, attendanceEvents, meetingParticipants, meetings, rsvps, sites } from '../../db/schema.ts';
import { ATTENDANCE_CHANNEL, storedNotices } from './notices.ts';
import { forgetStoredLedgers } from './stored-ledger.ts';
import { NotFoundError, ValidationError } from '../errors.ts';
import type { InvitedSite, LedgerMeeting } from './ledger.ts';

/** Rows per INSERT: 7 parameters each keeps a statement far below PostgreSQL's 65,535. */
const INSERT_BATCH = 1000;

export interface RecordResult {
  /** Events handed in (after validation). */
  received: number;
  /** Events that were new; the rest were already stored (replays). */
  inserted: number;
}

export class UnknownMeetingOrSiteError extends ValidationError {
  constructor(which: 'meeting' | 'site' | 'meeting or site') {
    super(`Attendance event refers to a ${which} that does not exist; nothing was recorded`, { refers: which });
  }
}

export async function recordAttendanceEvents(db: Executor, events: readonly AttendanceEvent[]): Promise<RecordResult> {
  const rows = events.map((candidate, index) => {
    const parsed = AttendanceEvent.safeParse(candidate);
    if (!parsed.success) {
      const error = ValidationError.fromZod(parsed.error);
      throw new ValidationError(`Attendance event #${index + 1}: ${error.message}`, error.details);
    }
    return toRow(parsed.data);
  });
  if (rows.length === 0) return { received: 0, inserted: 0 };
  let stored: Set<string>;
  try {
    stored = await db.transaction(async (tx) => {
      const ids = new Set<string>();
      const touched = new Set<string>();
      for (let i = 0; i < rows.length; i += INSERT_BATCH) {
        const written = await tx
          .insert(attendanceEvents)
          .values(rows.slice(i, i + INSERT_BATCH))
          .onConflictDoNothing({ target: attendanceEvents.eventId })
          .returning({ eventId: attendanceEvents.eventId, meetingId: attendanceEvents.meetingId });
        for (const row of written) {
          ids.add(row.eventId);
          touched.add(row.meetingId);
        }
      }
      // A late event makes the stored ledger of its meeting wrong; it goes with this commit.
      await forgetStoredLedgers(tx, [...touched]);
      // Other processes' live boards hear of them at commit (cross-process.ts).
      for (const payload of storedNotices([...ids])) await tx.execute(sql`select pg_notify(${ATTENDANCE_CHANNEL}, ${payload})`);
      return ids;
    });
  } catch (error) {
    const violation = constraintViolationOf(error);
    if (violation?.kind === 'foreign-key') {
      const which =
        violation.constraint === 'attendance_events_meeting_id_meetings_id_fk'
          ? 'meeting'
          : violation.constraint === 'attendance_events_site_id_sites_id_fk'
            ? 'site'
            : 'meeting or site';
      throw new UnknownMeetingOrSiteError(which);
    }
    throw error;
  }
  if (stored.size > 0)
    notifyStored(
      db,
      events.filter((e) => stored.has(e.eventId)),
    );
  return { received: rows.length, inserted: stored.size };
}

export type AttendanceStoredListener = (events: readonly AttendanceEvent[]) => void;

// Keyed by the database object, so every writer of one database reaches the listeners of that
// database (tests open several databases in one process).
const storedListeners = new WeakMap<object, Set<AttendanceStoredListener>>();

/** Calls `listener` with the new events of each batch stored through `db`, after commit. Returns the unsubscribe. */
export function onAttendanceStored(db: Executor, listener: AttendanceStoredListener): () => void {
  let listeners = storedListeners.get(db);
  if (!listeners) {
    listeners = new Set();
    storedListeners.set(db, listeners);
  }
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Tells this process's listeners of events another process stored (cross-process.ts). */
export function notifyStored(db: Executor, events: readonly AttendanceEvent[]): void {
  for (const listener of storedListeners.get(db) ?? []) listener(events);
}

function toRow(event: AttendanceEvent): typeof attendanceEvents.$inferInsert {
  const { eventId, meetingId, siteId, kind, at } = event;
  const connectionId = 'connectionId' in event ? event.connectionId : null;
  let payload: Record<string, unknown>;
  switch (event.kind) {
    case 'join':
      payload = event.nodeId ? { nodeId: event.nodeId } : {};
      break;
    case 'floor-given':
    case 'floor-taken':
      payload = {};
      break;
    case 'leave':
      payload = { cause: event.cause };
      break;
    case 'quality':
      payload = { bitrateKbps: event.bitrateKbps, lossPercent: event.lossPercent, rttMs: event.rttMs, jitterMs: event.jitterMs };
      break;
    default:
      return assertNever(event);
  }
  return { eventId, meetingId, siteId, kind, at, connectionId, payload };
}

function assertNever(value: never): never {
  throw new Error(`Unhandled attendance event ${JSON.stringify(value)}`);
}

/** Events by id, whatever their meeting (a notice from another process names them). */
export async function loadEventsById(db: Executor, eventIds: readonly string[]): Promise<AttendanceEvent[]> {
  if (eventIds.length === 0) return [];
  const rows = await db
    .select()
    .from(attendanceEvents)
    .where(inArray(attendanceEvents.eventId, [...eventIds]));
  return rows.map((r) => fromPacked(r.meetingId, [r.eventId, r.siteId, r.kind, r.at.getTime(), r.connectionId, r.payload]));
}

/** One event as the database packs it: [eventId, siteId, kind, at (epoch ms), connectionId, payload]. */
type PackedEvent = [string, string, AttendanceEvent['kind'], number, string | null, Record<string, unknown>];

/**
 * A meeting's events in canonical order (at, then leave < join < quality < floor-taken <
 * floor-given, then eventId; see event-order.ts). The ledger sorts again, but sorting sorted
 * input is linear. The rows travel as one JSON array in one text value: a national meeting has
 * ~67k events, and decoding 67k rows one by one costs more than the query (PGlite most of all).
 */
export async function loadEvents(db: Executor, meetingId: string, siteIds?: readonly string[]): Promise<AttendanceEvent[]> {
  if (siteIds !== undefined && siteIds.length === 0) return [];
  const siteFilter = siteIds === undefined ? sql`` : sql` and ${inArray(attendanceEvents.siteId, [...siteIds])}`;
  const packed = sql<string>`select coalesce(json_agg(json_build_array(event_id, site_id, kind, floor(extract(epoch from at) * 1000), connection_id, payload)
      order by at, case kind when 'leave' then 0 when 'join' then 1 when 'quality' then 2 when 'floor-taken' then 3 else 4 end, event_id collate "C"), '[]')::text as events
    from ${attendanceEvents} where meeting_id = ${meetingId}${siteFilter}`;
  const result = await db.execute<{ events: string }>(packed);
  // postgres.js answers with the rows, PGlite with { rows }.
  const rows = (Array.isArray(result) ? result : (result as unknown as { rows: { events: string }[] }).rows) as { events: string }[];
  const packedEvents = JSON.parse(rows[0]?.events ?? '[]') as PackedEvent[];
  const events = new Array<AttendanceEvent>(packedEvents.length);
  for (let i = 0; i < packedEvents.length; i++) events[i] = fromPacked(meetingId, packedEvents[i]!);
  return events;
}

// Index access and literal objects: this runs ~67k times per national report, and array
// destructuring plus object spread made it the slowest step of the load.
function fromPacked(meetingId: string, row: PackedEvent): AttendanceEvent {
  const eventId = row[0];
  const siteId = row[1];
  const kind = row[2];
  const at = new Date(row[3]);
  const connectionId = row[4] ?? '';
  const p = row[5];
  switch (kind) {
    case 'join':
      return p.nodeId
        ? { eventId, meetingId, siteId, at, kind, connectionId, nodeId: p.nodeId as string }
        : { eventId, meetingId, siteId, at, kind, connectionId };
    case 'leave':
      return { eventId, meetingId, siteId, at, kind, connectionId, cause: p.cause as LeaveCause };
    case 'quality':
      return {
        eventId,
        meetingId,
        siteId,
        at,
        kind,
        connectionId,
        bitrateKbps: p.bitrateKbps as number,
        lossPercent: p.lossPercent as number,
        rttMs: p.rttMs as number,
        jitterMs: p.jitterMs as number,
      };
    case 'floor-given':
    case 'floor-taken':
      return { eventId, meetingId, siteId, at, kind };
    default:
      return assertNever(kind);
  }
}

export interface AttendanceMeeting extends LedgerMeeting {
  title: string;
  agenda: string | null;
  status: 'scheduled' | 'cancelled';
  hostSiteId: string;
  startedAt: Date | null;
  cancelledAt: Date | null;
}

/** An invited site with what the report and the live board show beside the ledger's figures. */
export interface InvitedSiteDetails extends InvitedSite {
  unitCode: string;
  /** The province the site's unit belongs to (its own code for a province hall). */
  provinceCode: string | null;
  kind: 'hall' | 'commune' | 'department';
  contactPhone: string | null;
  contactEmails: string[];
}

export interface MeetingAttendanceInput {
  meeting: AttendanceMeeting;
  invitedSites: InvitedSiteDetails[];
  events: AttendanceEvent[];
}

export interface LoadOptions {
  /** Only these sites (their rows and events); the dashboard reads one province at a time. */
  siteIds?: readonly string[];
}

/** The meeting and its invited sites, without the events; null when there is no such meeting. */
export async function loadMeetingAttendanceSites(
  db: Executor,
  meetingId: string,
  options: LoadOptions = {},
): Promise<Omit<MeetingAttendanceInput, 'events'> | null> {
  const [meeting] = await db.select().from(meetings).where(eq(meetings.id, meetingId)).limit(1);
  if (!meeting) return null;
  return { meeting: attendanceMeeting(meeting), invitedSites: await loadInvitedSites(db, meetingId, options) };
}

/** The ledger's input for one meeting; null when there is no such meeting. */
export async function loadMeetingAttendanceInput(db: Executor, meetingId: string, options: LoadOptions = {}): Promise<MeetingAttendanceInput | null> {
  const [meeting] = await db.select().from(meetings).where(eq(meetings.id, meetingId)).limit(1);
  if (!meeting) return null;
  const [invitedSites, events] = await Promise.all([loadInvitedSites(db, meetingId, options), loadEvents(db, meetingId, options.siteIds)]);
  return { meeting: attendanceMeeting(meeting), invitedSites, events };
}

async function loadInvitedSites(db: Executor, meetingId: string, options: LoadOptions): Promise<InvitedSiteDetails[]> {
  if (options.siteIds !== undefined && options.siteIds.length === 0) return [];
  const siteFilter = options.siteIds === undefined ? undefined : inArray(sites.id, [...options.siteIds]);
  const invited = await db
    .select({
      siteId: sites.id,
      siteName: sites.name,
      unitName: adminUnits.name,
      unitCode: sites.unitCode,
      unitLevel: adminUnits.level,
      parentCode: adminUnits.parentCode,
      kind: sites.kind,
      contactPhone: sites.contactPhone,
      contactEmails: sites.contactEmails,
      role: meetingParticipants.role,
      rsvpAnswer: rsvps.answer,
      rsvpReason: rsvps.reason,
      rsvpDelegate: rsvps.delegateName,
      rsvpAnsweredAt: rsvps.answeredAt,
    })
    .from(meetingParticipants)
    .innerJoin(sites, eq(sites.id, meetingParticipants.siteId))
    .innerJoin(adminUnits, eq(adminUnits.code, sites.unitCode))
    .leftJoin(rsvps, and(eq(rsvps.meetingId, meetingParticipants.meetingId), eq(rsvps.siteId, meetingParticipants.siteId)))
    .where(and(eq(meetingParticipants.meetingId, meetingId), siteFilter))
    .orderBy(asc(meetingParticipants.role), asc(sites.unitCode), asc(sites.name));
  return invited.map((r) => ({
    siteId: r.siteId,
    siteName: r.siteName,
    unitName: r.unitName,
    unitCode: r.unitCode,
    provinceCode: r.unitLevel === 'province' ? r.unitCode : r.unitLevel === 'commune' ? r.parentCode : null,
    kind: r.kind,
    contactPhone: r.contactPhone,
    contactEmails: r.contactEmails,
    role: r.role,
    rsvp:
      r.rsvpAnswer === null || r.rsvpAnsweredAt === null
        ? null
        : { answer: r.rsvpAnswer, reason: r.rsvpReason, delegate: r.rsvpDelegate, answeredAt: r.rsvpAnsweredAt },
  }));
}

/** Like loadMeetingAttendanceInput, for callers where a missing meeting is the client's mistake. */
export async function requireMeetingAttendanceInput(db: Executor, meetingId: string, options: LoadOptions = {}): Promise<MeetingAttendanceInput> {
  const input = await loadMeetingAttendanceInput(db, meetingId, options);
  if (!input) throw new NotFoundError('Meeting', meetingId);
  return input;
}

function attendanceMeeting(m: typeof meetings.$inferSelect): AttendanceMeeting {
  return {
    id: m.id,
    title: m.title,
    agenda: m.agenda,
    status: m.status,
    hostSiteId: m.hostSiteId,
    startsAt: m.startsAt,
    endsAt: m.endsAt,
    startedAt: m.startedAt,
    actualEndedAt: m.endedAt,
    cancelledAt: m.cancelledAt,
  };
}
