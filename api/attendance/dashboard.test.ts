import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../tests/support/app.ts';
import { ATTENDANCE_TEST_CONFIG, badLine, goodLine, scheduleMeeting, siteEvents, sitesOf, vn } from '../../tests/support/attendance.ts';
import { DRIVERS } from '../../tests/support/database.ts';
import { recordAttendanceEvents } from './store.ts';

/**
 * Four meetings of Quảng Trị in early December 2026 and one of Hà Nội, plus a cancelled one, a
 * future one and one outside the range that must not count. In Quảng Trị:
 * X attends everything on time; Y misses three of four (chronic); Z is late twice on a bad line
 * (a quality hotspot); W is invited once and misses it (one absence is not chronic).
 */
describe.each(DRIVERS)('attendance dashboard on %s', (driver) => {
  let t: TestApp;
  let X: string, Y: string, Z: string, W: string, H: string;
  const quangTri: string[] = [];
  let hanoiMeeting: string;

  beforeAll(async () => {
    t = await createTestApp(driver, { provinces: ['44', '01'], config: ATTENDANCE_TEST_CONFIG });
    const qt = await sitesOf(t, '44');
    const hn = await sitesOf(t, '01');
    [X, Y, Z, W] = qt.communes.slice(0, 4).map((c) => c.id) as [string, string, string, string];
    H = hn.communes[0]!.id;
    const hall = qt.halls[0]!.id;

    for (const [index, day] of ['2026-12-02', '2026-12-03', '2026-12-04', '2026-12-05'].entries()) {
      const at = (time: string) => vn(`${day} ${time}`);
      const meeting = await scheduleMeeting(t, {
        title: `Giao ban ${day}`,
        hostSiteId: hall,
        siteIds: index === 0 ? [X, Y, Z, W] : [X, Y, Z],
        startsAt: at('09:00'),
        endsAt: at('11:00'),
      });
      quangTri.push(meeting.id);
      const late = index < 2;
      await recordAttendanceEvents(t.database.db, [
        ...siteEvents(meeting.id, X).session('x', at('08:58'), at('11:00'), 'meeting-ended'),
        ...(index === 3 ? siteEvents(meeting.id, Y).session('y', at('09:00'), at('11:00'), 'meeting-ended') : []),
        ...siteEvents(meeting.id, Z).session('z', late ? at('09:30') : at('09:00'), at('11:00'), 'meeting-ended', late ? badLine : goodLine),
      ]);
    }
    const hnHall = hn.halls[0]!.id;
    const hanoi = await scheduleMeeting(t, {
      title: 'Hà Nội',
      hostSiteId: hnHall,
      siteIds: [H],
      startsAt: vn('2026-12-06 14:00'),
      endsAt: vn('2026-12-06 15:00'),
    });
    hanoiMeeting = hanoi.id;
    await recordAttendanceEvents(t.database.db, siteEvents(hanoi.id, H).session('h', vn('2026-12-06 14:00'), vn('2026-12-06 15:00'), 'meeting-ended'));

    // Not counted: cancelled, outside the range, and not over yet when the dashboard is read.
    const cancelled = await scheduleMeeting(t, {
      title: 'Hủy',
      hostSiteId: hall,
      siteIds: [X, Y],
      startsAt: vn('2026-12-07 09:00'),
      endsAt: vn('2026-12-07 10:00'),
    });
    await t.services.meetings.cancel(cancelled.id, undefined, {
      id: cancelled.createdBy,
      email: 'secretariat@test.hoinghi',
      displayName: 'Test secretariat',
      role: 'secretariat',
      unitCode: 'VN',
    });
    await scheduleMeeting(t, { title: 'Sau', hostSiteId: hall, siteIds: [X, Y], startsAt: vn('2026-12-20 09:00'), endsAt: vn('2026-12-20 10:00') });
    await scheduleMeeting(t, { title: 'Đang họp', hostSiteId: hall, siteIds: [X, Y], startsAt: vn('2026-12-09 09:00'), endsAt: vn('2026-12-09 17:00') });
  });
  afterAll(() => t.close());

  const dashboard = (query: string, cookie = t.cookies.leader) => t.request('GET', `/api/reports/attendance${query}`, { cookie });

  it('counts each Quảng Trị commune over the range, flags chronic absentees and quality hotspots', async () => {
    t.clock.now = vn('2026-12-09 12:00');
    const { status, body } = await dashboard('?from=2026-12-01&to=2026-12-10&province=44');
    expect(status).toBe(200);
    expect(body.province).toEqual({ code: '44', name: expect.any(String) });
    expect(body.meetings.map((m: { id: string }) => m.id)).toEqual(quangTri);
    expect(body.meetings[0]).toMatchObject({ invited: 4, attended: 2, late: 1, absent: 2, attendanceRate: 0.5, startsAt: '2026-12-02T09:00:00+07:00' });
    expect(body.totals).toEqual({
      meetings: 4,
      communes: 4,
      invitations: 13,
      attended: 9,
      attendanceRate: 9 / 13,
      late: 2,
      absent: 4,
      chronicAbsentees: 1,
      qualityHotspots: 1,
    });

    const row = (id: string) => body.communes.find((c: { siteId: string }) => c.siteId === id);
    expect(row(X)).toMatchObject({
      invited: 4,
      attended: 4,
      attendanceRate: 1,
      late: 0,
      absent: 0,
      chronicAbsentee: false,
      qualityHotspot: false,
      provinceCode: '44',
    });
    expect(row(Y)).toMatchObject({
      invited: 4,
      attended: 1,
      attendanceRate: 0.25,
      absent: 3,
      absentWithoutReason: 3,
      chronicAbsentee: true,
      absentMeetingIds: quangTri.slice(0, 3),
    });
    expect(row(Z)).toMatchObject({
      invited: 4,
      attended: 4,
      late: 2,
      chronicAbsentee: false,
      qualityHotspot: true,
      quality: { meetingsSampled: 4, medianLossPercent: (badLine.lossPercent + goodLine.lossPercent) / 2 },
    });
    expect(row(W)).toMatchObject({ invited: 1, attended: 0, attendanceRate: 0, absent: 1, chronicAbsentee: false });
    // Worst attendance first.
    expect(body.communes.map((c: { siteId: string }) => c.siteId).slice(0, 2)).toEqual([W, Y]);
  });

  it('covers every province without a filter, with a row per province', async () => {
    t.clock.now = vn('2026-12-09 12:00');
    const { body } = await dashboard('?from=2026-12-01&to=2026-12-10');
    expect(body.province).toBeNull();
    expect(body.meetings.map((m: { id: string }) => m.id)).toEqual([...quangTri, hanoiMeeting]);
    expect(body.totals).toMatchObject({ meetings: 5, communes: 5, invitations: 14, attended: 10 });
    expect(body.provinces.map((p: { code: string; invitations: number; attended: number }) => [p.code, p.invitations, p.attended])).toEqual([
      ['01', 1, 1],
      ['44', 13, 9],
    ]);
    // A narrower range leaves meetings out; Hà Nội's alone.
    expect((await dashboard('?from=2026-12-06&to=2026-12-06')).body.meetings.map((m: { id: string }) => m.id)).toEqual([hanoiMeeting]);
  });

  it('defaults to the last 30 days and validates its filters', async () => {
    t.clock.now = vn('2026-12-09 12:00');
    const { body } = await dashboard('');
    expect(body.range).toMatchObject({ from: '2026-11-10', to: '2026-12-09' });
    expect(body.totals.meetings).toBe(5);
    expect((await dashboard('?from=2026-12-10&to=2026-12-01')).status).toBe(400);
    expect((await dashboard('?from=2025-01-01&to=2026-12-01')).status).toBe(400);
    expect((await dashboard('?from=01/12/2026')).status).toBe(400);
    expect((await dashboard('?province=99')).status).toBe(404);
    expect((await dashboard('?province=4')).status).toBe(400);
    expect((await dashboard('?from=2026-12-01&to=2026-12-10', t.cookies.secretariat)).status).toBe(200);
  });
});
