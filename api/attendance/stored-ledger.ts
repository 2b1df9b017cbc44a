/**
 * The ledger of an ended meeting, computed once and kept (table attendance_ledgers).
 *
 * An ended meeting's ledger no longer depends on the clock, only on its events and on inputs
 * that can still change: the window (the host's actual end), the thresholds, the invited sites,
 * their names and readiness answers, and the ledger's own rules. Those inputs are hashed
 * (`ledgerInputsHash`, over a digest the database computes of the sites); a stored ledger is
 * used only under the same hash. Beside the ledger (for the page, the CSV and the dashboard)
 * the report's JSON parts are kept as sent, so the API's answer is spliced, not re-serialized. Events invalidate
 * differently, because hashing ~67k events would cost what computing does: the transaction
 * that stores a late event deletes the row (`forgetStoredLedgers`, called by store.ts).
 *
 * The race between a report computing a ledger and a late event arriving meanwhile is closed
 * by a per-meeting advisory lock taken by both: the late event's transaction deletes the row
 * under it, and a ledger is stored under it only if the meeting still has exactly as many
 * events as were read (events are never deleted but by the retention purge, which forgets the
 * ledgers too).
 */
import { createHash } from 'node:crypto';
import { eq, inArray, sql, type SQL } from 'drizzle-orm';
import { rowsOf, type Executor } from '../../db/client.ts';
import { attendanceEvents, attendanceLedgers, meetings, sites } from '../../db/schema.ts';
import type { AttendanceLedger, ConnectedInterval, LedgerMeeting, SiteAttendance } from './ledger.ts';

/** Raise when the ledger's rules or shape change: every stored ledger is then recomputed. */
const LEDGER_RULES_VERSION = 1;

const lockFor = (meetingId: string) => sql`select pg_advisory_xact_lock(hashtext(${`hoinghi.ledger:${meetingId}`}))`;

/**
 * A digest, computed by the database, of everything about the invited sites that the report
 * shows or the ledger uses: ids, roles, names, units, kinds and readiness answers. Read first,
 * before what it describes: a change landing in between makes the stored ledger look stale
 * (recomputed once more), never a stale ledger look current.
 */
function inputsDigest(meetingId: SQL | string) {
  // The unit's name, level and parent are not read: a site's unit code is, and the units
  // themselves change only when the seed runs (db/seed.ts), with LEDGER_RULES_VERSION then.
  return sql<string>`(select md5(coalesce(string_agg(concat_ws(chr(31), mp.site_id::text, mp.role::text, s.name, s.unit_code, s.kind::text,
      coalesce(r.answer::text, ''), coalesce(r.reason, ''), coalesce(r.delegate_name, ''),
      coalesce((extract(epoch from r.answered_at) * 1000)::bigint::text, '')), chr(30) order by mp.site_id), ''))
    from meeting_participants mp join sites s on s.id = mp.site_id
    left join rsvps r on r.meeting_id = mp.meeting_id and r.site_id = mp.site_id
    where mp.meeting_id = ${meetingId})`;
}

export async function readInputsDigest(db: Executor, meetingId: string): Promise<string> {
  const rows = rowsOf<{ digest: string }>(await db.execute(sql`select ${inputsDigest(meetingId)} as digest`));
  return rows[0]?.digest ?? '';
}

/** The ledger's inputs besides the events: the meeting's window, the thresholds, the rules' version and the sites' digest. */
export function ledgerInputsHash(meeting: LedgerMeeting, thresholds: Record<string, number | boolean | undefined>, sitesDigest: string): string {
  return createHash('sha256')
    .update(
      JSON.stringify([
        LEDGER_RULES_VERSION,
        meeting.id,
        meeting.startsAt.getTime(),
        meeting.endsAt.getTime(),
        meeting.actualEndedAt?.getTime() ?? null,
        thresholds,
        sitesDigest,
      ]),
    )
    .digest('base64url');
}

/** The meeting as the report shows it (store.ts's AttendanceMeeting, which imports this module, plus the host's name). */
export interface ProbedMeeting extends LedgerMeeting {
  title: string;
  agenda: string | null;
  status: 'scheduled' | 'cancelled';
  hostSiteId: string;
  startedAt: Date | null;
  cancelledAt: Date | null;
  hostSiteName: string | null;
}

export interface StoredReportProbe {
  meeting: ProbedMeeting;
  sitesDigest: string;
  stored: { inputsHash: string; reportHead: string; reportSites: string } | null;
}

/**
 * One round trip for the report of an ended meeting: the meeting, its host's name, the digest
 * of its sites and the stored report parts. Null when there is no such meeting.
 */
