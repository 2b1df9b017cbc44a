/**
 * Live attendance: the incremental ledgers of the meetings someone is looking at, and the live
 * board pushed to whoever watches it.
 *
 * A meeting's ledger is loaded once (its stored events) and then fed by every batch of events
 * stored through the same database (store.ts `onAttendanceStored`), so a report or a board of a
 * running meeting costs one pass over its sites, not a reload and replay of every event.
 *
 * Watching: each viewer holds one event stream (GET …/attendance/live/events). It gets the
 * whole board when it connects (and reconnects), then `patch` frames with the rows that
 * changed. A patch is built once per meeting and the same bytes go to every viewer, so the
 * work per event does not grow with the number of screens; events are coalesced for
 * PUSH_DELAY_MS, and a tick every TICK_MS pushes what time alone changes (the clock on the
 * board, a site gone long enough to count as left early) and keeps proxies from closing an
 * idle stream.
 *
 * Memory: a meeting nobody has looked at for IDLE_MS and nobody watches is dropped; the next
 * look loads it again.
 */
import type { AttendanceEvent } from '../../db/attendance-event.ts';
import type { AppContext } from '../context.ts';
import { ledgerThresholds } from './config.ts';
import { liveBoardJson, type LiveBoardJson, type LiveBoardSite } from './live-board.ts';
import { IncrementalLedger } from './live-ledger.ts';
import type { AttendanceLedger } from './ledger.ts';
import {
  loadEvents,
  loadMeetingAttendanceSites,
  onAttendanceStored,
  type AttendanceMeeting,
  type InvitedSiteDetails,
  type MeetingAttendanceInput,
} from './store.ts';

export interface LiveAttendanceOptions {
  /** How long events are gathered before a patch goes out. */
  pushDelayMs?: number;
  /** How often every watched board is pushed even without events. */
  tickMs?: number;
  /** How often a watched meeting's sites (names, readiness answers) are read again. */
  refreshMs?: number;
  /** A meeting unwatched and unread this long is dropped from memory. */
  idleMs?: number;
}

/** One screen watching a board; `write` gets complete SSE frames. */
export interface BoardViewer {
  write(frame: string): void;
}

interface LiveMeeting {
  meeting: AttendanceMeeting;
  invitedSites: InvitedSiteDetails[];
  ledger: IncrementalLedger;
  viewers: Set<BoardViewer>;
  /** Each site's row as last pushed, serialized. */
  pushed: Map<string, string>;
  pushTimer: NodeJS.Timeout | undefined;
  lastUsed: number;
  refreshedAt: number;
}

export class LiveAttendance {
  readonly #ctx: Pick<AppContext, 'db' | 'logger' | 'config' | 'now'>;
  readonly #pushDelayMs: number;
  readonly #refreshMs: number;
  readonly #idleMs: number;
  readonly #loaded = new Map<string, LiveMeeting>();
  readonly #loading = new Map<string, Promise<LiveMeeting | null>>();
  /** Events stored while their meeting was loading; applied once it is. */
  readonly #pending = new Map<string, AttendanceEvent[]>();
  readonly #unsubscribe: () => void;
  readonly #tick: NodeJS.Timeout;
  #closed = false;

  constructor(ctx: Pick<AppContext, 'db' | 'logger' | 'config' | 'now'>, options: LiveAttendanceOptions = {}) {
    this.#ctx = ctx;
    this.#pushDelayMs = options.pushDelayMs ?? 250;
    this.#refreshMs = options.refreshMs ?? 30_000;
    this.#idleMs = options.idleMs ?? 10 * 60_000;
    this.#unsubscribe = onAttendanceStored(ctx.db, (events) => this.#stored(events));
    this.#tick = setInterval(() => this.#onTick(), options.tickMs ?? 15_000);
    this.#tick.unref();
  }

