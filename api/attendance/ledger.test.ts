import { describe, expect, it } from 'vitest';
import { computeLedger, LedgerInputError, type InvitedSite, type LedgerInput } from './ledger.ts';
import { goodLine, hanoi, invited, meeting, otherMeetingId, siteEvents, siteId } from './ledger-fixtures.ts';
import type { AttendanceEvent } from '../../db/attendance-event.ts';

const afterTheMeeting = hanoi('12:00');

function ledgerOf(events: AttendanceEvent[], overrides: Partial<LedgerInput> = {}) {
  return computeLedger({ meeting, invitedSites: [invited(1)], events, now: afterTheMeeting, ...overrides });
}

function onlySite(events: AttendanceEvent[], overrides: Partial<LedgerInput> = {}) {
  const site = ledgerOf(events, overrides).sites[0];
  if (site === undefined) throw new Error('expected one site');
  return site;
}

const s1 = siteEvents(1);

describe('status of a site', () => {
  it('is on time when connected from before the start to the end; early minutes do not count', () => {
    const site = onlySite([s1.join('a', '07:45'), s1.leave('a', '10:00', 'meeting-ended')]);
    expect(site.status).toBe('on-time');
    expect(site.flags).toEqual([]);
    expect(site.firstJoinAt).toEqual(hanoi('07:45'));
    expect(site.lastLeaveAt).toEqual(hanoi('10:00'));
    expect(site.intervals.map((i) => [i.from, i.to])).toEqual([[hanoi('08:00'), hanoi('10:00')]]);
    expect(site.minutesConnected).toBe(120);
    expect(site.leaveCauses['meeting-ended']).toBe(1);
  });

  it('is on time when joining exactly at the late threshold, late one second after', () => {
    expect(onlySite([s1.join('a', '08:05:00'), s1.leave('a', '10:00', 'meeting-ended')]).status).toBe('on-time');
    const late = onlySite([s1.join('a', '08:05:01'), s1.leave('a', '10:00', 'meeting-ended')]);
    expect(late.status).toBe('late');
    expect(late.flags).toEqual(['late']);
  });

  it('honours a custom late threshold', () => {
    const events = [s1.join('a', '08:08'), s1.leave('a', '10:00', 'meeting-ended')];
    expect(onlySite(events, { lateThresholdMinutes: 10 }).status).toBe('on-time');
    expect(onlySite(events, { lateThresholdMinutes: 5 }).status).toBe('late');
  });

  it('is late when a sound check before the start was followed by a late return', () => {
    const site = onlySite([s1.join('a', '07:40'), s1.leave('a', '07:50', 'left'), s1.join('b', '08:20'), s1.leave('b', '10:00', 'meeting-ended')]);
    expect(site.status).toBe('late');
    expect(site.firstJoinAt).toEqual(hanoi('08:20'));
    expect(site.minutesConnected).toBe(100);
    expect(site.intervals).toHaveLength(1);
  });

  it('is left early when it left more than the threshold before the end', () => {
    const site = onlySite([s1.join('a', '08:00'), s1.leave('a', '09:30', 'left')]);
    expect(site.status).toBe('left-early');
    expect(site.lastLeaveAt).toEqual(hanoi('09:30'));
    expect(site.lastLeaveCause).toBe('left');
    expect(site.minutesConnected).toBe(90);
    expect(onlySite([s1.join('a', '08:00'), s1.leave('a', '09:55', 'left')]).status).toBe('on-time');
  });

  it('is left early when its line died and never came back, with the cause kept', () => {
    const site = onlySite([s1.join('a', '08:00'), s1.leave('a', '09:00', 'network')]);
    expect(site.status).toBe('left-early');
    expect(site.drops).toBe(0);
    expect(site.lastLeaveCause).toBe('network');
    expect(site.leaveCauses.network).toBe(1);
  });

  it('is not left early when the meeting-ended leave came before the scheduled end', () => {
    const site = onlySite([s1.join('a', '08:00'), s1.leave('a', '09:30', 'meeting-ended')]);
    expect(site.status).toBe('on-time');
  });

  it('headlines late over left early and keeps both flags', () => {
    const ledger = ledgerOf([s1.join('a', '08:30'), s1.leave('a', '09:00', 'left')]);
    expect(ledger.sites[0]?.status).toBe('late');
    expect(ledger.sites[0]?.flags).toEqual(['late', 'left-early']);
    expect(ledger.totals).toMatchObject({ present: 1, late: 1, leftEarly: 1, absent: 0 });
  });

  it('is absent with reason only for a decline that gives a reason', () => {
    const answeredAt = hanoi('07:00');
    const sites: InvitedSite[] = [
      invited(1, { rsvp: { answer: 'declined', reason: '  Trùng lịch tiếp dân  ', answeredAt } }),
      invited(2, { rsvp: { answer: 'declined', reason: '   ', answeredAt } }),
      invited(3, { rsvp: { answer: 'attending', answeredAt } }),
      invited(4),
    ];
    const ledger = computeLedger({ meeting, invitedSites: sites, events: [], now: afterTheMeeting });
    expect(ledger.sites.map((s) => [s.status, s.absenceReason])).toEqual([
      ['absent-with-reason', 'Trùng lịch tiếp dân'],
      ['absent', null],
      ['absent', null],
      ['absent', null],
    ]);
    expect(ledger.totals).toMatchObject({ invited: 4, present: 0, absent: 4, absentWithReason: 1, absentWithoutReason: 3 });
    expect(ledger.totals.attendanceRate).toBe(0);
  });

  it('is present, not absent with reason, when a site that declined came anyway', () => {
    const site = computeLedger({
      meeting,
      invitedSites: [invited(1, { rsvp: { answer: 'declined', reason: 'Bận', answeredAt: hanoi('07:00') } })],
      events: [s1.join('a', '08:00'), s1.leave('a', '10:00', 'meeting-ended')],
      now: afterTheMeeting,
    }).sites[0];
    expect(site?.status).toBe('on-time');
    expect(site?.absenceReason).toBeNull();
  });

  it('is absent when it was only connected before the start or after the end', () => {
    const site = onlySite([s1.join('a', '07:30'), s1.leave('a', '08:00', 'left'), s1.join('b', '10:00'), s1.leave('b', '10:30', 'left')]);
    expect(site.status).toBe('absent');
    expect(site.intervals).toEqual([]);
    expect(site.firstJoinAt).toBeNull();
  });
});

