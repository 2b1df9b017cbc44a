import { parse } from 'csv-parse/sync';
import { and, eq } from 'drizzle-orm';
import { rsvps } from '../../db/schema.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../tests/support/app.ts';
import { ATTENDANCE_TEST_CONFIG, badLine, declineWithReason, scheduleMeeting, setContact, siteEvents, sitesOf, vn } from '../../tests/support/attendance.ts';
import { DRIVERS } from '../../tests/support/database.ts';
import { ledgerCsvHeaders } from './csv.ts';
import { recordAttendanceEvents } from './store.ts';

/**
 * The roll call of 2 December 2026, 09:00–11:00 Hà Nội time, host hall plus five communes:
 * on time, late (09:20), leaving early (10:00), declined with a reason, and simply absent.
 */
describe.each(DRIVERS)('attendance report API on %s', (driver) => {
  let t: TestApp;
  let meetingId: string;
  let hall: { id: string; name: string };
  let five: { id: string; name: string }[];

  beforeAll(async () => {
    t = await createTestApp(driver, { provinces: ['44'], config: ATTENDANCE_TEST_CONFIG });
    const found = await sitesOf(t, '44');
    hall = found.halls[0]!;
    five = found.communes.slice(0, 5);
    const meeting = await scheduleMeeting(t, {
      title: 'Giao ban: tháng 12/2026',
      hostSiteId: hall.id,
      siteIds: five.map((c) => c.id),
      startsAt: vn('2026-12-02 09:00'),
      endsAt: vn('2026-12-02 11:00'),
    });
    meetingId = meeting.id;
    const [onTime, late, early, excused, absent] = five.map((c) => siteEvents(meetingId, c.id));
    await recordAttendanceEvents(t.database.db, [
      ...siteEvents(meetingId, hall.id).session('h', vn('2026-12-02 08:40'), vn('2026-12-02 11:00'), 'meeting-ended'),
      ...onTime!.session('a1', vn('2026-12-02 08:55'), vn('2026-12-02 09:30'), 'network'),
      ...onTime!.session('a2', vn('2026-12-02 09:33'), vn('2026-12-02 11:00'), 'meeting-ended'),
      ...late!.session('b', vn('2026-12-02 09:20'), vn('2026-12-02 11:00'), 'meeting-ended', badLine),
      ...early!.session('c', vn('2026-12-02 09:00'), vn('2026-12-02 10:00'), 'left'),
    ]);
    void excused;
    void absent;
    await declineWithReason(t, meetingId, five[3]!.id, 'Trùng lịch tiếp công dân', vn('2026-12-01 16:00'));
    await setContact(t, five[4]!.id, '0233 3852 000');
  });
  afterAll(() => t.close());

  const report = (query = '', cookie = t.cookies.leader) => t.request('GET', `/api/meetings/${meetingId}/attendance${query}`, { cookie });

  it('answers anonymous readers 401 and lets leaders, secretariats and admins read', async () => {
    t.clock.now = vn('2026-12-02 12:00');
    expect((await report('', null as unknown as string)).status).toBe(401);
    expect((await t.request('GET', `/api/meetings/${meetingId}/attendance?format=csv`)).status).toBe(401);
    expect((await t.request('GET', '/api/reports/attendance')).status).toBe(401);
    expect((await t.request('GET', `/api/meetings/${meetingId}/attendance/live`)).status).toBe(401);
    for (const role of ['leader', 'secretariat', 'admin'] as const) expect((await report('', t.cookies[role])).status).toBe(200);
  });

  it('sends anonymous visitors of the pages to sign in and shows them to leaders', async () => {
    t.clock.now = vn('2026-12-02 12:00');
    for (const path of [`/meetings/${meetingId}/attendance`, `/meetings/${meetingId}/live`, '/reports']) {
      const anonymous = await t.request('GET', path);
      expect(anonymous.status).toBe(303);
      expect(anonymous.headers.get('location')).toBe(`/login?next=${encodeURIComponent(path)}`);
      const leader = await t.request('GET', path, { cookie: t.cookies.leader });
      expect(leader.status).toBe(200);
      expect(leader.headers.get('content-type')).toContain('text/html');
    }
    const english = await t.request('GET', `/meetings/${meetingId}/attendance?lang=en`, { cookie: t.cookies.leader });
    expect(english.body).toContain('ATTENDANCE RECORD');
    expect(english.body).toContain('Absent, excused');
  });

  it('names on the printable roll call the delegate each site gave on its readiness page', async () => {
    t.clock.now = vn('2026-12-02 12:00');
    const late = five[1]!;
    const values = { answer: 'attending' as const, delegateName: 'Đ/c Lê Văn C, Phó Chủ tịch UBND xã', answeredAt: vn('2026-12-01 15:00') };
    await t.database.db.insert(rsvps).values({ meetingId, siteId: late.id, ...values });
    try {
      const page = await t.request('GET', `/meetings/${meetingId}/attendance`, { cookie: t.cookies.leader });
      expect(page.status).toBe(200);
      const row = new RegExp(`<tr data-site-id="${late.id}"[^]*?</tr>`).exec(page.body)?.[0] ?? '';
      expect(row).toContain('<td class="delegate">Đ/c Lê Văn C, Phó Chủ tịch UBND xã</td>');
      expect(page.body).toContain('<th>Người dự họp</th>');
    } finally {
      await t.database.db.delete(rsvps).where(and(eq(rsvps.meetingId, meetingId), eq(rsvps.siteId, late.id)));
    }
  });

  it('gives the ledger as JSON with Vietnam times', async () => {
    t.clock.now = vn('2026-12-02 12:00');
    const { status, body } = await report();
    expect(status).toBe(200);
    expect(body.meeting).toMatchObject({
      id: meetingId,
      title: 'Giao ban: tháng 12/2026',
      startsAt: '2026-12-02T09:00:00+07:00',
      endsAt: '2026-12-02T11:00:00+07:00',
      hostSite: { id: hall.id, name: hall.name },
    });
    expect(body.phase).toBe('ended');
    expect(body.totals).toMatchObject({
      invited: 5,
      present: 3,
      late: 1,
      leftEarly: 1,
      absent: 2,
      absentWithReason: 1,
      absentWithoutReason: 1,
      attendanceRate: 0.6,
    });
    const row = (n: number) => body.sites.find((s: { siteId: string }) => s.siteId === five[n]!.id);
    expect(body.sites[0]).toMatchObject({ siteId: hall.id, role: 'host', status: 'on-time' });
    expect(row(0)).toMatchObject({
      status: 'on-time',
      firstJoinAt: '2026-12-02T08:55:00+07:00',
      lastLeaveAt: '2026-12-02T11:00:00+07:00',
      minutesConnected: 117,
      drops: 1,
      longestGapMinutes: 3,
    });
    expect(row(0).intervals[0]).toMatchObject({ from: '2026-12-02T09:00:00+07:00', to: '2026-12-02T09:30:00+07:00', endCause: 'network' });
    expect(row(1)).toMatchObject({ status: 'late', flags: ['late'], firstJoinAt: '2026-12-02T09:20:00+07:00', minutesConnected: 100 });
    expect(row(1).quality.lossPercent.median).toBe(6);
    expect(row(2)).toMatchObject({
      status: 'left-early',
      flags: ['left-early'],
      lastLeaveAt: '2026-12-02T10:00:00+07:00',
      minutesConnected: 60,
      lastLeaveCause: 'left',
    });
    expect(row(3)).toMatchObject({ status: 'absent-with-reason', absenceReason: 'Trùng lịch tiếp công dân', rsvp: { answer: 'declined' } });
    expect(row(4)).toMatchObject({ status: 'absent', firstJoinAt: null, minutesConnected: 0 });
    expect(row(0).qualityTimeline).toBeUndefined();
    expect((await report('?timeline=true')).body.sites[1].qualityTimeline.length).toBeGreaterThan(0);
  });

  it('exports the same roll call as a CSV for Excel, parsed back exactly', async () => {
    t.clock.now = vn('2026-12-02 12:00');
    const response = await report('?format=csv');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    const disposition = response.headers.get('content-disposition')!;
    expect(disposition).toMatch(/^attachment; filename="Diem danh - Giao ban thang 12 2026 - 2026-12-02\.csv"; filename\*=UTF-8''/);
    expect(decodeURIComponent(disposition.split("UTF-8''")[1]!)).toBe('Điểm danh - Giao ban tháng 12 2026 - 2026-12-02.csv');

    const raw = await t.app.request(`/api/meetings/${meetingId}/attendance?format=csv`, { headers: { cookie: t.cookies.leader } });
    const bytes = new Uint8Array(await raw.arrayBuffer());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const rows = parse(Buffer.from(bytes).toString('utf8'), { bom: true, columns: true }) as Record<string, string>[];
    expect(Object.keys(rows[0]!)).toEqual([...ledgerCsvHeaders]);
    const pick = (r: Record<string, string>) => [
      r['Điểm cầu'],
      r['Trạng thái'],
      r['Giờ vào đầu tiên'],
      r['Giờ rời cuối'],
      r['Số phút kết nối'],
      r['Số lần rớt mạng'],
      r['Lý do vắng'],
    ];
    expect(rows.map(pick)).toEqual([
      [hall.name, 'Có mặt đúng giờ', '02/12/2026 08:40:00', '02/12/2026 11:00:00', '120.0', '0', ''],
      [five[0]!.name, 'Có mặt đúng giờ', '02/12/2026 08:55:00', '02/12/2026 11:00:00', '117.0', '1', ''],
      [five[1]!.name, 'Đến muộn', '02/12/2026 09:20:00', '02/12/2026 11:00:00', '100.0', '0', ''],
      [five[2]!.name, 'Về sớm', '02/12/2026 09:00:00', '02/12/2026 10:00:00', '60.0', '0', ''],
      [five[3]!.name, 'Vắng có lý do', '', '', '', '', 'Trùng lịch tiếp công dân'],
      [five[4]!.name, 'Vắng không lý do', '', '', '', '', ''],
    ]);

    // Excel with Vietnamese regional settings.
    const semicolon = await report('?format=csv&sep=semicolon');
    const vnRows = parse(semicolon.body as string, { bom: true, columns: true, delimiter: ';' }) as Record<string, string>[];
    expect(vnRows.find((r) => r['Điểm cầu'] === five[0]!.name)!['Số phút kết nối']).toBe('117,0');
  });

  it('answers 404 for an unknown meeting and 400 for a malformed id or query', async () => {
    expect((await t.request('GET', '/api/meetings/00000000-0000-4000-8000-00000000abcd/attendance', { cookie: t.cookies.leader })).status).toBe(404);
    expect((await t.request('GET', '/api/meetings/not-a-uuid/attendance', { cookie: t.cookies.leader })).status).toBe(400);
    expect((await report('?format=xlsx')).status).toBe(400);
  });

  it('shows the live board: connected, dropped and not-yet-joined sites with contacts for the missing', async () => {
    t.clock.now = vn('2026-12-02 10:30');
    const { status, body } = await t.request('GET', `/api/meetings/${meetingId}/attendance/live`, { cookie: t.cookies.secretariat });
    expect(status).toBe(200);
    expect(body.phase).toBe('running');
    const group = (g: string) =>
      body.sites
        .filter((s: { group: string }) => s.group === g)
        .map((s: { siteId: string }) => s.siteId)
        .sort();
    // The board shows the meeting as of now: the 11:00 leaves are not there yet.
    expect(group('connected')).toEqual([hall.id, five[0]!.id, five[1]!.id].sort());
    expect(group('not-joined')).toEqual([five[3]!.id, five[4]!.id].sort());
    expect(group('dropped')).toEqual([five[2]!.id]);
    expect(body.sites.find((s: { siteId: string }) => s.siteId === five[2]!.id)).toMatchObject({
      since: '2026-12-02T10:00:00+07:00',
      lastLeaveCause: 'left',
      contactPhone: null,
    });
    const missing = body.sites.find((s: { siteId: string }) => s.siteId === five[4]!.id);
    expect(missing).toMatchObject({ contactPhone: '0233 3852 000', status: 'absent' });
    expect(missing.contactEmails.length).toBeGreaterThan(0);
    const excused = body.sites.find((s: { siteId: string }) => s.siteId === five[3]!.id);
    expect(excused.rsvp).toEqual({ answer: 'declined', reason: 'Trùng lịch tiếp công dân' });
    expect(body.counts.sites).toBe(6);
  });
});
