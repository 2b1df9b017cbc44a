/**
 * The attendance ledger: for each invited site of one meeting, whether it was there, when,
 * for how long, how often its line dropped and how good the line was; plus meeting totals.
 * A pure function of its input (no clock, no I/O) so the live board, the report and the CSV
 * export all show the same figures for the same events.
 *
 * Rules (the interval rules for lost joins/leaves are in connections.ts):
 *
 * Meeting window. It opens at the official start `startsAt`. It closes at `actualEndedAt` when
 *   known; otherwise at `endsAt` once that has passed; otherwise at `now` (the meeting is
 *   running, and an open interval counts up to now). A meeting that overruns `endsAt` without
 *   `actualEndedAt` is cut at `endsAt`: the host closing the meeting is what records an
 *   overrun. A window that would close before it opens is empty.
 * Clipping. Intervals are clipped to the window: connecting early for a sound check is not
 *   meeting time, and neither is staying on after the end. Intervals with no positive length
 *   inside the window are left out; a site with none is absent.
 * firstJoinAt / lastLeaveAt are the unclipped start of the first and end of the last interval
 *   that overlaps the window, so a hall connected since 07:45 shows 07:45 (and is on time),
 *   while one that did a sound check at 07:45, left, and came back at 08:20 shows 08:20.
 *   lastLeaveAt is null while the site is still connected.
 * Late: present, and the first interval inside the window starts more than
 *   `lateThresholdMinutes` after `startsAt` (exactly at the threshold is on time).
 * Left early: present, not connected at the window's end, and its last interval ended more
 *   than `earlyLeaveThresholdMinutes` before the window's end (exactly at the threshold is not
 *   early), unless that leave's cause is 'meeting-ended'. Other causes (a kick, a server
 *   failure it never came back from) still count: the flag says the site was not there at the
 *   end, `lastLeaveCause` says why. On a live board this reads "gone for longer than the
 *   threshold" and clears if the site returns.
 * Status and flags. `flags` holds every fact that applies ('late', 'left-early'); `status` is
 *   the one headline: absent-with-reason / absent when there is no interval, else 'late' if
 *   late (arrival is what the roll call asks first), else 'left-early', else 'on-time'.
 * Absent with reason: absent and the RSVP is 'declined' with a non-blank reason. A decline
 *   without a reason, or an 'attending' RSVP, leaves the site plainly absent.
 * Drops: intervals inside the window that ended with an involuntary cause ('network',
 *   'server-failure' including inferred ones, 'shutdown') and were followed by another
 *   interval inside the window. A site that drops and never returns has no drop but is left
 *   early; the cause is in `leaveCauses`. 'shutdown' counts because the site did not choose it.
 * longestGapMinutes: the longest disconnection between two intervals inside the window; the
 *   time before the first join and after the last leave is lateness and leaving early, not a gap.
 * leaveCauses: the causes of the intervals that ended inside the window (a leave after the
 *   window's end happened after the meeting), inferred ones included.
 * Quality: samples accepted by the replay (from the site's live connection) taken inside the
 *   window; timeline buckets are counted from `startsAt`.
 * Totals count participant sites only: the host hall runs the meeting, and counting it would
 *   lift every attendance rate. The host's row is still in `sites`.
 * Events for other meetings or for sites not invited are ignored and counted in `diagnostics`.
 */
import { leaveCauses, type AttendanceEvent, type LeaveCause } from '../../db/attendance-event.ts';
import { replaySiteEvents, type ReplayAnomalies, type ReplayedInterval, type SiteReplay } from './connections.ts';
import { canonicalEventSequence } from './event-order.ts';
import { qualityTimeline, summariseQuality, type QualityBucket, type QualitySummary } from './quality.ts';

export type { QualityBucket, QualitySummary, MetricSummary } from './quality.ts';

export const attendanceStatuses = ['on-time', 'late', 'left-early', 'absent-with-reason', 'absent'] as const;
export type AttendanceStatus = (typeof attendanceStatuses)[number];

export const attendanceFlags = ['late', 'left-early'] as const;
export type AttendanceFlag = (typeof attendanceFlags)[number];

export type SiteRole = 'host' | 'participant';
export type MeetingPhase = 'not-started' | 'running' | 'ended';

export interface Rsvp {
  answer: 'attending' | 'declined';
  reason?: string | null;
  delegate?: string | null;
  answeredAt: Date;
}

export interface InvitedSite {
  siteId: string;
  siteName: string;
  unitName?: string | null;
  role: SiteRole;
  rsvp?: Rsvp | null;
}

export interface LedgerMeeting {
  id: string;
  startsAt: Date;
  endsAt: Date;
  actualEndedAt?: Date | null;
}