describe('drops, gaps and worker failures', () => {
  it('counts a network leave followed by a rejoin as a drop and measures the gap', () => {
    const site = onlySite([
      s1.join('a', '08:00'),
      s1.leave('a', '08:30', 'network'),
      s1.join('b', '08:33'),
      s1.leave('b', '09:00', 'server-failure'),
      s1.join('c', '09:10'),
      s1.leave('c', '10:00', 'meeting-ended'),
    ]);
    expect(site.drops).toBe(2);
    expect(site.longestGapMinutes).toBe(10);
    expect(site.minutesConnected).toBe(107);
    expect(site.status).toBe('on-time');
    expect(site.leaveCauses).toMatchObject({ network: 1, 'server-failure': 1, 'meeting-ended': 1 });
  });

  it('does not count a voluntary leave and return as a drop', () => {
    const site = onlySite([s1.join('a', '08:00'), s1.leave('a', '08:30', 'left'), s1.join('b', '08:40'), s1.leave('b', '10:00', 'meeting-ended')]);
    expect(site.drops).toBe(0);
    expect(site.longestGapMinutes).toBe(10);
  });

  it('closes a connection whose leave was lost at the rejoin on a new connection', () => {
    const ledger = ledgerOf([
      s1.join('a', '08:00'),
      s1.quality('a', '08:39', goodLine),
      s1.join('b', '08:40'),
      // The dead worker's cleanup reports late; connection a is already closed.
      s1.leave('a', '08:41', 'server-failure'),
      s1.quality('a', '08:42', goodLine),
      s1.leave('b', '10:00', 'meeting-ended'),
    ]);
    const site = ledger.sites[0]!;
    expect(site.intervals.map((i) => [i.connectionId, i.from, i.to, i.endCause, i.endInferred])).toEqual([
      ['a', hanoi('08:00'), hanoi('08:40'), 'server-failure', true],
      ['b', hanoi('08:40'), hanoi('10:00'), 'meeting-ended', false],
    ]);
    expect(site.drops).toBe(1);
    expect(site.longestGapMinutes).toBe(0);
    expect(site.minutesConnected).toBe(120);
    expect(site.quality?.samples).toBe(1);
    expect(ledger.diagnostics).toMatchObject({ staleConnectionEvents: 2, inferredLeaves: 1 });
  });

  it('closes a connection whose leave was lost at the meeting end, without calling it left early', () => {
    const ledger = ledgerOf([s1.join('a', '08:00')]);
    const site = ledger.sites[0]!;
    expect(site.intervals).toEqual([
      {
        connectionId: 'a',
        from: hanoi('08:00'),
        to: hanoi('10:00'),
        open: false,
        endCause: 'server-failure',
        startInferred: false,
        endInferred: true,
      },
    ]);
    expect(site.status).toBe('on-time');
    expect(site.drops).toBe(0);
    expect(ledger.diagnostics.inferredLeaves).toBe(1);
  });

  it('opens an interval from a quality sample when the join was lost', () => {
    const site = onlySite([s1.quality('a', '08:02', goodLine), s1.leave('a', '10:00', 'meeting-ended')]);
    expect(site.intervals[0]).toMatchObject({ from: hanoi('08:02'), startInferred: true });
    expect(site.status).toBe('on-time');
  });

  it('ignores a leave with no open connection', () => {
    const ledger = ledgerOf([s1.leave('a', '08:30', 'network')]);
    expect(ledger.sites[0]?.status).toBe('absent');
    expect(ledger.diagnostics.unmatchedLeaves).toBe(1);
  });

  it('ignores a repeated join under another event id', () => {
    const repeat = { ...s1.join('a', '08:30'), eventId: 'retried-join' };
    const site = onlySite([s1.join('a', '08:00'), repeat, s1.leave('a', '10:00', 'meeting-ended')]);
    expect(site.intervals).toHaveLength(1);
    expect(site.minutesConnected).toBe(120);
  });
});

