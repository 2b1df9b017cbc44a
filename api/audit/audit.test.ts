/**
 * The audit viewer lists, filtered by unit, exactly the actions this test performed (and nothing
 * of another unit), scoped to the reader's own unit, and its CSV says the same.
 */
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../tests/support/app.ts';
import { DRIVERS } from '../../tests/support/database.ts';

describe.each(DRIVERS)('the audit log on %s', (driver) => {
  let t: TestApp;
  let qtAdmin: string;
  beforeAll(async () => {
    t = await createTestApp(driver, { provinces: ['44', '01'] });
    qtAdmin = await t.signInAs('admin', '44');
  });
  afterAll(() => t?.close());

  it('lists, filtered by unit, exactly the actions performed in it, and the CSV matches', async () => {
    const sitesOf = async (unit: string) =>
      (await t.request('GET', `/api/units/${unit}/sites`, { cookie: t.cookies.secretariat })).body.sites as { id: string; kind: string }[];
    const [qt, hn] = [await sitesOf('44'), await sitesOf('01')];
    const body = (sites: { id: string; kind: string }[]) => ({
      title: 'Giao ban',
      hostSiteId: sites.find((s) => s.kind === 'hall')!.id,
      siteIds: sites
        .filter((s) => s.kind === 'commune')
        .slice(0, 2)
        .map((s) => s.id),
      startsAt: '2026-12-05T09:00:00+07:00',
      endsAt: '2026-12-05T10:00:00+07:00',
    });
    const hanoiMeeting = (await t.request('POST', '/api/meetings', { cookie: t.cookies.secretariat, body: body(hn) })).body.id;
    // The filter's `from` counts whole seconds: start on a fresh one.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const since = new Date().toISOString();

    const secretariat = await t.signInAs('secretariat', '44', 'audit-qt@test.hoinghi');
    const meeting = (await t.request('POST', '/api/meetings', { cookie: secretariat, body: body(qt) })).body;
    expect((await t.request('PATCH', `/api/meetings/${meeting.id}`, { cookie: secretariat, body: { title: 'Giao ban (sửa)' } })).status).toBe(200);
    expect((await t.request('POST', `/api/meetings/${meeting.id}/invites/resend`, { cookie: secretariat, body: {} })).status).toBe(200);
    const commune = meeting.participants.find((p: { role: string }) => p.role === 'participant').siteId;
    expect((await t.request('POST', `/api/meetings/${meeting.id}/sites/${commune}/rotate-links`, { cookie: secretariat, body: {} })).status).toBe(200);
    expect((await t.request('PATCH', `/api/meetings/${hanoiMeeting}`, { cookie: secretariat, body: { title: 'Không được' } })).status).toBe(403);
    expect((await t.request('POST', `/api/meetings/${meeting.id}/cancel`, { cookie: secretariat, body: {} })).status).toBe(200);
    const created = await t.request('POST', '/api/users', {
      cookie: qtAdmin,
      body: { email: 'tam@quangtri.gov.vn', displayName: 'Tạm', role: 'leader', unitCode: '44', password: 'a long enough password' },
    });
    expect((await t.request('POST', `/api/users/${created.body.user.id}/deactivate`, { cookie: qtAdmin, body: {} })).status).toBe(200);
    // Elsewhere meanwhile: Hà Nội's, not Quảng Trị's.
    expect((await t.request('PATCH', `/api/meetings/${hanoiMeeting}`, { cookie: t.cookies.secretariat, body: { title: 'Giao ban Hà Nội' } })).status).toBe(200);
    expect((await t.request('GET', `/api/meetings/${meeting.id}`, { cookie: t.cookies.hanoiLeader })).status).toBe(403);

    const expected = [
      'user.create',
      'user.sign_in',
      'meeting.create',
      'meeting.update',
      'invites.resend',
      'links.rotate',
      'request.refused',
      'meeting.cancel',
      'user.create',
      'user.deactivate',
    ];
    for (const reader of [qtAdmin, t.cookies.admin]) {
      const listed = await t.request('GET', `/api/audit?unit=44&from=${encodeURIComponent(since)}`, { cookie: reader });
      expect(listed.status).toBe(200);
      const entries = listed.body.entries as { action: string; entityId: string; unitCode: string; actorEmail: string | null; at: string }[];
      expect(entries.map((e) => e.action).reverse()).toEqual(expected);
      expect(new Set(entries.map((e) => e.unitCode))).toEqual(new Set(['44']));

      const csv = await t.app.request(`/api/audit?unit=44&from=${encodeURIComponent(since)}&format=csv`, { headers: { cookie: reader } });
      expect(csv.headers.get('content-type')).toMatch(/text\/csv/);
      const [header, ...rows] = parse((await csv.text()).replace(/^\uFEFF/, '')) as string[][];
      expect(header).toEqual(['Thời điểm', 'Người thực hiện', 'Hành động', 'Đối tượng', 'Mã đối tượng', 'Đơn vị', 'Chi tiết']);
      expect(rows.map((r) => [r[0], r[1], r[2], r[4], r[5]])).toEqual(entries.map((e) => [e.at, e.actorEmail ?? '', e.action, e.entityId, e.unitCode]));
    }
    // Filtered by action, and by the one who acted.
    const cancels = await t.request('GET', `/api/audit?unit=44&action=meeting.cancel&from=${encodeURIComponent(since)}`, { cookie: qtAdmin });
    expect(cancels.body.entries.map((e: { entityId: string }) => e.entityId)).toEqual([meeting.id]);
    const byActor = await t.request('GET', `/api/audit?actor=audit-qt@test.hoinghi&from=${encodeURIComponent(since)}`, { cookie: qtAdmin });
    expect(byActor.body.entries).toHaveLength(7);

    // Scoped: Quảng Trị reads no other unit; a leader reads none.
    expect((await t.request('GET', '/api/audit?unit=01', { cookie: qtAdmin })).status).toBe(403);
    const own = (await t.request('GET', `/api/audit?from=${encodeURIComponent(since)}`, { cookie: secretariat })).body.entries as { unitCode: string }[];
    expect(new Set(own.map((e) => e.unitCode))).toEqual(new Set(['44']));
    expect((await t.request('GET', '/api/audit', { cookie: t.cookies.hanoiLeader })).status).toBe(403);
    // The page shows the same entries.
    const page = await t.app.request(`/audit?unit=44&action=links.rotate`, { headers: { cookie: qtAdmin } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('links.rotate');
  });
});