export interface LedgerInput {
  meeting: LedgerMeeting;
  invitedSites: readonly InvitedSite[];
  events: readonly AttendanceEvent[];
  /** The caller's clock; only used while the meeting has not ended. */
  now: Date;
  lateThresholdMinutes?: number;
  earlyLeaveThresholdMinutes?: number;
  qualityBucketMinutes?: number;
  /**
   * Build each site's per-bucket quality timeline (default true). Reports that do not show it
   * pass false: for a national meeting it is a third of the ledger's time. When false every
   * `qualityTimeline` is empty; nothing else changes.
   */
  includeQualityTimeline?: boolean;
}

export interface ConnectedInterval {
  connectionId: string;
  /** Clipped to the meeting window. */
  from: Date;
  /** Clipped to the meeting window; for the open interval of a live meeting, `now`. */
  to: Date;
  /** Still connected (live meeting only). */
  open: boolean;
  /** Cause of the leave that ended it; null while open. */
  endCause: LeaveCause | null;
  startInferred: boolean;
  endInferred: boolean;
}

export interface SiteAttendance {
  siteId: string;
  siteName: string;
  unitName: string | null;
  role: SiteRole;
  status: AttendanceStatus;
  /** In the order of `attendanceFlags`. */
  flags: AttendanceFlag[];
  firstJoinAt: Date | null;
  lastLeaveAt: Date | null;
  connectedNow: boolean;
  intervals: ConnectedInterval[];
  minutesConnected: number;
  drops: number;
  longestGapMinutes: number;
  leaveCauses: Record<LeaveCause, number>;
  lastLeaveCause: LeaveCause | null;
  absenceReason: string | null;
  quality: QualitySummary | null;
  qualityTimeline: QualityBucket[];
  /** Times the floor was given to this site inside the window. */
  floorGrants: number;
}

export interface AttendanceTotals {
  /** Participant sites only; see the module header. */
  invited: number;
  present: number;
  /** Sites flagged late (whatever their headline status). */
  late: number;
  /** Sites flagged left early (whatever their headline status). */
  leftEarly: number;
  absent: number;
  absentWithReason: number;
  absentWithoutReason: number;
  /** Headline statuses; they add up to `invited`. */
  byStatus: Record<AttendanceStatus, number>;
  /** present / invited, in [0, 1]; null when nobody was invited. */
  attendanceRate: number | null;
}

export interface LedgerDiagnostics {
  /** Events after de-duplication on eventId. */
  distinctEvents: number;
  otherMeetingEvents: number;
  uninvitedSiteEvents: number;
  uninvitedSiteIds: string[];
  staleConnectionEvents: number;
  unmatchedLeaves: number;
  inferredJoins: number;
  inferredLeaves: number;
}

export interface AttendanceLedger {
  meetingId: string;
  phase: MeetingPhase;
  window: { from: Date; to: Date; minutes: number };
  thresholds: { lateMinutes: number; earlyLeaveMinutes: number; qualityBucketMinutes: number };
  sites: SiteAttendance[];
  totals: AttendanceTotals;
  diagnostics: LedgerDiagnostics;
}

export class LedgerInputError extends Error {
  override name = 'LedgerInputError';
}

const msPerMinute = 60_000;
const involuntaryCauses: ReadonlySet<LeaveCause> = new Set<LeaveCause>(['network', 'server-failure', 'shutdown']);

/** The thresholds of a ledger input, validated, with their defaults. */
export interface LedgerSettings {
  lateMinutes: number;
  earlyLeaveMinutes: number;
  qualityBucketMinutes: number;
  includeQualityTimeline: boolean;
}

export type LedgerOptions = Pick<LedgerInput, 'lateThresholdMinutes' | 'earlyLeaveThresholdMinutes' | 'qualityBucketMinutes' | 'includeQualityTimeline'>;

export function ledgerSettings(input: LedgerOptions): LedgerSettings {
  const lateMinutes = input.lateThresholdMinutes ?? 5;
  const earlyLeaveMinutes = input.earlyLeaveThresholdMinutes ?? 5;
  const qualityBucketMinutes = input.qualityBucketMinutes ?? 1;
  requireNonNegative('lateThresholdMinutes', lateMinutes);
  requireNonNegative('earlyLeaveThresholdMinutes', earlyLeaveMinutes);
  if (!(qualityBucketMinutes > 0) || !Number.isFinite(qualityBucketMinutes)) {
    throw new LedgerInputError(`qualityBucketMinutes must be positive, got ${qualityBucketMinutes}`);
  }
  return { lateMinutes, earlyLeaveMinutes, qualityBucketMinutes, includeQualityTimeline: input.includeQualityTimeline ?? true };
}

