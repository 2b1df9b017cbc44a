/**
 * The leaders' dashboard: how each commune attended the meetings of a date range, with the
 * communes that keep missing meetings and those whose line is bad meeting after meeting.
 *
 * Every figure is the ledger's; nothing here re-derives a status from events or in SQL, so a
 * commune's row always agrees with the meeting reports it links to. Every counted meeting has
 * ended, so its ledger is the stored one (stored-ledger.ts): the dashboard reads one row per
 * meeting, never the events (a meeting without a stored ledger gets one computed and stored
 * the first time). The cost grows with meetings × invited sites, not with events.
 *
 * Which meetings count: those starting inside the range (Vietnam days, both ends included),
 * not cancelled, and over (ended by the host, or past their scheduled end). A running meeting
 * would count every commune that has not joined yet as absent.
 * Which sites count: communes (site kind 'commune') invited as participants; halls and the host
 * are not communes. A commune appears once it was invited to at least one counted meeting.
 *
 * Chronic absentee: absent (with or without a reason) from at least CHRONIC_MIN_ABSENCES
 *   counted meetings, or attending fewer than CHRONIC_MAX_RATE of them once invited to at
 *   least CHRONIC_MIN_INVITED. Excused absences count: a commune that declines every meeting
 *   is still not in the room; the row shows how many were excused.
 * Quality hotspot: over the meetings where the commune's line was sampled (at least
 *   HOTSPOT_MIN_MEETINGS, so one bad day is not a pattern), the median of its per-meeting median
 *   loss is at least HOTSPOT_LOSS_PERCENT, or the median of its per-meeting median RTT is at
 *   least HOTSPOT_RTT_MS. 2 % loss is where speech starts to break up even with FEC; 300 ms
 *   round trip is ITU-T G.114's 150 ms one way, beyond which people talk over each other.
 */
import { TZDate } from '@date-fns/tz';
import { addDays } from 'date-fns';
import { and, asc, eq, gte, isNotNull, lt, lte, or } from 'drizzle-orm';
import type { Executor } from '../../db/client.ts';
import { adminUnits, meetings } from '../../db/schema.ts';
import { NotFoundError, ValidationError } from '../errors.ts';
import { toVietnamIso, VIETNAM_TIME_ZONE } from '../time.ts';
import { percentile } from './quality.ts';
import { endedLedger } from './report.ts';
import { readInputsDigest } from './stored-ledger.ts';
import { loadMeetingAttendanceSites } from './store.ts';

export const CHRONIC_MIN_ABSENCES = 3;
export const CHRONIC_MAX_RATE = 0.5;
export const CHRONIC_MIN_INVITED = 3;
export const HOTSPOT_LOSS_PERCENT = 2;
export const HOTSPOT_RTT_MS = 300;
export const HOTSPOT_MIN_MEETINGS = 2;
export const MAX_RANGE_DAYS = 366;

export interface DashboardQuery {
  /** "YYYY-MM-DD", a day in Vietnam time. */
  from: string;
  /** "YYYY-MM-DD", included. */
  to: string;
  /** A province code ("44"); all provinces when absent. */
  province?: string | undefined;
}

interface CommuneAccumulator {
  siteId: string;
  siteName: string;
  unitCode: string;
  provinceCode: string | null;
  invited: number;
  attended: number;
  late: number;
  leftEarly: number;
  absentWithReason: number;
  absentWithoutReason: number;
  lossMedians: number[];
  rttMedians: number[];
  absentMeetingIds: string[];
}

export function vietnamDayStart(day: string): Date {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  return new Date(new TZDate(y, m - 1, d, 0, 0, 0, VIETNAM_TIME_ZONE).getTime());
}

