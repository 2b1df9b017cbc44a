/**
 * One meeting's attendance report: the ledger and what the report shows beside it, shaped for
 * the JSON API (times as ISO 8601 with +07:00) and the CSV export. The figures come from the
 * ledger (ledger.ts) only, so the page, the JSON, the CSV and the dashboard never disagree.
 *
 * Where the ledger comes from:
 * - an ended meeting: the stored ledger (stored-ledger.ts), computed from the events and
 *   stored the first time, again after a late event or a change of its other inputs;
 * - a running (or not yet started) meeting: the live ledger kept from arriving events
 *   (live-attendance.ts), when the caller has one;
 * - otherwise (a subset of sites, the per-minute timeline): computed from the events.
 */
import type { Executor } from '../../db/client.ts';
import { fastVietnamIso as toVietnamIso } from '../time.ts';
import { renderLedgerCsv, streamLedgerCsv, type LedgerCsvOptions } from './csv.ts';
import { computeLedger, meetingWindow, type AttendanceLedger, type ConnectedInterval, type QualityBucket, type SiteAttendance } from './ledger.ts';
import type { LiveAttendance } from './live-attendance.ts';
import { ledgerInputsHash, probeStoredReport, readInputsDigest, readStoredLedger, storeLedger } from './stored-ledger.ts';
import {
  loadEvents,
  loadMeetingAttendanceSites,
  type AttendanceMeeting,
  type InvitedSiteDetails,
  type LoadOptions,
  type MeetingAttendanceInput,
} from './store.ts';
import { NotFoundError } from '../errors.ts';

export interface MeetingReport {
  meeting: AttendanceMeeting & { hostSiteName: string | null };
  /** Same order as `ledger.sites`. */
  invitedSites: InvitedSiteDetails[];
  ledger: AttendanceLedger;
  /** Where the ledger came from (see the module header). */
  source: 'stored' | 'live' | 'computed';
}

export interface ReportOptions extends LoadOptions {
  /** Build the per-minute quality timelines (only ?timeline=true shows them). */
  qualityTimeline?: boolean;
  /** From the configuration (api/attendance/config.ts); the ledger's defaults otherwise. */
  thresholds?: { lateThresholdMinutes: number; earlyLeaveThresholdMinutes: number };
  /** The live ledgers of running meetings; without it a running meeting's ledger is computed. */
  live?: LiveAttendance;
}

export async function buildMeetingReport(db: Executor, meetingId: string, now: Date, options: ReportOptions = {}): Promise<MeetingReport> {
  const whole = options.siteIds === undefined && !options.qualityTimeline;
  // Read before the sites it describes (stored-ledger.ts says why); only an ended meeting's
  // stored ledger needs it, but which meetings have ended is known only after the read.
  const sitesDigest = whole ? await readInputsDigest(db, meetingId) : '';
  const input = await loadMeetingAttendanceSites(db, meetingId, options.siteIds === undefined ? {} : { siteIds: options.siteIds });
  if (!input) throw new NotFoundError('Meeting', meetingId);
  const host = input.invitedSites.find((s) => s.siteId === input.meeting.hostSiteId);
  const shape = (ledger: AttendanceLedger, source: MeetingReport['source']): MeetingReport => ({
    meeting: { ...input.meeting, hostSiteName: host?.siteName ?? null },
    invitedSites: input.invitedSites,
    ledger,
    source,
  });
  const phase = meetingWindow(input.meeting, now.getTime()).phase;
  if (whole && phase === 'ended') return shape(...(await endedLedger(db, input, sitesDigest, now, options.thresholds)));
  if (whole && options.live) return shape(await options.live.ledgerOf(input, now), 'live');
  const events = await loadEvents(db, meetingId, options.siteIds);
  return shape(
    computeLedger({
      meeting: input.meeting,
      invitedSites: input.invitedSites,
      events,
      now,
      includeQualityTimeline: options.qualityTimeline ?? false,
      ...options.thresholds,
    }),
    'computed',
  );
}

/**
 * The stored ledger of an ended meeting, computed and stored first if there is none for these
 * inputs. `sitesDigest` is readInputsDigest's, read before `input` was.
 */