  /** The ledger of this meeting at `now`; `fresh` is the meeting and its sites as just read. */
  async ledgerOf(fresh: Omit<MeetingAttendanceInput, 'events'>, now: Date): Promise<AttendanceLedger> {
    const live = await this.#open(fresh.meeting.id, fresh);
    if (!live) throw new Error(`meeting ${fresh.meeting.id} vanished while loading`);
    return live.ledger.ledger(now);
  }

  /** The live board at `now`; null when there is no such meeting. */
  async board(meetingId: string, now: Date): Promise<LiveBoardJson | null> {
    const live = await this.#openFresh(meetingId);
    return live ? this.#board(live, now) : null;
  }

  /**
   * Adds a viewer: it gets the whole board at once, then patches. Returns the function that
   * removes it, or null when there is no such meeting.
   */
  async watch(meetingId: string, viewer: BoardViewer): Promise<(() => void) | null> {
    const live = await this.#openFresh(meetingId);
    if (!live || this.#closed) return null;
    const board = this.#board(live, this.#ctx.now());
    if (live.viewers.size === 0) {
      // Nobody else is watching: what this viewer is about to get is all that was pushed.
      live.pushed.clear();
      for (const site of board.sites) live.pushed.set(site.siteId, JSON.stringify(site));
    }
    live.viewers.add(viewer);
    viewer.write(frame('board', board));
    return () => {
      live.viewers.delete(viewer);
      live.lastUsed = Date.now();
    };
  }

  /** Viewers of a meeting right now (tests and the bench). */
  viewerCount(meetingId: string): number {
    return this.#loaded.get(meetingId)?.viewers.size ?? 0;
  }

  /** The meeting was changed (rescheduled, sites added or removed, cancelled): read it again. */
  meetingChanged(meetingId: string): void {
    const live = this.#loaded.get(meetingId);
    if (live) void this.#refresh(live);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#unsubscribe();
    clearInterval(this.#tick);
    for (const live of this.#loaded.values()) {
      clearTimeout(live.pushTimer);
      live.viewers.clear();
    }
    this.#loaded.clear();
  }

  /** A look from a person (a page, a connecting viewer) reads the meeting and its sites again. */
  async #openFresh(meetingId: string): Promise<LiveMeeting | null> {
    const fresh = await loadMeetingAttendanceSites(this.#ctx.db, meetingId);
    return fresh ? this.#open(meetingId, fresh) : null;
  }

  #open(meetingId: string, fresh?: Omit<MeetingAttendanceInput, 'events'>): Promise<LiveMeeting | null> {
    const loaded = this.#loaded.get(meetingId);
    if (loaded) {
      loaded.lastUsed = Date.now();
      if (fresh) this.#apply(loaded, fresh);
      return Promise.resolve(loaded);
    }
    let loading = this.#loading.get(meetingId);
    if (!loading) {
      // Registered before the read starts, so nothing stored meanwhile is missed (duplicates are harmless).
      this.#pending.set(meetingId, []);
      loading = this.#load(meetingId, fresh).finally(() => {
        this.#loading.delete(meetingId);
        this.#pending.delete(meetingId);
      });
      this.#loading.set(meetingId, loading);
    }
    return loading;
  }

  async #load(meetingId: string, fresh: Omit<MeetingAttendanceInput, 'events'> | undefined): Promise<LiveMeeting | null> {
    const [sites, events] = await Promise.all([fresh ?? loadMeetingAttendanceSites(this.#ctx.db, meetingId), loadEvents(this.#ctx.db, meetingId)]);
    if (!sites) return null;
    const ledger = new IncrementalLedger(sites.meeting, sites.invitedSites, { ...ledgerThresholds(this.#ctx.config), includeQualityTimeline: false });
    ledger.add(events);
    ledger.add(this.#pending.get(meetingId) ?? []);
    const live: LiveMeeting = {
      meeting: sites.meeting,
      invitedSites: sites.invitedSites,
      ledger,
      viewers: new Set(),
      pushed: new Map(),
      pushTimer: undefined,
      lastUsed: Date.now(),
      refreshedAt: Date.now(),
    };
    if (!this.#closed) this.#loaded.set(meetingId, live);
    return live;
  }

  #apply(live: LiveMeeting, fresh: Omit<MeetingAttendanceInput, 'events'>): void {
    live.meeting = fresh.meeting;
    live.invitedSites = fresh.invitedSites;
    live.ledger.setMeeting(fresh.meeting);
    live.ledger.setInvitedSites(fresh.invitedSites);
    live.refreshedAt = Date.now();
  }

  async #refresh(live: LiveMeeting): Promise<void> {
    try {
      const fresh = await loadMeetingAttendanceSites(this.#ctx.db, live.meeting.id);
      if (!fresh) return;
      this.#apply(live, fresh);
      this.#schedulePush(live);
    } catch (err) {
      this.#ctx.logger.warn({ err, meetingId: live.meeting.id }, 'live board could not re-read its meeting; keeps the last one');
    }
  }

  #stored(events: readonly AttendanceEvent[]): void {
    const byMeeting = new Map<string, AttendanceEvent[]>();
    for (const event of events) {
      const list = byMeeting.get(event.meetingId);
      if (list) list.push(event);
      else byMeeting.set(event.meetingId, [event]);
    }
    for (const [meetingId, list] of byMeeting) {
      this.#pending.get(meetingId)?.push(...list);
      const live = this.#loaded.get(meetingId);
      if (!live) continue;
      live.ledger.add(list);
      // The host ending the meeting is recorded on the meeting row (api/conference/service.ts).
      if (list.some((e) => e.kind === 'leave' && e.cause === 'meeting-ended')) void this.#refresh(live);
      this.#schedulePush(live);
    }
  }

  #schedulePush(live: LiveMeeting): void {
    if (live.viewers.size === 0 || live.pushTimer !== undefined) return;
    live.pushTimer = setTimeout(() => {
      live.pushTimer = undefined;
      this.#push(live);
    }, this.#pushDelayMs);
    live.pushTimer.unref();
  }

  #board(live: LiveMeeting, now: Date): LiveBoardJson {
    return liveBoardJson(
      { meeting: live.meeting, invitedSites: live.invitedSites, ledger: live.ledger.ledger(now), replayOf: (siteId) => live.ledger.replayAsOf(siteId, now) },
      now,
    );
  }

  /** One patch for all viewers: the rows that changed since the last push, and the head. */
  #push(live: LiveMeeting): void {
    if (live.viewers.size === 0) return;
    const board = this.#board(live, this.#ctx.now());
    const changed: LiveBoardSite[] = [];
    const present = new Set<string>();
    let added = false;
    for (const site of board.sites) {
      present.add(site.siteId);
      const row = JSON.stringify(site);
      const before = live.pushed.get(site.siteId);
      if (before !== row) {
        if (before === undefined) added = true;
        live.pushed.set(site.siteId, row);
        changed.push(site);
      }
    }
    const removed = [...live.pushed.keys()].filter((id) => !present.has(id));
    for (const id of removed) live.pushed.delete(id);
    const { sites: _all, ...head } = board;
    // The order of all sites travels only when the set of sites changed.
    const order = added || removed.length > 0 ? { order: board.sites.map((s) => s.siteId) } : {};
    const text = frame('patch', { ...head, sites: changed, removed, ...order });
    for (const viewer of live.viewers) viewer.write(text);
  }

  #onTick(): void {
    const now = Date.now();
    for (const [meetingId, live] of this.#loaded) {
      if (live.viewers.size === 0) {
        if (now - live.lastUsed > this.#idleMs) this.#loaded.delete(meetingId);
        continue;
      }
      if (now - live.refreshedAt > this.#refreshMs) void this.#refresh(live);
      this.#push(live);
    }
  }
}

/** A server-sent event; JSON has no raw newlines, so one `data:` line carries it. */
function frame(event: 'board' | 'patch', data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}