export function requireValidDates(meeting: LedgerMeeting, now: Date): void {
  for (const [name, date] of [
    ['meeting.startsAt', meeting.startsAt],
    ['meeting.endsAt', meeting.endsAt],
    ['now', now],
  ] as const) {
    if (Number.isNaN(date.getTime())) throw new LedgerInputError(`${name} is not a valid date`);
  }
}

export function requireDistinctSites(invitedSites: readonly InvitedSite[]): Set<string> {
  const invitedIds = new Set<string>();
  for (const site of invitedSites) {
    if (invitedIds.has(site.siteId)) throw new LedgerInputError(`site ${site.siteId} is invited twice`);
    invitedIds.add(site.siteId);
  }
  return invitedIds;
}

export function computeLedger(input: LedgerInput): AttendanceLedger {
  const settings = ledgerSettings(input);
  const { meeting } = input;
  requireValidDates(meeting, input.now);
  const invitedIds = requireDistinctSites(input.invitedSites);

  const { phase, from, to } = meetingWindow(meeting, input.now.getTime());

  const eventsBySite = new Map<string, AttendanceEvent[]>();
  const uninvitedSiteIds = new Set<string>();
  let otherMeetingEvents = 0;
  let uninvitedSiteEvents = 0;
  const sequence = canonicalEventSequence(input.events.filter((e) => !Number.isNaN(e.at.getTime())));
  for (const event of sequence) {
    if (event.meetingId !== meeting.id) {
      otherMeetingEvents += 1;
    } else if (!invitedIds.has(event.siteId)) {
      uninvitedSiteEvents += 1;
      uninvitedSiteIds.add(event.siteId);
    } else {
      const siteEvents = eventsBySite.get(event.siteId);
      if (siteEvents === undefined) eventsBySite.set(event.siteId, [event]);
      else siteEvents.push(event);
    }
  }

  const replays = input.invitedSites.map((site) => replaySiteEvents(eventsBySite.get(site.siteId) ?? [], phase === 'ended' ? to : null));
  return assembleLedger(meeting, input.invitedSites, replays, { phase, from, to }, settings, {
    distinctEvents: sequence.length,
    otherMeetingEvents,
    uninvitedSiteEvents,
    uninvitedSiteIds: [...uninvitedSiteIds].sort(),
  });
}

export type MeetingWindow = { phase: MeetingPhase; from: number; to: number };

/**
 * The ledger from each invited site's replay (same order as `invitedSites`). computeLedger and
 * the incremental ledger (live-ledger.ts) both end here, so they cannot disagree on a figure.
 */
export function assembleLedger(
  meeting: LedgerMeeting,
  invitedSites: readonly InvitedSite[],
  replays: readonly SiteReplay[],
  window: MeetingWindow,
  settings: LedgerSettings,
  counts: Pick<LedgerDiagnostics, 'distinctEvents' | 'otherMeetingEvents' | 'uninvitedSiteEvents' | 'uninvitedSiteIds'>,
): AttendanceLedger {
  const { phase, from, to } = window;
  const anomalies: ReplayAnomalies = { staleConnectionEvents: 0, unmatchedLeaves: 0, inferredJoins: 0, inferredLeaves: 0 };
  const siteWindow: SiteWindow = {
    from,
    to,
    lateMs: settings.lateMinutes * msPerMinute,
    earlyLeaveMs: settings.earlyLeaveMinutes * msPerMinute,
    bucketMs: settings.qualityBucketMinutes * msPerMinute,
    includeQualityTimeline: settings.includeQualityTimeline,
  };
  const sites = invitedSites.map((site, index) => {
    const replay = replays[index]!;
    for (const key of Object.keys(anomalies) as Array<keyof ReplayAnomalies>) anomalies[key] += replay.anomalies[key];
    return siteAttendance(site, replay, siteWindow);
  });

  return {
    meetingId: meeting.id,
    phase,
    window: { from: new Date(from), to: new Date(to), minutes: (to - from) / msPerMinute },
    thresholds: { lateMinutes: settings.lateMinutes, earlyLeaveMinutes: settings.earlyLeaveMinutes, qualityBucketMinutes: settings.qualityBucketMinutes },
    sites,
    totals: totalsOf(sites.filter((s) => s.role === 'participant')),
    diagnostics: { ...counts, ...anomalies },
  };
}

function requireNonNegative(name: string, value: number): void {
  if (!(value >= 0) || !Number.isFinite(value)) {
    throw new LedgerInputError(`${name} must be a non-negative number, got ${value}`);
  }
}