export async function endedLedger(
  db: Executor,
  input: Omit<MeetingAttendanceInput, 'events'>,
  sitesDigest: string,
  now: Date,
  thresholds: ReportOptions['thresholds'],
): Promise<[AttendanceLedger, 'stored' | 'computed']> {
  const hash = ledgerInputsHash(input.meeting, { ...thresholds }, sitesDigest);
  const stored = await readStoredLedger(db, input.meeting.id, hash);
  if (stored) return [stored, 'stored'];
  const events = await loadEvents(db, input.meeting.id);
  const ledger = computeLedger({ meeting: input.meeting, invitedSites: input.invitedSites, events, now, includeQualityTimeline: false, ...thresholds });
  const details = new Map(input.invitedSites.map((s) => [s.siteId, s]));
  await storeLedger(db, input.meeting.id, hash, events.length, ledger, {
    head: JSON.stringify(reportHead(ledger)),
    sites: JSON.stringify(ledger.sites.map((site) => siteJson(site, details.get(site.siteId), false))),
  });
  return [ledger, 'computed'];
}

/**
 * GET …/attendance as JSON text for an ended meeting whose stored report is current: one
 * round trip, and the stored parts are spliced into the body instead of being parsed and
 * serialized again. Null when that is not the case (the caller builds the report).
 */
export async function storedReportBody(db: Executor, meetingId: string, now: Date, thresholds: ReportOptions['thresholds']): Promise<string | null> {
  const probe = await probeStoredReport(db, meetingId);
  if (!probe) throw new NotFoundError('Meeting', meetingId);
  if (!probe.stored || meetingWindow(probe.meeting, now.getTime()).phase !== 'ended') return null;
  if (probe.stored.inputsHash !== ledgerInputsHash(probe.meeting, { ...thresholds }, probe.sitesDigest)) return null;
  const head = probe.stored.reportHead;
  return `{"meeting":${JSON.stringify(meetingPart(probe.meeting))},"generatedAt":${JSON.stringify(toVietnamIso(now))},${head.slice(1, -1)},"sites":${probe.stored.reportSites}}`;
}

const iso = (date: Date | null) => (date === null ? null : toVietnamIso(date));

function intervalJson(i: ConnectedInterval) {
  return {
    connectionId: i.connectionId,
    from: toVietnamIso(i.from),
    to: toVietnamIso(i.to),
    open: i.open,
    endCause: i.endCause,
    startInferred: i.startInferred,
    endInferred: i.endInferred,
  };
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
    rsvp: details?.rsvp
      ? {
          answer: details.rsvp.answer,
          reason: details.rsvp.reason ?? null,
          delegate: details.rsvp.delegate ?? null,
          answeredAt: toVietnamIso(details.rsvp.answeredAt),
        }
      : null,
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
    meeting: meetingPart(meeting),
    generatedAt: toVietnamIso(generatedAt),
    ...reportHead(ledger),
    sites: ledger.sites.map((s) => siteJson(s, details.get(s.siteId), options.timeline ?? false)),
  };
}

function meetingPart(meeting: MeetingReport['meeting']) {
  return {
    id: meeting.id,
    title: meeting.title,
    status: meeting.status,
    startsAt: toVietnamIso(meeting.startsAt),
    endsAt: toVietnamIso(meeting.endsAt),
    startedAt: iso(meeting.startedAt),
    endedAt: iso(meeting.actualEndedAt ?? null),
    cancelledAt: iso(meeting.cancelledAt),
    hostSite: { id: meeting.hostSiteId, name: meeting.hostSiteName },
  };
}

function reportHead(ledger: AttendanceLedger) {
  return {
    phase: ledger.phase,
    window: { from: toVietnamIso(ledger.window.from), to: toVietnamIso(ledger.window.to), minutes: ledger.window.minutes },
    thresholds: ledger.thresholds,
    totals: ledger.totals,
    diagnostics: ledger.diagnostics,
  };
}
export type MeetingReportJson = ReturnType<typeof meetingReportJson>;

export function meetingReportCsv(report: MeetingReport, options: LedgerCsvOptions = {}): string {
  return renderLedgerCsv(report.ledger, options);
}

/** The same file as meetingReportCsv, in chunks of rows, for a streamed response. */
export function meetingReportCsvStream(report: MeetingReport, options: LedgerCsvOptions = {}): ReadableStream<Uint8Array> {
  return streamLedgerCsv(report.ledger, options);
}