describe('the meeting window', () => {
  it('counts an open interval up to now while the meeting runs', () => {
    const ledger = ledgerOf([s1.join('a', '08:00')], { now: hanoi('09:00') });
    const site = ledger.sites[0]!;
    expect(ledger.phase).toBe('running');
    expect(ledger.window).toEqual({ from: hanoi('08:00'), to: hanoi('09:00'), minutes: 60 });
    expect(site.connectedNow).toBe(true);
    expect(site.lastLeaveAt).toBeNull();
    expect(site.intervals).toEqual([expect.objectContaining({ open: true, to: hanoi('09:00'), endCause: null })]);
    expect(site.minutesConnected).toBe(60);
    expect(ledger.diagnostics.inferredLeaves).toBe(0);
  });

  it('shows a site gone for longer than the threshold as left early on the live board', () => {
    const events = [s1.join('a', '08:00'), s1.leave('a', '08:30', 'network')];
    expect(onlySite(events, { now: hanoi('08:34') }).status).toBe('on-time');
    expect(onlySite(events, { now: hanoi('08:36') }).status).toBe('left-early');
    expect(onlySite([...events, s1.join('b', '08:40')], { now: hanoi('08:41') }).status).toBe('on-time');
  });

  it('uses the actual end when the host ended the meeting', () => {
    const ledger = ledgerOf([s1.join('a', '08:00'), s1.leave('a', '09:30', 'meeting-ended')], {
      meeting: { ...meeting, actualEndedAt: hanoi('09:30') },
      now: hanoi('09:31'),
    });
    expect(ledger.phase).toBe('ended');
    expect(ledger.window.minutes).toBe(90);
    expect(ledger.sites[0]?.status).toBe('on-time');
  });

  it('shows everyone absent before the start and does not close sound-check connections', () => {
    const ledger = ledgerOf([s1.join('a', '07:50')], { now: hanoi('07:55') });
    expect(ledger.phase).toBe('not-started');
    expect(ledger.window.minutes).toBe(0);
    expect(ledger.sites[0]?.status).toBe('absent');
    expect(ledger.diagnostics.inferredLeaves).toBe(0);
  });
});