export function meetingWindow(meeting: LedgerMeeting, now: number): MeetingWindow {
  const from = meeting.startsAt.getTime();
  const actualEnd = meeting.actualEndedAt?.getTime();
  const scheduledEnd = meeting.endsAt.getTime();
  let phase: MeetingPhase;
  let end: number;
  if (actualEnd !== undefined && !Number.isNaN(actualEnd)) {
    phase = 'ended';
    end = actualEnd;
  } else if (now >= scheduledEnd) {
    phase = 'ended';
    end = scheduledEnd;
  } else {
    phase = now < from ? 'not-started' : 'running';
    end = now;
  }
  return { phase, from, to: Math.max(from, end) };
}

interface SiteWindow {
  from: number;
  to: number;
  lateMs: number;
  earlyLeaveMs: number;
  bucketMs: number;
  includeQualityTimeline: boolean;
}

function siteAttendance(site: InvitedSite, replay: SiteReplay, window: SiteWindow): SiteAttendance {
  const { from, to } = window;
  // An open interval runs up to the window's end (now, on a live board).
  const inWindow = replay.intervals.filter((interval) => Math.min(interval.end ?? to, to) > Math.max(interval.start, from));
  const intervals = inWindow.map(clipTo(from, to));
  const first = inWindow[0];
  const last = inWindow.at(-1);
  const connectedNow = last !== undefined && last.end === null;

  const msConnected = intervals.reduce((sum, i) => sum + (i.to.getTime() - i.from.getTime()), 0);
  let longestGapMs = 0;
  let drops = 0;
  for (let index = 0; index + 1 < intervals.length; index += 1) {
    const current = intervals[index]!;
    const next = intervals[index + 1]!;
    longestGapMs = Math.max(longestGapMs, next.from.getTime() - current.to.getTime());
    if (current.endCause !== null && involuntaryCauses.has(current.endCause)) drops += 1;
  }

  const causeCounts = Object.fromEntries(leaveCauses.map((cause) => [cause, 0])) as Record<LeaveCause, number>;
  for (const interval of inWindow) {
    if (interval.end !== null && interval.end <= to && interval.endCause !== null) causeCounts[interval.endCause] += 1;
  }

  const flags: AttendanceFlag[] = [];
  let status: AttendanceStatus;
  let absenceReason: string | null = null;
  if (first === undefined || last === undefined) {
    const reason = site.rsvp?.answer === 'declined' ? (site.rsvp.reason?.trim() ?? '') : '';
    absenceReason = reason === '' ? null : reason;
    status = absenceReason === null ? 'absent' : 'absent-with-reason';
  } else {
    if (Math.max(first.start, from) > from + window.lateMs) flags.push('late');
    if (last.end !== null && last.end < to - window.earlyLeaveMs && last.endCause !== 'meeting-ended') {
      flags.push('left-early');
    }
    status = flags[0] ?? 'on-time';
  }

  const samples = replay.qualitySamples.filter((s) => s.at >= from && s.at <= to);
  return {
    siteId: site.siteId,
    siteName: site.siteName,
    unitName: site.unitName ?? null,
    role: site.role,
    status,
    flags,
    firstJoinAt: first === undefined ? null : new Date(first.start),
    lastLeaveAt: last?.end == null ? null : new Date(last.end),
    connectedNow,
    intervals,
    minutesConnected: msConnected / msPerMinute,
    drops,
    longestGapMinutes: longestGapMs / msPerMinute,
    leaveCauses: causeCounts,
    lastLeaveCause: last?.endCause ?? null,
    absenceReason,
    quality: summariseQuality(samples),
    qualityTimeline: window.includeQualityTimeline ? qualityTimeline(samples, from, window.bucketMs) : [],
    floorGrants: replay.floorGrantTimes.filter((at) => at >= from && at <= to).length,
  };
}

function clipTo(from: number, to: number): (interval: ReplayedInterval) => ConnectedInterval {
  return (interval) => ({
    connectionId: interval.connectionId,
    from: new Date(Math.max(interval.start, from)),
    to: new Date(Math.min(interval.end ?? to, to)),
    open: interval.end === null,
    endCause: interval.endCause,
    startInferred: interval.startInferred,
    endInferred: interval.endInferred,
  });
}

function totalsOf(participants: readonly SiteAttendance[]): AttendanceTotals {
  const byStatus = Object.fromEntries(attendanceStatuses.map((s) => [s, 0])) as Record<AttendanceStatus, number>;
  for (const site of participants) byStatus[site.status] += 1;
  const absentWithReason = byStatus['absent-with-reason'];
  const absentWithoutReason = byStatus.absent;
  const present = participants.length - absentWithReason - absentWithoutReason;
  return {
    invited: participants.length,
    present,
    late: participants.filter((s) => s.flags.includes('late')).length,
    leftEarly: participants.filter((s) => s.flags.includes('left-early')).length,
    absent: absentWithReason + absentWithoutReason,
    absentWithReason,
    absentWithoutReason,
    byStatus,
    attendanceRate: participants.length === 0 ? null : present / participants.length,
  };
}