export async function probeStoredReport(db: Executor, meetingId: string): Promise<StoredReportProbe | null> {
  const [row] = await db
    .select({
      meeting: meetings,
      hostSiteName: sites.name,
      sitesDigest: inputsDigest(sql`${meetings.id}`),
      inputsHash: attendanceLedgers.inputsHash,
      reportHead: attendanceLedgers.reportHead,
      reportSites: attendanceLedgers.reportSites,
    })
    .from(meetings)
    .innerJoin(sites, eq(sites.id, meetings.hostSiteId))
    .leftJoin(attendanceLedgers, eq(attendanceLedgers.meetingId, meetings.id))
    .where(eq(meetings.id, meetingId))
    .limit(1);
  if (!row) return null;
  const m = row.meeting;
  return {
    meeting: {
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
      hostSiteName: row.hostSiteName,
    },
    sitesDigest: row.sitesDigest,
    stored:
      row.inputsHash === null || row.reportHead === null || row.reportSites === null
        ? null
        : { inputsHash: row.inputsHash, reportHead: row.reportHead, reportSites: row.reportSites },
  };
}

/** The stored ledger under this hash, or null. */
export async function readStoredLedger(db: Executor, meetingId: string, inputsHash: string): Promise<AttendanceLedger | null> {
  const [row] = await db
    .select({ inputsHash: attendanceLedgers.inputsHash, ledger: attendanceLedgers.ledger })
    .from(attendanceLedgers)
    .where(eq(attendanceLedgers.meetingId, meetingId))
    .limit(1);
  if (!row || row.inputsHash !== inputsHash) return null;
  return decodeLedger(row.ledger);
}

/**
 * Keeps `ledger` unless an event arrived since it was computed from `eventCount` events.
 * Returns whether it was stored.
 */
export async function storeLedger(
  db: Executor,
  meetingId: string,
  inputsHash: string,
  eventCount: number,
  ledger: AttendanceLedger,
  report: { head: string; sites: string },
): Promise<boolean> {
  if (ledger.phase !== 'ended') throw new Error('only the ledger of an ended meeting can be stored');
  const encoded = encodeLedger(ledger);
  return db.transaction(async (tx) => {
    await tx.execute(lockFor(meetingId));
    const [current] = await tx.select({ n: sql<number>`count(*)::int` }).from(attendanceEvents).where(eq(attendanceEvents.meetingId, meetingId));
    if (Number(current?.n ?? 0) !== eventCount) return false;
    await tx
      .insert(attendanceLedgers)
      .values({ meetingId, inputsHash, eventCount, ledger: encoded, reportHead: report.head, reportSites: report.sites })
      .onConflictDoUpdate({
        target: attendanceLedgers.meetingId,
        set: { inputsHash, eventCount, ledger: encoded, reportHead: report.head, reportSites: report.sites, computedAt: sql`now()` },
      });
    return true;
  });
}

/** Inside the transaction that stores new events (or deletes old ones) for these meetings. */
export async function forgetStoredLedgers(tx: Executor, meetingIds: readonly string[]): Promise<void> {
  if (meetingIds.length === 0) return;
  // Sorted, so two transactions never wait on each other's locks in opposite orders.
  for (const id of [...meetingIds].sort()) await tx.execute(lockFor(id));
  await tx.delete(attendanceLedgers).where(inArray(attendanceLedgers.meetingId, [...meetingIds]));
}

// Dates travel as epoch milliseconds: decoding a national ledger parses ~10k of them.
type Encoded<T> = T extends Date ? number : T extends (infer U)[] ? Encoded<U>[] : T extends object ? { [K in keyof T]: Encoded<T[K]> } : T;

function encodeLedger(ledger: AttendanceLedger): string {
  const ms = (d: Date | null) => (d === null ? null : d.getTime());
  const encoded: Encoded<AttendanceLedger> = {
    ...ledger,
    window: { ...ledger.window, from: ledger.window.from.getTime(), to: ledger.window.to.getTime() },
    sites: ledger.sites.map((s) => ({
      ...s,
      firstJoinAt: ms(s.firstJoinAt),
      lastLeaveAt: ms(s.lastLeaveAt),
      intervals: s.intervals.map((i) => ({ ...i, from: i.from.getTime(), to: i.to.getTime() })),
      qualityTimeline: s.qualityTimeline.map((b) => ({ ...b, from: b.from.getTime() })),
    })),
  };
  return JSON.stringify(encoded);
}

function decodeLedger(text: string): AttendanceLedger {
  const encoded = JSON.parse(text) as Encoded<AttendanceLedger>;
  const date = (n: number | null) => (n === null ? null : new Date(n));
  const sites = new Array<SiteAttendance>(encoded.sites.length);
  for (let index = 0; index < sites.length; index++) {
    const s = encoded.sites[index]!;
    const intervals = new Array<ConnectedInterval>(s.intervals.length);
    for (let k = 0; k < intervals.length; k++) {
      const i = s.intervals[k]!;
      intervals[k] = { ...i, from: new Date(i.from), to: new Date(i.to) };
    }
    sites[index] = {
      ...s,
      firstJoinAt: date(s.firstJoinAt),
      lastLeaveAt: date(s.lastLeaveAt),
      intervals,
      qualityTimeline: s.qualityTimeline.map((b) => ({ ...b, from: new Date(b.from) })),
    };
  }
  return { ...encoded, window: { ...encoded.window, from: new Date(encoded.window.from), to: new Date(encoded.window.to) }, sites };
}
