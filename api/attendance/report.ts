/**
 * One meeting's attendance report: load the stored events, run the ledger, and shape the result
 * for the JSON API (times as ISO 8601 with +07:00) and the CSV export. The figures come from
 * computeLedger only, so the page, the JSON, the CSV and the dashboard never disagree.
 */
import type { AttendanceEvent } from '../../db/attendance-event.ts';
import type { Executor } from '../../db/client.ts';
import { fastVietnamIso as toVietnamIso } from '../time.ts';
import { renderLedgerCsv, type LedgerCsvOptions } from './csv.ts';
import { computeLedger, type AttendanceLedger, type ConnectedInterval, type QualityBucket, type SiteAttendance } from './ledger.ts';
import { requireMeetingAttendanceInput, type AttendanceMeeting, type InvitedSiteDetails, type LoadOptions } from './store.ts';

export interface MeetingReport {
  meeting: AttendanceMeeting & { hostSiteName: string | null };
  /** Same order as `ledger.sites`. */
  invitedSites: InvitedSiteDetails[];
  events: AttendanceEvent[];
  ledger: AttendanceLedger;
}

export interface ReportOptions extends LoadOptions {
  /** Build the per-minute quality timelines (only ?timeline=true shows them). */
  qualityTimeline?: boolean;
  /** From the configuration (api/attendance/config.ts); the ledger's defaults otherwise. */
  thresholds?: { lateThresholdMinutes: number; earlyLeaveThresholdMinutes: number };
}

export async function buildMeetingReport(db: Executor, meetingId: string, now: Date, options: ReportOptions = {}): Promise<MeetingReport> {
  const input = await requireMeetingAttendanceInput(db, meetingId, options.siteIds === undefined ? {} : { siteIds: options.siteIds });
  const ledger = computeLedger({ meeting: input.meeting, invitedSites: input.invitedSites, events: input.events, now, includeQualityTimeline: options.qualityTimeline ?? false, ...options.thresholds });
  const host = input.invitedSites.find((s) => s.siteId === input.meeting.hostSiteId);
  return { meeting: { ...input.meeting, hostSiteName: host?.siteName ?? null }, invitedSites: input.invitedSites, events: input.events, ledger };
}

const iso = (date: Date | null) => (date === null ? null : toVietnamIso(date));

function intervalJson(i: ConnectedInterval) {
  return { connectionId: i.connectionId, from: toVietnamIso(i.from), to: toVietnamIso(i.to), open: i.open, endCause: i.endCause, startInferred: i.startInferred, endInferred: i.endInferred };
}

function bucketJson(b: QualityBucket) {
  return { ...b, from: toVietnamIso(b.from) };
}

function siteJson(site: SiteAttendance, details: InvitedSiteDetails | undefined, withTimeline: boolean) {
  const { qualityTimeline, intervals, firstJoinAt, lastLeaveAt, ...rest } = site;
  return {
    ...rest,
    unitCode: details?.unitCode ?? null,
    provinceCode: details?.provinceCode ?? null,
    kind: details?.kind ?? null,
    rsvp: details?.rsvp ? { answer: details.rsvp.answer, reason: details.rsvp.reason ?? null, delegate: details.rsvp.delegate ?? null, answeredAt: toVietnamIso(details.rsvp.answeredAt) } : null,
    firstJoinAt: iso(firstJoinAt),
    lastLeaveAt: iso(lastLeaveAt),
    intervals: intervals.map(intervalJson),
    ...(withTimeline ? { qualityTimeline: qualityTimeline.map(bucketJson) } : {}),
  };
}

/**
 * The JSON body of GET /api/meetings/:id/attendance. The per-minute quality timeline is left out
 * unless asked for: for a national meeting it is ~400k buckets, which nobody reads as JSON.
 */
export function meetingReportJson(report: MeetingReport, generatedAt: Date, options: { timeline?: boolean } = {}) {
  const { meeting, ledger } = report;
  const details = new Map(report.invitedSites.map((s) => [s.siteId, s]));
  return {
    meeting: {
      id: meeting.id,
      title: meeting.title,
      status: meeting.status,
      startsAt: toVietnamIso(meeting.startsAt),
      endsAt: toVietnamIso(meeting.endsAt),
      startedAt: iso(meeting.startedAt),
      endedAt: iso(meeting.actualEndedAt ?? null),
      cancelledAt: iso(meeting.cancelledAt),
      hostSite: { id: meeting.hostSiteId, name: meeting.hostSiteName },
    },
    generatedAt: toVietnamIso(generatedAt),
    phase: ledger.phase,
    window: { from: toVietnamIso(ledger.window.from), to: toVietnamIso(ledger.window.to), minutes: ledger.window.minutes },
    thresholds: ledger.thresholds,
    totals: ledger.totals,
    sites: ledger.sites.map((s) => siteJson(s, details.get(s.siteId), options.timeline ?? false)),
    diagnostics: ledger.diagnostics,
  };
}
export type MeetingReportJson = ReturnType<typeof meetingReportJson>;

export function meetingReportCsv(report: MeetingReport, options: LedgerCsvOptions = {}): string {
  return renderLedgerCsv(report.ledger, options);
}
