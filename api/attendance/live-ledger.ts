/**
 * The ledger of a running meeting, kept up to date from events as they arrive instead of being
 * rebuilt from every stored event at each look.
 *
 * It holds each site's events in canonical order (event-order.ts) and each site's replay
 * (connections.ts); an event re-sorts and re-replays only its own site. `ledger(now)` then
 * clips and summarises every site (the window of a running meeting ends at `now`, so that
 * part depends on the clock) through the same `assembleLedger` that computeLedger uses: for the
 * same events it returns exactly computeLedger's ledger, whatever the order and batching of
 * arrival (live-ledger.properties.test.ts).
 */
import type { AttendanceEvent } from '../../db/attendance-event.ts';
import { replaySiteEvents, type SiteReplay } from './connections.ts';
import { compareEvents } from './event-order.ts';
import {
  assembleLedger,
  ledgerSettings,
  meetingWindow,
  requireDistinctSites,
  requireValidDates,
  type AttendanceLedger,
  type InvitedSite,
  type LedgerMeeting,
  type LedgerOptions,
  type LedgerSettings,
} from './ledger.ts';

interface SiteState {
  /** Canonical order. */
  events: AttendanceEvent[];
  replay: SiteReplay | null;
  /** The `closeOpenIntervalAt` the cached replay was made with. */
  replayClosedAt: number | null;
}

export class IncrementalLedger {
  #meeting: LedgerMeeting;
  #invitedSites: readonly InvitedSite[];
  #invitedIds: Set<string>;
  readonly #settings: LedgerSettings;
  /** Every distinct event (the smallest in canonical order per eventId, as computeLedger keeps). */
  readonly #byEventId = new Map<string, AttendanceEvent>();
  /** Events of this meeting per site, invited or not (a site may be invited later). */
  readonly #sites = new Map<string, SiteState>();
  #otherMeetingEvents = 0;

  constructor(meeting: LedgerMeeting, invitedSites: readonly InvitedSite[], options: LedgerOptions = {}) {
    this.#settings = ledgerSettings(options);
    this.#meeting = meeting;
    this.#invitedSites = invitedSites;
    this.#invitedIds = requireDistinctSites(invitedSites);
  }

  get meeting(): LedgerMeeting {
    return this.#meeting;
  }

  get invitedSites(): readonly InvitedSite[] {
    return this.#invitedSites;
  }

  /** A changed meeting window (the host ended it, it was rescheduled). */
  setMeeting(meeting: LedgerMeeting): void {
    this.#meeting = meeting;
  }

  /** A changed invitation list, names or readiness answers. */
  setInvitedSites(invitedSites: readonly InvitedSite[]): void {
    this.#invitedIds = requireDistinctSites(invitedSites);
    this.#invitedSites = invitedSites;
  }

  /** Takes new events (replays and duplicates are harmless). Returns the sites whose events changed. */
  add(events: readonly AttendanceEvent[]): Set<string> {
    const changed = new Set<string>();
    for (const event of events) {
      if (Number.isNaN(event.at.getTime())) continue;
      const kept = this.#byEventId.get(event.eventId);
      if (kept !== undefined && compareEvents(event, kept) >= 0) continue;
      this.#byEventId.set(event.eventId, event);
      if (kept !== undefined) this.#remove(kept, changed);
      if (event.meetingId !== this.#meeting.id) {
        this.#otherMeetingEvents += 1;
        continue;
      }
      const site = this.#site(event.siteId);
      insertSorted(site.events, event);
      site.replay = null;
      changed.add(event.siteId);
    }
    return changed;
  }

  /**
   * The site's replay as of `now`, closed as the ledger closes it at `now`: events stamped
   * after `now` (a clock a little ahead) are left out until their time comes. Cached unless
   * there are such events.
   */
  replayAsOf(siteId: string, now: Date): SiteReplay {
    const window = meetingWindow(this.#meeting, now.getTime());
    const closeAt = window.phase === 'ended' ? window.to : null;
    const events = this.#sites.get(siteId)?.events ?? [];
    const last = events.at(-1);
    if (last === undefined || last.at.getTime() <= now.getTime()) return this.#replay(siteId, closeAt);
    return replaySiteEvents(
      events.filter((e) => e.at.getTime() <= now.getTime()),
      closeAt,
    );
  }

  ledger(now: Date): AttendanceLedger {
    requireValidDates(this.#meeting, now);
    const window = meetingWindow(this.#meeting, now.getTime());
    const closeAt = window.phase === 'ended' ? window.to : null;
    const replays = this.#invitedSites.map((site) => this.#replay(site.siteId, closeAt));
    let uninvitedSiteEvents = 0;
    const uninvitedSiteIds: string[] = [];
    for (const [siteId, state] of this.#sites) {
      if (this.#invitedIds.has(siteId) || state.events.length === 0) continue;
      uninvitedSiteEvents += state.events.length;
      uninvitedSiteIds.push(siteId);
    }
    return assembleLedger(this.#meeting, this.#invitedSites, replays, window, this.#settings, {
      distinctEvents: this.#byEventId.size,
      otherMeetingEvents: this.#otherMeetingEvents,
      uninvitedSiteEvents,
      uninvitedSiteIds: uninvitedSiteIds.sort(),
    });
  }

  #site(siteId: string): SiteState {
    let site = this.#sites.get(siteId);
    if (site === undefined) {
      site = { events: [], replay: null, replayClosedAt: null };
      this.#sites.set(siteId, site);
    }
    return site;
  }

  #remove(event: AttendanceEvent, changed: Set<string>): void {
    if (event.meetingId !== this.#meeting.id) {
      this.#otherMeetingEvents -= 1;
      return;
    }
    const site = this.#sites.get(event.siteId);
    if (site === undefined) return;
    const index = site.events.indexOf(event);
    if (index >= 0) site.events.splice(index, 1);
    site.replay = null;
    changed.add(event.siteId);
  }

  #replay(siteId: string, closeAt: number | null): SiteReplay {
    const site = this.#sites.get(siteId);
    if (site === undefined) return replaySiteEvents([], closeAt);
    if (site.replay === null || site.replayClosedAt !== closeAt) {
      site.replay = replaySiteEvents(site.events, closeAt);
      site.replayClosedAt = closeAt;
    }
    return site.replay;
  }
}

/** Events mostly arrive in order, so this is usually an append. */
function insertSorted(list: AttendanceEvent[], event: AttendanceEvent): void {
  let lo = 0;
  let hi = list.length;
  if (hi === 0 || compareEvents(list[hi - 1]!, event) <= 0) {
    list.push(event);
    return;
  }
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareEvents(list[mid]!, event) <= 0) lo = mid + 1;
    else hi = mid;
  }
  list.splice(lo, 0, event);
}
