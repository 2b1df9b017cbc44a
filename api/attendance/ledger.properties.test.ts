/**
 * Properties of the ledger that must hold for any event stream the SFU, the network and a
 * crashing worker can produce. Two generators: "chaos" streams (any kind, any connection, any
 * order, lots of same-instant ties) for the invariants, and "sessions" with a known ground
 * truth for checking the figures and what a lost leave does to them.
 * Runs use a fixed seed so a failure in CI replays identically on a laptop.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { leaveCauses, type AttendanceEvent, type LeaveCause } from '../../db/attendance-event.ts';
import { computeLedger, type AttendanceLedger, type LedgerInput, type LedgerMeeting } from './ledger.ts';
import { goodLine, invited, meetingId, otherMeetingId, siteEvents } from './ledger-fixtures.ts';

const propertyRuns = { seed: 20260302, numRuns: 400 } as const;
const msPerMinute = 60_000;
const startsAt = Date.UTC(2026, 2, 2, 1, 0, 0);
const invitedSites = [invited(1, { role: 'host' }), invited(2), invited(3)];
const invitedNumbers = [1, 2, 3];
const uninvitedNumber = 4;

/** Times on a 30-second grid from 30 min before the start to 4 h after: many exact ties. */
const offsetMs = fc.integer({ min: -60, max: 480 }).map((step) => step * 30_000);

const meetingArb: fc.Arbitrary<{ meeting: LedgerMeeting; now: Date }> = fc
  .record({
    durationMinutes: fc.integer({ min: 15, max: 180 }),
    actualEndOffset: fc.option(offsetMs, { nil: null }),
    nowOffset: offsetMs,
  })
  .map(({ durationMinutes, actualEndOffset, nowOffset }) => ({
    meeting: {
      id: meetingId,
      startsAt: new Date(startsAt),
      endsAt: new Date(startsAt + durationMinutes * msPerMinute),
      actualEndedAt: actualEndOffset === null ? null : new Date(startsAt + actualEndOffset),
    },
    now: new Date(startsAt + nowOffset),
  }));

const chaosEventArb: fc.Arbitrary<AttendanceEvent> = fc
  .record({
    kind: fc.constantFrom('join', 'join', 'leave', 'leave', 'quality', 'floor-given', 'floor-taken'),
    site: fc.constantFrom(...invitedNumbers, ...invitedNumbers, uninvitedNumber),
    connection: fc.constantFrom('a', 'b', 'c', 'd'),
    at: offsetMs,
    cause: fc.constantFrom(...leaveCauses),
    lossPercent: fc.integer({ min: 0, max: 100 }),
    rttMs: fc.integer({ min: 0, max: 2000 }),
  })
  .map(({ kind, site, connection, at, cause, lossPercent, rttMs }) => {
    const events = siteEvents(site);
    const time = new Date(startsAt + at);
    switch (kind) {
      case 'join':
        return events.join(connection, time);
      case 'leave':
        return events.leave(connection, time, cause);
      case 'quality':
        return events.quality(connection, time, { ...goodLine, lossPercent, rttMs });
      case 'floor-given':
        return events.floorGiven(time);
      default:
        return events.floorTaken(time);
    }
  });

/** Content-derived ids collide for equal content; make every generated event distinct. */
function withUniqueIds(events: AttendanceEvent[]): AttendanceEvent[] {
  return events.map((event, index) => ({ ...event, eventId: `${index}:${event.eventId}` }));
}

const chaosEventsArb = fc
  .tuple(fc.array(chaosEventArb, { maxLength: 60 }), fc.array(fc.constantFrom(...invitedNumbers), { maxLength: 3 }))
  .map(([events, elsewhere]) => withUniqueIds([...events, ...elsewhere.map((site) => siteEvents(site, otherMeetingId).join('z', new Date(startsAt)))]));

