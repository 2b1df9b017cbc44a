/**
 * The live board the secretariat watches during a meeting: which sites are connected now, which
 * were connected and dropped (or left), and which have not joined yet, with the phone and
 * e-mail to chase each missing site.
 *
 * "Connected now" is read from the same replay the ledger uses (connections.ts), not from the
 * ledger's clipped intervals: before the official start the ledger's window is empty, yet the
 * secretariat needs to see who has connected for the sound check. After the end the replay
 * closes every interval at the window's end, as the ledger does, so nobody shows as connected.
 * Lateness, drops and the headline status are the ledger's.
 */
import type { AttendanceEvent, LeaveCause } from '../../db/attendance-event.ts';
import { fastVietnamIso as toVietnamIso } from '../time.ts';
import { replaySiteEvents } from './connections.ts';
import { canonicalEventSequence } from './event-order.ts';
import type { MeetingReport } from './report.ts';

export const liveGroups = ['connected', 'dropped', 'not-joined'] as const;
export type LiveGroup = (typeof liveGroups)[number];

export function liveBoardJson(report: MeetingReport, now: Date) {
  const { ledger } = report;
  const closeAt = ledger.phase === 'ended' ? ledger.window.to.getTime() : null;
  const bySite = new Map<string, AttendanceEvent[]>();
  // As of now: an event stamped later (a clock a little ahead) shows once its time has come.
  for (const event of canonicalEventSequence(report.events.filter((e) => e.at.getTime() <= now.getTime()))) {
    const list = bySite.get(event.siteId);
    if (list) list.push(event);
    else bySite.set(event.siteId, [event]);
  }
  const details = new Map(report.invitedSites.map((s) => [s.siteId, s]));

  const sites = ledger.sites.map((site) => {
    const replay = replaySiteEvents(bySite.get(site.siteId) ?? [], closeAt);
    const last = replay.intervals.at(-1);
    const group: LiveGroup = last === undefined ? 'not-joined' : last.end === null ? 'connected' : 'dropped';
    const info = details.get(site.siteId);
    const missing = group !== 'connected';
    return {
      siteId: site.siteId,
      siteName: site.siteName,
      unitName: site.unitName,
      role: site.role,
      group,
      /** Connected: since when; dropped: when the last connection ended. */
      since: last === undefined ? null : toVietnamIso(new Date(last.end ?? last.start)),
      lastLeaveCause: (last?.endCause ?? null) as LeaveCause | null,
      status: site.status,
      flags: site.flags,
      drops: site.drops,
      lossPercent: site.quality?.lossPercent.median ?? null,
      rttMs: site.quality?.rttMs.median ?? null,
      rsvp: info?.rsvp ? { answer: info.rsvp.answer, reason: info.rsvp.reason ?? null } : null,
      // Only the sites someone has to call carry their contacts.
      contactPhone: missing ? (info?.contactPhone ?? null) : null,
      contactEmails: missing ? (info?.contactEmails ?? []) : [],
    };
  });

  const counts = Object.fromEntries(liveGroups.map((g) => [g, sites.filter((s) => s.group === g).length])) as Record<LiveGroup, number>;
  return {
    meeting: { id: report.meeting.id, title: report.meeting.title, status: report.meeting.status, startsAt: toVietnamIso(report.meeting.startsAt), endsAt: toVietnamIso(report.meeting.endsAt) },
    phase: ledger.phase,
    now: toVietnamIso(now),
    counts: { ...counts, sites: sites.length },
    totals: ledger.totals,
    sites,
  };
}
export type LiveBoardJson = ReturnType<typeof liveBoardJson>;
