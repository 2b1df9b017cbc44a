import { count, eq, ne } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog, meetingParticipants, meetings, sites } from '../../db/schema.ts';
import { createTestApp, TEST_NOW, type TestApp } from '../../tests/support/app.ts';
import { DRIVERS } from '../../tests/support/database.ts';
import { conflictingMeetingBody, meetingDetailBody, meetingListBody } from './json.ts';

const hours = (n: number) => new Date(TEST_NOW.getTime() + n * 3600_000).toISOString();

describe.each(DRIVERS)('meetings API on %s', (driver) => {
  let t: TestApp;
  let quangTriHall: string;
  let nationalHall: string;
  let hanoiHall: string;
  let quangTriCommunes: { id: string; name: string }[];

  beforeAll(async () => {
    t = await createTestApp(driver, { provinces: ['44', '01'] });
    const halls = (await t.request('GET', '/api/sites?kind=hall', { cookie: t.cookies.secretariat })).body.sites as { id: string; unitCode: string }[];
    quangTriHall = halls.find((h) => h.unitCode === '44')!.id;
    nationalHall = halls.find((h) => h.unitCode === 'VN')!.id;
    hanoiHall = halls.find((h) => h.unitCode === '01')!.id;
    quangTriCommunes = (await t.request('GET', '/api/units/44/sites', { cookie: t.cookies.secretariat })).body.sites.filter(
      (s: { kind: string }) => s.kind === 'commune',
    );
  });
  afterAll(() => t.close());

  /** Row counts of everything a scheduling request may write. */
  async function snapshot() {
    const [m] = await t.database.db.select({ n: count() }).from(meetings);
    const [p] = await t.database.db.select({ n: count() }).from(meetingParticipants);
    // Refusals are audited on purpose (request.refused); what must not change is the record of changes.
    const [a] = await t.database.db.select({ n: count() }).from(auditLog).where(ne(auditLog.action, 'request.refused'));
    return { meetings: m!.n, participants: p!.n, audit: a!.n };
  }

  async function schedule(body: Record<string, unknown>, cookie = t.cookies.secretariat) {
    return t.request('POST', '/api/meetings', { cookie, body });
  }

  it('schedules a meeting for all communes of Quảng Trị: 78 participants plus the host', async () => {
    const response = await schedule({ title: 'Giao ban tháng 12', hostSiteId: quangTriHall, startsAt: hours(24), endsAt: hours(26), unitCodes: ['44'] });
    expect(response.status).toBe(201);
    expect(quangTriCommunes).toHaveLength(78);
    // The body is what the route's own schema promises (json.ts), times in Vietnam with +07:00.
    const meeting = meetingDetailBody.parse(response.body);
    expect(meeting).toMatchObject({ title: 'Giao ban tháng 12', status: 'scheduled', sequence: 0, participantCount: 79 });
    expect(meeting.uid).toBe(`${meeting.id}@hoinghi.test`);
    expect(meeting.participants.filter((p) => p.role === 'participant')).toHaveLength(78);
    expect(meeting.participants.filter((p) => p.role === 'host').map((p) => p.siteId)).toEqual([quangTriHall]);
    expect(new Set(meeting.participants.map((p) => p.siteId))).toEqual(new Set([quangTriHall, ...quangTriCommunes.map((c) => c.id)]));
    // Shown in Vietnam time with its offset.
    expect(meeting.startsAt).toMatch(/\+07:00$/);
    expect(new Date(meeting.startsAt).toISOString()).toBe(hours(24));
    expect(response.headers.get('location')).toBe(`/api/meetings/${meeting.id}`);

    const read = await t.request('GET', `/api/meetings/${meeting.id}`, { cookie: t.cookies.leader });
    expect(read.status).toBe(200);
    expect(meetingDetailBody.parse(read.body).participantCount).toBe(79);
    const list = await t.request('GET', `/api/meetings?from=${encodeURIComponent(hours(23))}&to=${encodeURIComponent(hours(27))}`, {
      cookie: t.cookies.leader,
    });
    expect(meetingListBody.parse(list.body).meetings.map((m) => m.id)).toContain(meeting.id);
  });

  it('refuses an overlapping meeting for the same sites with 409 listing the conflicts, and writes nothing', async () => {
    const first = await schedule({ title: 'Họp A', hostSiteId: quangTriHall, startsAt: hours(48), endsAt: hours(50), unitCodes: ['44'] });
    expect(first.status).toBe(201);
    const before = await snapshot();
    const clash = await schedule({
      title: 'Họp B',
      hostSiteId: nationalHall,
      startsAt: hours(49),
      endsAt: hours(51),
      siteIds: quangTriCommunes.slice(0, 3).map((c) => c.id),
    });
    expect(clash.status).toBe(409);
    expect(clash.body.error.code).toBe('schedule_conflict');
    expect(clash.body.error.message).toContain('Họp A');
    const conflict = conflictingMeetingBody
      .array()
      .parse(clash.body.error.details.conflicts)
      .find((c) => c.meetingId === first.body.id)!;
    expect(conflict.siteCount).toBe(3);
    expect(conflict.startsAt).toBe(first.body.startsAt);
    expect(conflict.sites.map((s) => s.id).sort()).toEqual(
      quangTriCommunes
        .slice(0, 3)
        .map((c) => c.id)
        .sort(),
    );
    expect(await snapshot()).toEqual(before);

    // Back-to-back is not an overlap; allowConflicts overrides.
    const after = await schedule({ title: 'Họp C', hostSiteId: nationalHall, startsAt: hours(50), endsAt: hours(51), siteIds: [quangTriCommunes[0]!.id] });
    expect(after.status).toBe(201);
    const forced = await schedule({
      title: 'Họp D',
      hostSiteId: nationalHall,
      startsAt: hours(49),
      endsAt: hours(51),
      siteIds: [quangTriCommunes[1]!.id],
      allowConflicts: true,
    });
    expect(forced.status).toBe(201);
  });

  it('raises SEQUENCE by one on every change: reschedule, adding and removing sites, cancel', async () => {
    const created = (
      await schedule({ title: 'Họp dời lịch', hostSiteId: hanoiHall, startsAt: hours(72), endsAt: hours(73), siteIds: [quangTriCommunes[10]!.id] })
    ).body;
    expect(created.sequence).toBe(0);

    const moved = await t.request('PATCH', `/api/meetings/${created.id}`, { cookie: t.cookies.secretariat, body: { startsAt: hours(74), endsAt: hours(75) } });
    expect(moved.status).toBe(200);
    expect(moved.body.sequence).toBe(1);
    expect(new Date(moved.body.startsAt).toISOString()).toBe(hours(74));

    const added = await t.request('PATCH', `/api/meetings/${created.id}`, { cookie: t.cookies.secretariat, body: { addSiteIds: [quangTriCommunes[11]!.id] } });
    expect(added.status).toBe(200);
    expect(added.body.sequence).toBe(2);
    expect(added.body.participantCount).toBe(3);
    // Adding a site that is already in the meeting changes nothing.
    const noop = await t.request('PATCH', `/api/meetings/${created.id}`, { cookie: t.cookies.secretariat, body: { addSiteIds: [quangTriCommunes[11]!.id] } });
    expect(noop.body.sequence).toBe(2);

    const removed = await t.request('PATCH', `/api/meetings/${created.id}`, {
      cookie: t.cookies.secretariat,
      body: { removeSiteIds: [quangTriCommunes[10]!.id] },
    });
    expect(removed.body.participantCount).toBe(2);
    expect(removed.body.sequence).toBe(3);

    const cancelled = await t.request('POST', `/api/meetings/${created.id}/cancel`, { cookie: t.cookies.secretariat, body: { reason: 'Lãnh đạo bận' } });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ status: 'cancelled', sequence: 4 });

    const again = await t.request('POST', `/api/meetings/${created.id}/cancel`, { cookie: t.cookies.secretariat, body: {} });
    expect(again.status).toBe(409);
    const change = await t.request('PATCH', `/api/meetings/${created.id}`, { cookie: t.cookies.secretariat, body: { title: 'x' } });
    expect(change.status).toBe(409);

    // A cancelled meeting no longer blocks its sites.
    const reuse = await schedule({ title: 'Thay thế', hostSiteId: hanoiHall, startsAt: hours(74), endsAt: hours(75), siteIds: [quangTriCommunes[11]!.id] });
    expect(reuse.status).toBe(201);
  });

  it('moves the host: the new host takes the role and the old one leaves', async () => {
    const created = (
      await schedule({ title: 'Đổi chủ trì', hostSiteId: hanoiHall, startsAt: hours(100), endsAt: hours(101), siteIds: [quangTriCommunes[20]!.id] })
    ).body;
    const changed = await t.request('PATCH', `/api/meetings/${created.id}`, { cookie: t.cookies.secretariat, body: { hostSiteId: nationalHall } });
    expect(changed.status).toBe(200);
    expect(changed.body.hostSite.id).toBe(nationalHall);
    expect(changed.body.sequence).toBe(1);
    expect(changed.body.participants.map((p: { siteId: string; role: string }) => [p.siteId, p.role]).sort()).toEqual(
      [
        [nationalHall, 'host'],
        [quangTriCommunes[20]!.id, 'participant'],
      ].sort(),
    );
    const removeHost = await t.request('PATCH', `/api/meetings/${created.id}`, { cookie: t.cookies.secretariat, body: { removeSiteIds: [nationalHall] } });
    expect(removeHost.status).toBe(422);
  });

  it('lists meetings by time window and site', async () => {
    const site = quangTriCommunes[30]!.id;
    const created = (await schedule({ title: 'Danh sách', hostSiteId: hanoiHall, startsAt: hours(200), endsAt: hours(201), siteIds: [site] })).body;
    const bySite = await t.request('GET', `/api/meetings?siteId=${site}`, { cookie: t.cookies.leader });
    expect(bySite.status).toBe(200);
    expect(bySite.body.meetings.map((m: { id: string }) => m.id)).toContain(created.id);
    const inWindow = await t.request('GET', `/api/meetings?from=${encodeURIComponent(hours(199))}&to=${encodeURIComponent(hours(202))}`, {
      cookie: t.cookies.leader,
    });
    expect(inWindow.body.meetings.map((m: { id: string }) => m.id)).toEqual([created.id]);
    expect(inWindow.body.meetings[0].participantCount).toBe(2);
    const outside = await t.request('GET', `/api/meetings?from=${encodeURIComponent(hours(300))}`, { cookie: t.cookies.leader });
    expect(outside.body.meetings.map((m: { id: string }) => m.id)).not.toContain(created.id);
  });

  describe('refusals are readable 4xx and leave the database unchanged', () => {
    const valid = () => ({ title: 'Hợp lệ', hostSiteId: hanoiHall, startsAt: hours(500), endsAt: hours(501), siteIds: [quangTriCommunes[40]!.id] });
    const cases: [string, () => { body?: unknown; rawBody?: string; headers?: Record<string, string> }, number, RegExp][] = [
      ['malformed JSON', () => ({ rawBody: '{"title": "x",', headers: { 'content-type': 'application/json' } }), 400, /Malformed JSON/],
      [
        'not JSON at all',
        () => ({ rawBody: 'title=x', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://localhost' } }),
        400,
        /JSON/,
      ],
      ['end before start', () => ({ body: { ...valid(), endsAt: hours(499) } }), 422, /endsAt must be after startsAt/],
      ['start in the past', () => ({ body: { ...valid(), startsAt: hours(-3), endsAt: hours(1) } }), 422, /past/],
      ['longer than 12 hours', () => ({ body: { ...valid(), endsAt: hours(513) } }), 422, /12 hours/],
      ['time without offset', () => ({ body: { ...valid(), startsAt: '2026-12-20T08:00:00' } }), 400, /offset/],
      ['unknown site', () => ({ body: { ...valid(), siteIds: ['00000000-0000-4000-8000-000000000000'] } }), 422, /do not exist/],
      ['unknown unit', () => ({ body: { ...valid(), siteIds: undefined, unitCodes: ['99'] } }), 422, /Unknown administrative unit/],
      ['malformed unit code', () => ({ body: { ...valid(), unitCodes: ["44'; drop table meetings; --"] } }), 400, /unitCodes/],
      ['no participant besides the host', () => ({ body: { ...valid(), siteIds: [hanoiHall] } }), 422, /at least one participating site/],
      ['unknown host', () => ({ body: { ...valid(), hostSiteId: '00000000-0000-4000-8000-000000000001' } }), 422, /host site does not exist/],
      ['NUL byte in the title', () => ({ body: { ...valid(), title: 'Họp\u0000' } }), 400, /NUL/],
      ['empty title', () => ({ body: { ...valid(), title: '   ' } }), 400, /title/],
      ['unexpected field', () => ({ body: { ...valid(), isAdmin: true } }), 400, /isAdmin|Unrecognized/i],
      [
        '10 MB body',
        () => ({ rawBody: JSON.stringify({ ...valid(), agenda: 'x'.repeat(10 * 1024 * 1024) }), headers: { 'content-type': 'application/json' } }),
        413,
        /larger than/,
      ],
    ];
    it.each(cases)('%s', async (_name, make, status, message) => {
      const before = await snapshot();
      const response = await t.request('POST', '/api/meetings', { cookie: t.cookies.secretariat, ...make() });
      expect(response.status).toBe(status);
      expect(response.body.error.message).toMatch(message);
      expect(typeof response.body.error.code).toBe('string');
      expect(await snapshot()).toEqual(before);
    });

    it('an unknown meeting is 404, a malformed id 400', async () => {
      expect((await t.request('GET', '/api/meetings/00000000-0000-4000-8000-000000000000', { cookie: t.cookies.leader })).status).toBe(404);
      expect((await t.request('GET', '/api/meetings/not-a-uuid', { cookie: t.cookies.leader })).status).toBe(400);
      expect(
        (await t.request('PATCH', '/api/meetings/00000000-0000-4000-8000-000000000000', { cookie: t.cookies.secretariat, body: { title: 'x' } })).status,
      ).toBe(404);
    });

    it('anonymous is 401, a leader may read but not schedule (403)', async () => {
      const before = await snapshot();
      expect((await t.request('POST', '/api/meetings', { body: valid() })).status).toBe(401);
      expect((await t.request('POST', '/api/meetings', { cookie: t.cookies.leader, body: valid() })).status).toBe(403);
      expect((await t.request('GET', '/api/meetings', { cookie: t.cookies.leader })).status).toBe(200);
      expect(await snapshot()).toEqual(before);
    });
  });

  it('keeps hostile strings as text and Vietnamese diacritics intact (NFC)', async () => {
    const decomposed = 'Hội nghị'.normalize('NFD');
    const title = `<script>alert(1)</script> ${decomposed} '; DROP TABLE meetings; -- Đắk Lắk`;
    const created = await schedule({
      title,
      agenda: 'Nội dung: «tiếng Việt» — ✓',
      hostSiteId: hanoiHall,
      startsAt: hours(600),
      endsAt: hours(601),
      siteIds: [quangTriCommunes[50]!.id],
    });
    expect(created.status).toBe(201);
    expect(created.body.title).toBe(title.normalize('NFC'));
    expect(created.body.agenda).toBe('Nội dung: «tiếng Việt» — ✓');
    const [row] = await t.database.db.select({ title: meetings.title }).from(meetings).where(eq(meetings.id, created.body.id));
    expect(row!.title).toBe(title.normalize('NFC'));
    // The page shows it escaped.
    const page = await t.app.request(`/meetings/${created.body.id}`, { headers: { cookie: t.cookies.secretariat } });
    const html = await page.text();
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toContain('<script>alert(1)</script>');
  });

  it('refuses an inactive site', async () => {
    const site = quangTriCommunes[60]!.id;
    await t.database.db.update(sites).set({ active: false }).where(eq(sites.id, site));
    try {
      const response = await schedule({ title: 'x', hostSiteId: hanoiHall, startsAt: hours(700), endsAt: hours(701), siteIds: [site] });
      expect(response.status).toBe(422);
      expect(response.body.error.message).toMatch(/not active/);
    } finally {
      await t.database.db.update(sites).set({ active: true }).where(eq(sites.id, site));
    }
  });
});
