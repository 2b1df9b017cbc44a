/**
 * The incremental ledger is the specification (computeLedger) computed another way: for any
 * event stream, delivered in any order, in any batches, with duplicates (some under one id with
 * different content, as a buggy producer could), with looks at any moments in between, its
 * ledger equals computeLedger's for the same events.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { leaveCauses, type AttendanceEvent } from '../../db/attendance-event.ts';
import { replaySiteEvents } from './connections.ts';
import { canonicalEventSequence } from './event-order.ts';
import { computeLedger, type LedgerMeeting } from './ledger.ts';
import { goodLine, invited, meetingId, otherMeetingId, siteEvents } from './ledger-fixtures.ts';
import { IncrementalLedger } from './live-ledger.ts';

const propertyRuns = { seed: 20261201, numRuns: 300 } as const;
const startsAt = Date.UTC(2026, 2, 2, 1, 0, 0);
const invitedSites = [invited(1, { role: 'host' }), invited(2), invited(3)];
const offsetMs = fc.integer({ min: -60, max: 480 }).map((step) => step * 30_000);

const eventArb: fc.Arbitrary<AttendanceEvent> = fc
  .record({
    kind: fc.constantFrom('join', 'join', 'leave', 'leave', 'quality', 'floor-given', 'floor-taken'),
    site: fc.constantFrom(1, 2, 3, 1, 2, 3, 4),
    connection: fc.constantFrom('a', 'b', 'c'),
    at: offsetMs,
    cause: fc.constantFrom(...leaveCauses),
    lossPercent: fc.integer({ min: 0, max: 100 }),
    other: fc.boolean(),
  })
  .map(({ kind, site, connection, at, cause, lossPercent, other }) => {
    const events = siteEvents(site, other && site === 4 ? otherMeetingId : meetingId);
    const time = new Date(startsAt + at);
    switch (kind) {
      case 'join':
        return events.join(connection, time);
      case 'leave':
        return events.leave(connection, time, cause);
      case 'quality':
        return events.quality(connection, time, { ...goodLine, lossPercent });
      case 'floor-given':
        return events.floorGiven(time);
      default:
        return events.floorTaken(time);
    }
  });

const worldArb = fc.record({
  events: fc.array(eventArb, { maxLength: 50 }),
  /** Where the stream is cut into batches. */
  cuts: fc.array(fc.nat(60), { maxLength: 6 }),
  /** Looks at the ledger between batches, at these offsets. */
  looks: fc.array(offsetMs, { maxLength: 6 }),
  /** Events re-sent under the same id, some with other content. */
  replays: fc.array(fc.tuple(fc.nat(), offsetMs, fc.boolean()), { maxLength: 6 }),
  durationMinutes: fc.integer({ min: 15, max: 180 }),
  actualEndOffset: fc.option(offsetMs, { nil: null }),
  nowOffset: offsetMs,
  endsHalfway: fc.boolean(),
});

describe('incremental ledger', () => {
  it('equals computeLedger for any arrival order, batching and look', () => {
    fc.assert(
      fc.property(worldArb, (world) => {
        const unique = world.events.map((event, index) => ({ ...event, eventId: `${index}:${event.eventId}` }) as AttendanceEvent);
        const replayed = world.replays
          .filter(() => unique.length > 0)
          .map(([index, at, sameContent]) => {
            const original = unique[index % unique.length]!;
            return sameContent ? structuredClone(original) : ({ ...original, at: new Date(startsAt + at) } as AttendanceEvent);
          });
        const stream = [...unique, ...replayed].reverse();
        const meeting: LedgerMeeting = {
          id: meetingId,
          startsAt: new Date(startsAt),
          endsAt: new Date(startsAt + world.durationMinutes * 60_000),
          actualEndedAt: world.actualEndOffset === null ? null : new Date(startsAt + world.actualEndOffset),
        };
        const now = new Date(startsAt + world.nowOffset);
        // The meeting may be running at first and ended by the host later, as in life.
        const live = new IncrementalLedger(world.endsHalfway ? { ...meeting, actualEndedAt: null } : meeting, invitedSites, { includeQualityTimeline: true });
        const cuts = [...new Set(world.cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
        let from = 0;
        for (const [index, cut] of [...cuts, stream.length].entries()) {
          live.add(stream.slice(from, cut));
          from = cut;
          const look = world.looks[index];
          if (look !== undefined) live.ledger(new Date(startsAt + look));
          if (index === Math.floor(cuts.length / 2)) live.setMeeting(meeting);
        }
        live.setMeeting(meeting);
        const ledger = computeLedger({ meeting, invitedSites, events: stream, now });
        expect(live.ledger(now)).toEqual(ledger);
        // The live board's "as of now" replay: the events stamped up to now, in canonical order.
        const asOfNow = canonicalEventSequence(stream.filter((e) => e.meetingId === meetingId && e.at.getTime() <= now.getTime()));
        for (const site of invitedSites) {
          const expected = replaySiteEvents(
            asOfNow.filter((e) => e.siteId === site.siteId),
            ledger.phase === 'ended' ? ledger.window.to.getTime() : null,
          );
          expect(live.replayAsOf(site.siteId, now)).toEqual(expected);
        }
      }),
      propertyRuns,
    );
  });

  it('takes a newly invited site with the events it already sent', () => {
    const live = new IncrementalLedger({ id: meetingId, startsAt: new Date(startsAt), endsAt: new Date(startsAt + 3600_000) }, invitedSites.slice(0, 2));
    const events = [siteEvents(3).join('a', new Date(startsAt + 60_000))];
    live.add(events);
    const now = new Date(startsAt + 600_000);
    expect(live.ledger(now).diagnostics.uninvitedSiteEvents).toBe(1);
    live.setInvitedSites(invitedSites);
    const ledger = live.ledger(now);
    expect(ledger).toEqual(computeLedger({ meeting: live.meeting, invitedSites, events, now }));
    expect(ledger.sites[2]!.connectedNow).toBe(true);
  });
});
