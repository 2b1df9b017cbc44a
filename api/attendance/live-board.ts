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
 *
 * The board is built by the live attendance service (live-attendance.ts) from its incremental
 * ledger, once per change for every viewer: pushed over one event stream per viewer, whole on
 * (re)connect and as changed rows after.
 */
import type { LeaveCause } from '../../db/attendance-event.ts';
import { fastVietnamIso as toVietnamIso } from '../time.ts';
import type { SiteReplay } from './connections.ts';
import type { AttendanceLedger } from './ledger.ts';
import type { AttendanceMeeting, InvitedSiteDetails } from './store.ts';

export interface LiveBoardSource {
  meeting: AttendanceMeeting;
  /** Same order as `ledger.sites`. */
  invitedSites: readonly InvitedSiteDetails[];
  ledger: AttendanceLedger;
  /** The site's replay as of now (events stamped later left out), closed as the ledger closes it. */
  replayOf(siteId: string): SiteReplay;
}

export const liveGroups = ['connected', 'dropped', 'not-joined'] as const;
export type LiveGroup = (typeof liveGroups)[number];

export function liveBoardJson(source: LiveBoardSource, now: Date) {
  const { ledger } = source;
  const details = new Map(source.invitedSites.map((s) => [s.siteId, s]));

  const sites = ledger.sites.map((site) => {
    const replay = source.replayOf(site.siteId);
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
    meeting: {
      id: source.meeting.id,
      title: source.meeting.title,
      status: source.meeting.status,
      startsAt: toVietnamIso(source.meeting.startsAt),
      endsAt: toVietnamIso(source.meeting.endsAt),
    },
    phase: ledger.phase,
    now: toVietnamIso(now),
    counts: { ...counts, sites: sites.length },
    totals: ledger.totals,
    sites,
  };
}
export type LiveBoardJson = ReturnType<typeof liveBoardJson>;
export type LiveBoardSite = LiveBoardJson['sites'][number];