export async function buildAttendanceDashboard(
  db: Executor,
  query: DashboardQuery,
  now: Date,
  thresholds?: { lateThresholdMinutes: number; earlyLeaveThresholdMinutes: number },
) {
  const rangeStart = vietnamDayStart(query.from);
  const rangeEnd = new Date(addDays(new TZDate(vietnamDayStart(query.to), VIETNAM_TIME_ZONE), 1).getTime());
  if (rangeEnd <= rangeStart) throw new ValidationError('"to" must not be before "from"', { from: query.from, to: query.to }, 400);
  if (rangeEnd.getTime() - rangeStart.getTime() > MAX_RANGE_DAYS * 86_400_000) {
    throw new ValidationError(`The range may cover at most ${MAX_RANGE_DAYS} days`, { from: query.from, to: query.to }, 400);
  }

  const provinces = await db
    .select({ code: adminUnits.code, name: adminUnits.name })
    .from(adminUnits)
    .where(eq(adminUnits.level, 'province'))
    .orderBy(asc(adminUnits.code));
  const provinceNames = new Map(provinces.map((p) => [p.code, p.name]));
  if (query.province !== undefined && !provinceNames.has(query.province)) throw new NotFoundError('Province', query.province);

  const counted = await db
    .select({ id: meetings.id, title: meetings.title, startsAt: meetings.startsAt, endsAt: meetings.endsAt })
    .from(meetings)
    .where(
      and(
        gte(meetings.startsAt, rangeStart),
        lt(meetings.startsAt, rangeEnd),
        eq(meetings.status, 'scheduled'),
        or(isNotNull(meetings.endedAt), lte(meetings.endsAt, now)),
      ),
    )
    .orderBy(asc(meetings.startsAt), asc(meetings.id));

  const communes = new Map<string, CommuneAccumulator>();
  const meetingRows: Array<{
    id: string;
    title: string;
    startsAt: string;
    endsAt: string;
    invited: number;
    attended: number;
    attendanceRate: number | null;
    late: number;
    absent: number;
  }> = [];
  for (const meeting of counted) {
    const sitesDigest = await readInputsDigest(db, meeting.id);
    const input = await loadMeetingAttendanceSites(db, meeting.id);
    if (!input) continue; // Deleted between the two reads; meetings are never deleted today.
    const [ledger] = await endedLedger(db, input, sitesDigest, now, thresholds);
    const kindOf = new Map(input.invitedSites.map((s) => [s.siteId, s]));
    let invited = 0;
    let attended = 0;
    let late = 0;
    for (const site of ledger.sites) {
      const details = kindOf.get(site.siteId);
      if (site.role !== 'participant' || details?.kind !== 'commune') continue;
      if (query.province !== undefined && details.provinceCode !== query.province) continue;
      let acc = communes.get(site.siteId);
      if (!acc) {
        acc = {
          siteId: site.siteId,
          siteName: site.siteName,
          unitCode: details.unitCode,
          provinceCode: details.provinceCode,
          invited: 0,
          attended: 0,
          late: 0,
          leftEarly: 0,
          absentWithReason: 0,
          absentWithoutReason: 0,
          lossMedians: [],
          rttMedians: [],
          absentMeetingIds: [],
        };
        communes.set(site.siteId, acc);
      }
      acc.invited += 1;
      invited += 1;
      if (site.status === 'absent' || site.status === 'absent-with-reason') {
        if (site.status === 'absent') acc.absentWithoutReason += 1;
        else acc.absentWithReason += 1;
        acc.absentMeetingIds.push(meeting.id);
      } else {
        acc.attended += 1;
        attended += 1;
      }
      if (site.flags.includes('late')) {
        acc.late += 1;
        late += 1;
      }
      if (site.flags.includes('left-early')) acc.leftEarly += 1;
      if (site.quality) {
        acc.lossMedians.push(site.quality.lossPercent.median);
        acc.rttMedians.push(site.quality.rttMs.median);
      }
    }
    if (invited > 0) {
      meetingRows.push({
        id: meeting.id,
        title: meeting.title,
        startsAt: toVietnamIso(meeting.startsAt),
        endsAt: toVietnamIso(meeting.endsAt),
        invited,
        attended,
        attendanceRate: attended / invited,
        late,
        absent: invited - attended,
      });
    }
  }

  const communeRows = [...communes.values()]
    .map((acc) => {
      const absent = acc.absentWithReason + acc.absentWithoutReason;
      const attendanceRate = acc.attended / acc.invited;
      const sampled = acc.lossMedians.length;
      const medianLossPercent = sampled ? percentile(acc.lossMedians, 0.5) : null;
      const medianRttMs = sampled ? percentile(acc.rttMedians, 0.5) : null;
      return {
        siteId: acc.siteId,
        siteName: acc.siteName,
        unitCode: acc.unitCode,
        provinceCode: acc.provinceCode,
        provinceName: acc.provinceCode === null ? null : (provinceNames.get(acc.provinceCode) ?? null),
        invited: acc.invited,
        attended: acc.attended,
        attendanceRate,
        late: acc.late,
        leftEarly: acc.leftEarly,
        absent,
        absentWithReason: acc.absentWithReason,
        absentWithoutReason: acc.absentWithoutReason,
        chronicAbsentee: absent >= CHRONIC_MIN_ABSENCES || (acc.invited >= CHRONIC_MIN_INVITED && attendanceRate < CHRONIC_MAX_RATE),
        quality: sampled ? { meetingsSampled: sampled, medianLossPercent: medianLossPercent!, medianRttMs: medianRttMs! } : null,
        qualityHotspot: sampled >= HOTSPOT_MIN_MEETINGS && (medianLossPercent! >= HOTSPOT_LOSS_PERCENT || medianRttMs! >= HOTSPOT_RTT_MS),
        absentMeetingIds: acc.absentMeetingIds,
      };
    })
    // Worst first: that is what a leader opens the dashboard to find.
    .sort((a, b) => a.attendanceRate - b.attendanceRate || b.absent - a.absent || a.unitCode.localeCompare(b.unitCode));

  const byProvince = new Map<
    string,
    {
      code: string;
      name: string;
      communes: number;
      invitations: number;
      attended: number;
      late: number;
      absent: number;
      chronicAbsentees: number;
      qualityHotspots: number;
    }
  >();
  for (const row of communeRows) {
    const code = row.provinceCode ?? '';
    let p = byProvince.get(code);
    if (!p) {
      p = { code, name: row.provinceName ?? code, communes: 0, invitations: 0, attended: 0, late: 0, absent: 0, chronicAbsentees: 0, qualityHotspots: 0 };
      byProvince.set(code, p);
    }
    p.communes += 1;
    p.invitations += row.invited;
    p.attended += row.attended;
    p.late += row.late;
    p.absent += row.absent;
    if (row.chronicAbsentee) p.chronicAbsentees += 1;
    if (row.qualityHotspot) p.qualityHotspots += 1;
  }

  const invitations = communeRows.reduce((n, r) => n + r.invited, 0);
  const attended = communeRows.reduce((n, r) => n + r.attended, 0);
  return {
    range: { from: query.from, to: query.to, fromInstant: toVietnamIso(rangeStart), toInstant: toVietnamIso(rangeEnd) },
    province: query.province === undefined ? null : { code: query.province, name: provinceNames.get(query.province)! },
    rules: {
      chronicAbsentee: { minAbsences: CHRONIC_MIN_ABSENCES, maxRate: CHRONIC_MAX_RATE, minInvitedForRate: CHRONIC_MIN_INVITED },
      qualityHotspot: { lossPercent: HOTSPOT_LOSS_PERCENT, rttMs: HOTSPOT_RTT_MS, minMeetingsSampled: HOTSPOT_MIN_MEETINGS },
    },
    totals: {
      meetings: meetingRows.length,
      communes: communeRows.length,
      invitations,
      attended,
      attendanceRate: invitations === 0 ? null : attended / invitations,
      late: communeRows.reduce((n, r) => n + r.late, 0),
      absent: invitations - attended,
      chronicAbsentees: communeRows.filter((r) => r.chronicAbsentee).length,
      qualityHotspots: communeRows.filter((r) => r.qualityHotspot).length,
    },
    provinces: [...byProvince.values()]
      .map((p) => ({ ...p, attendanceRate: p.invitations === 0 ? null : p.attended / p.invitations }))
      .sort((a, b) => a.code.localeCompare(b.code)),
    communes: communeRows,
    meetings: meetingRows,
  };
}
export type AttendanceDashboard = Awaited<ReturnType<typeof buildAttendanceDashboard>>;