describe('quality', () => {
  it('summarises median and p95 and buckets samples per minute', () => {
    const losses = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    const events = [
      s1.join('a', '08:00'),
      ...losses.map((lossPercent, i) =>
        s1.quality('a', `08:0${Math.floor(i / 6)}:${String((i % 6) * 10).padStart(2, '0')}`, {
          ...goodLine,
          lossPercent,
          rttMs: 100 + i * 10,
        }),
      ),
      s1.leave('a', '10:00', 'meeting-ended'),
    ];
    const site = onlySite(events);
    expect(site.quality).toMatchObject({
      samples: 11,
      lossPercent: { median: 5, p95: 9.5 },
      rttMs: { median: 150, p95: 195 },
      bitrateKbps: { median: 1500, p95: 1500 },
    });
    expect(site.qualityTimeline).toEqual([
      expect.objectContaining({ from: hanoi('08:00'), samples: 6, medianLossPercent: 2.5, maxLossPercent: 5 }),
      expect.objectContaining({ from: hanoi('08:01'), samples: 5, medianLossPercent: 8, maxLossPercent: 10 }),
    ]);
  });

  it('leaves out samples from before the start', () => {
    const site = onlySite([
      s1.join('a', '07:50'),
      s1.quality('a', '07:55', { ...goodLine, lossPercent: 50 }),
      s1.quality('a', '08:10', goodLine),
      s1.leave('a', '10:00', 'meeting-ended'),
    ]);
    expect(site.quality?.samples).toBe(1);
    expect(site.quality?.lossPercent.median).toBe(0.5);
  });

  it('has no summary without samples', () => {
    expect(onlySite([s1.join('a', '08:00')]).quality).toBeNull();
  });
});

describe('totals and diagnostics', () => {
  it('counts participants only, and ignores events of uninvited sites and other meetings', () => {
    const host = siteEvents(9);
    const uninvited = siteEvents(7);
    const elsewhere = siteEvents(1, otherMeetingId);
    const ledger = computeLedger({
      meeting,
      invitedSites: [invited(9, { role: 'host', siteName: 'Hội trường UBND tỉnh' }), invited(1), invited(2)],
      events: [
        host.join('h', '07:30'),
        host.leave('h', '10:00', 'meeting-ended'),
        host.floorGiven('08:30'),
        s1.join('a', '08:00'),
        s1.leave('a', '10:00', 'meeting-ended'),
        uninvited.join('x', '08:00'),
        uninvited.leave('x', '09:00', 'left'),
        elsewhere.join('z', '08:00'),
      ],
      now: afterTheMeeting,
    });
    expect(ledger.sites.map((s) => s.status)).toEqual(['on-time', 'on-time', 'absent']);
    expect(ledger.sites[0]?.floorGrants).toBe(1);
    expect(ledger.totals).toEqual({
      invited: 2,
      present: 1,
      late: 0,
      leftEarly: 0,
      absent: 1,
      absentWithReason: 0,
      absentWithoutReason: 1,
      byStatus: { 'on-time': 1, late: 0, 'left-early': 0, 'absent-with-reason': 0, absent: 1 },
      attendanceRate: 0.5,
    });
    expect(ledger.diagnostics).toMatchObject({
      distinctEvents: 8,
      otherMeetingEvents: 1,
      uninvitedSiteEvents: 2,
      uninvitedSiteIds: [siteId(7)],
    });
  });

  it('has no attendance rate without participants', () => {
    expect(computeLedger({ meeting, invitedSites: [], events: [], now: afterTheMeeting }).totals.attendanceRate).toBeNull();
  });

  it('rejects a site invited twice and a negative threshold', () => {
    expect(() => computeLedger({ meeting, invitedSites: [invited(1), invited(1)], events: [], now: afterTheMeeting })).toThrow(LedgerInputError);
    expect(() => ledgerOf([], { lateThresholdMinutes: -1 })).toThrow(LedgerInputError);
  });
});