/** A deterministic shuffle with duplicates, driven by generated numbers so fast-check can shrink it. */
function shuffleWithDuplicates(events: AttendanceEvent[], keys: number[], duplicated: number[]): AttendanceEvent[] {
  // structuredClone: a replayed event is a new object with new Date instances, as after a retry.
  const copies = events.length === 0 ? [] : duplicated.map((i) => structuredClone(events[i % events.length]!));
  const all = [...events, ...copies];
  for (let i = all.length - 1; i > 0; i -= 1) {
    const j = (keys[i % Math.max(keys.length, 1)] ?? i) % (i + 1);
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  return all;
}

function ledgerFor(world: { meeting: LedgerMeeting; now: Date }, events: AttendanceEvent[], extra: Partial<LedgerInput> = {}) {
  return computeLedger({ ...world, invitedSites, events, ...extra });
}

function expectInvariants(ledger: AttendanceLedger): void {
  const from = ledger.window.from.getTime();
  const to = ledger.window.to.getTime();
  expect(to).toBeGreaterThanOrEqual(from);
  for (const site of ledger.sites) {
    const { intervals } = site;
    let connectedMs = 0;
    intervals.forEach((interval, index) => {
      expect(interval.from.getTime()).toBeGreaterThanOrEqual(from);
      expect(interval.to.getTime()).toBeLessThanOrEqual(to);
      expect(interval.to.getTime()).toBeGreaterThan(interval.from.getTime());
      connectedMs += interval.to.getTime() - interval.from.getTime();
      const next = intervals[index + 1];
      if (next !== undefined) {
        expect(interval.open).toBe(false);
        expect(interval.to.getTime()).toBeLessThanOrEqual(next.from.getTime());
      }
      expect(interval.open).toBe(interval.endCause === null);
    });
    expect(intervals.filter((i) => i.open).length).toBeLessThanOrEqual(ledger.phase === 'running' ? 1 : 0);
    expect(site.connectedNow).toBe(intervals.at(-1)?.open ?? false);
    expect(Math.round(site.minutesConnected * msPerMinute)).toBe(connectedMs);
    expect(site.minutesConnected).toBeLessThanOrEqual(ledger.window.minutes);
    expect(site.longestGapMinutes).toBeLessThanOrEqual(ledger.window.minutes - site.minutesConnected + 1e-9);
    expect(site.drops).toBeLessThanOrEqual(Math.max(0, intervals.length - 1));

    const absent = site.status === 'absent' || site.status === 'absent-with-reason';
    expect(absent).toBe(intervals.length === 0);
    const first = intervals[0];
    if (first === undefined) {
      expect([site.firstJoinAt, site.lastLeaveAt, site.flags]).toEqual([null, null, []]);
    } else {
      // Unclipped: earlier than the clipped start only when the site joined before the window.
      const firstJoin = site.firstJoinAt!.getTime();
      expect(firstJoin === first.from.getTime() || (firstJoin < from && first.from.getTime() === from)).toBe(true);
      if (!site.connectedNow) expect(site.lastLeaveAt!.getTime()).toBeGreaterThanOrEqual(intervals.at(-1)!.to.getTime());
      // The headline is the first flag, or on time when there is none.
      expect(site.status).toBe(site.flags[0] ?? 'on-time');
    }
    expect(site.qualityTimeline.reduce((n, b) => n + b.samples, 0)).toBe(site.quality?.samples ?? 0);
  }
  const { totals } = ledger;
  expect(Object.values(totals.byStatus).reduce((a, b) => a + b, 0)).toBe(totals.invited);
  expect(totals.present + totals.absent).toBe(totals.invited);
  if (totals.attendanceRate !== null) {
    expect(totals.attendanceRate).toBeGreaterThanOrEqual(0);
    expect(totals.attendanceRate).toBeLessThanOrEqual(1);
  }
}

describe('ledger properties over chaotic event streams', () => {
  it('holds every interval, status and total invariant', () => {
    fc.assert(
      fc.property(meetingArb, chaosEventsArb, (world, events) => {
        expectInvariants(ledgerFor(world, events));
      }),
      propertyRuns,
    );
  });

  it('does not change when events are duplicated and reordered', () => {
    fc.assert(
      fc.property(
        meetingArb,
        chaosEventsArb,
        fc.array(fc.nat(), { maxLength: 80 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        (world, events, keys, duplicated) => {
          const delivered = shuffleWithDuplicates(events, keys, duplicated);
          expect(ledgerFor(world, delivered)).toStrictEqual(ledgerFor(world, events));
        },
      ),
      propertyRuns,
    );
  });

  it('ignores events of uninvited sites and other meetings entirely', () => {
    fc.assert(
      fc.property(meetingArb, chaosEventsArb, (world, events) => {
        const invitedOnly = events.filter((e) => e.meetingId === meetingId && invitedSites.some((s) => s.siteId === e.siteId));
        const { diagnostics: all, ...withNoise } = ledgerFor(world, events);
        const { diagnostics: clean, ...withoutNoise } = ledgerFor(world, invitedOnly);
        expect(withNoise).toStrictEqual(withoutNoise);
        expect(all.otherMeetingEvents + all.uninvitedSiteEvents).toBe(events.length - invitedOnly.length);
        expect(clean.otherMeetingEvents + clean.uninvitedSiteEvents).toBe(0);
      }),
      propertyRuns,
    );
  });

  it('without the quality timeline, differs only in the (empty) timelines', () => {
    fc.assert(
      fc.property(meetingArb, chaosEventsArb, (world, events) => {
        const full = ledgerFor(world, events);
        const lean = ledgerFor(world, events, { includeQualityTimeline: false });
        expect(lean.sites.every((s) => s.qualityTimeline.length === 0)).toBe(true);
        expect({ ...lean, sites: lean.sites.map((s) => ({ ...s, qualityTimeline: null })) }).toStrictEqual({
          ...full,
          sites: full.sites.map((s) => ({ ...s, qualityTimeline: null })),
        });
      }),
      propertyRuns,
    );
  });
});

/** One browser session of a site: what really happened, before the SFU reports it. */
interface Session {
  connectionId: string;
  start: number;
  end: number;
  cause: LeaveCause;
  samples: number[];
}

const sessionsArb: fc.Arbitrary<Session[]> = fc
  .record({
    firstStart: offsetMs,
    pieces: fc.array(
      fc.record({
        lengthMs: fc.integer({ min: 1, max: 90 }).map((m) => m * 30_000),
        gapMs: fc.integer({ min: 0, max: 40 }).map((m) => m * 30_000),
        cause: fc.constantFrom(...leaveCauses),
        sampleCount: fc.integer({ min: 0, max: 4 }),
      }),
      { minLength: 1, maxLength: 6 },
    ),
  })
  .map(({ firstStart, pieces }) => {
    let start = startsAt + firstStart;
    return pieces.map((piece, index) => {
      const end = start + piece.lengthMs;
      const samples = Array.from({ length: piece.sampleCount }, (_, k) => start + ((k + 1) * piece.lengthMs) / (piece.sampleCount + 1));
      const session = { connectionId: `conn-${index}`, start, end, cause: piece.cause, samples };
      start = end + piece.gapMs;
      return session;
    });
  });

/**
 * What the SFU has reported about site 2's sessions by `now` (nothing from the future).
 * `lostLeaves`: sessions whose leave never arrived; `lateCleanups`: of those, the ones whose
 * dead worker's cleanup still reports the leave, but only after the site has rejoined.
 */
function reportedSessionEvents(
  sessions: Session[],
  now: Date,
  lostLeaves: ReadonlySet<number> = new Set(),
  lateCleanups: ReadonlySet<number> = new Set(),
): AttendanceEvent[] {
  const events = siteEvents(2);
  return sessions
    .flatMap((session, index) => {
      const rejoin = sessions[index + 1]?.start;
      const leaveAt = !lostLeaves.has(index) ? session.end : lateCleanups.has(index) && rejoin !== undefined ? rejoin + 1_000 : null;
      return [
        events.join(session.connectionId, new Date(session.start)),
        ...session.samples.map((at) => events.quality(session.connectionId, new Date(Math.round(at)), goodLine)),
        ...(leaveAt === null ? [] : [events.leave(session.connectionId, new Date(leaveAt), session.cause)]),
      ];
    })
    .filter((event) => event.at.getTime() <= now.getTime());
}

function clippedMs(start: number, end: number, from: number, to: number): number {
  return Math.max(0, Math.min(end, to) - Math.max(start, from));
}

/** A meeting cannot have been ended by its host after `now`. */
const realisticMeetingArb = meetingArb.map((world) =>
  (world.meeting.actualEndedAt?.getTime() ?? -Infinity) > world.now.getTime() ? { ...world, meeting: { ...world.meeting, actualEndedAt: null } } : world,
);

describe('ledger properties against a known ground truth', () => {
  it('reports exactly the sessions that happened, clipped to the window, still open if not yet left, and their drops', () => {
    fc.assert(
      fc.property(realisticMeetingArb, sessionsArb, (world, sessions) => {
        const ledger = ledgerFor(world, reportedSessionEvents(sessions, world.now));
        const from = ledger.window.from.getTime();
        const to = ledger.window.to.getTime();
        const now = world.now.getTime();
        const site = ledger.sites[1]!;
        const truth = sessions.filter((s) => clippedMs(s.start, s.end, from, to) > 0);
        expect(site.intervals.map((i) => [i.connectionId, i.from.getTime(), i.to.getTime(), i.open])).toEqual(
          truth.map((s) => [s.connectionId, Math.max(s.start, from), Math.min(s.end, to), ledger.phase === 'running' && s.end > now]),
        );
        const involuntary: LeaveCause[] = ['network', 'server-failure', 'shutdown'];
        const drops = truth.slice(0, -1).filter((s) => involuntary.includes(s.cause)).length;
        expect(site.drops).toBe(drops);
        expect(ledger.diagnostics).toMatchObject({ inferredJoins: 0, unmatchedLeaves: 0, staleConnectionEvents: 0 });
        expectInvariants(ledger);
      }),
      propertyRuns,
    );
  });

  it('extends a session whose leave was lost exactly up to the rejoin (or the window end), nothing more', () => {
    fc.assert(
      fc.property(
        realisticMeetingArb,
        sessionsArb,
        fc.array(fc.nat({ max: 5 }), { maxLength: 4 }),
        fc.array(fc.nat({ max: 5 }), { maxLength: 4 }),
        (world, sessions, lost, cleanedUpLate) => {
          const lostLeaves = new Set(lost.filter((i) => i < sessions.length));
          const lateCleanups = new Set(cleanedUpLate.filter((i) => lostLeaves.has(i)));
          const truthLedger = ledgerFor(world, reportedSessionEvents(sessions, world.now));
          const damagedLedger = ledgerFor(world, reportedSessionEvents(sessions, world.now, lostLeaves, lateCleanups));
          const from = damagedLedger.window.from.getTime();
          const to = damagedLedger.window.to.getTime();
          // The lost leave's interval now runs on to the next join, or to the window's end.
          const extensionMs = [...lostLeaves].reduce((sum, index) => sum + clippedMs(sessions[index]!.end, sessions[index + 1]?.start ?? to, from, to), 0);
          const truth = truthLedger.sites[1]!;
          const damaged = damagedLedger.sites[1]!;
          expect(Math.round(damaged.minutesConnected * msPerMinute)).toBe(Math.round(truth.minutesConnected * msPerMinute) + extensionMs);
          // The same connections in the same order, plus any a lost leave stretched into the
          // window: a late cleanup never reopens, cuts or reorders anything.
          const reachedUntil = (index: number) => (lostLeaves.has(index) ? (sessions[index + 1]?.start ?? Infinity) : sessions[index]!.end);
          const present = sessions.filter((s, index) => clippedMs(s.start, reachedUntil(index), from, to) > 0);
          expect(damaged.intervals.map((i) => i.connectionId)).toEqual(present.map((s) => s.connectionId));
          expect(damaged.firstJoinAt?.getTime() ?? null).toBe(present[0]?.start ?? null);
          expectInvariants(damagedLedger);
        },
      ),
      propertyRuns,
    );
  });
});
