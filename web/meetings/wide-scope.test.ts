/**
 * The scheduling form offers the whole country and every provincial hall to national accounts
 * only, and "every provincial hall" schedules exactly those halls (through the page, no script).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toVietnamLocalInput } from '../../api/time.ts';
import { createTestApp, TEST_NOW, type TestApp } from '../../tests/support/app.ts';

describe('the picker for the whole country and the provincial halls', () => {
  let t: TestApp;
  let halls: { id: string; unitCode: string }[];
  beforeAll(async () => {
    t = await createTestApp('pglite', { provinces: ['44', '01'] });
    halls = (await t.request('GET', '/api/sites?kind=hall', { cookie: t.cookies.secretariat })).body.sites;
  });
  afterAll(async () => {
    await t.close();
  });

  const postForm = (path: string, cookie: string, fields: [string, string][]) =>
    t.request('POST', path, {
      rawBody: new URLSearchParams(fields).toString(),
      cookie,
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://localhost' },
    });

  const when = (days: number) => {
    const local = toVietnamLocalInput(new Date(TEST_NOW.getTime() + days * 86_400_000));
    return [
      ['date', local.slice(0, 10)],
      ['startTime', '08:00'],
      ['endTime', '09:00'],
    ] as [string, string][];
  };

  it('is offered to national accounts, with the counts of what they hold', async () => {
    const national = await t.request('GET', '/meetings/new', { cookie: t.cookies.secretariat });
    expect(national.status).toBe(200);
    const quangTri = (await t.request('GET', '/api/units/44/sites', { cookie: t.cookies.secretariat })).body.sites.length;
    const hanoi = (await t.request('GET', '/api/units/01/sites', { cookie: t.cookies.secretariat })).body.sites.length;
    // Every site below the nation: both provinces' halls and communes.
    expect(national.body).toMatch(new RegExp(`name="unitCodes" value="VN" data-count="${quangTri + hanoi}"`));
    expect(national.body).toMatch(/name="provinceHalls" value="all" data-count="2"/);
    expect(national.body).toContain('Toàn quốc');

    const provincial = await t.request('GET', '/meetings/new', { cookie: t.cookies.quangTriSecretariat! });
    expect(provincial.status).toBe(200);
    expect(provincial.body).toContain('name="hostSiteId"');
    expect(provincial.body).not.toContain('name="provinceHalls"');
    expect(provincial.body).not.toContain('value="VN"');
  });

  it('schedules every provincial hall, and only them, from the form', async () => {
    const nationalHall = halls.find((h) => h.unitCode === 'VN')!;
    const created = await postForm('/meetings/new', t.cookies.secretariat, [
      ['title', 'Giao ban với các tỉnh'],
      ['hostSiteId', nationalHall.id],
      ...when(2),
      ['provinceHalls', 'all'],
    ]);
    expect(created.status).toBe(303);
    const meetingId = created.headers.get('location')!.split('/').pop()!;
    const meeting = (await t.request('GET', `/api/meetings/${meetingId}`, { cookie: t.cookies.secretariat })).body;
    const invited = (meeting.participants as { siteId: string }[]).map((p) => p.siteId).sort();
    expect(invited).toEqual(halls.map((h) => h.id).sort());
  });

  it('schedules the whole country from the form', async () => {
    const nationalHall = halls.find((h) => h.unitCode === 'VN')!;
    const created = await postForm('/meetings/new', t.cookies.secretariat, [
      ['title', 'Hội nghị toàn quốc'],
      ['hostSiteId', nationalHall.id],
      ...when(3),
      ['unitCodes', 'VN'],
    ]);
    expect(created.status).toBe(303);
    const meetingId = created.headers.get('location')!.split('/').pop()!;
    const meeting = (await t.request('GET', `/api/meetings/${meetingId}`, { cookie: t.cookies.secretariat })).body;
    const quangTri = (await t.request('GET', '/api/units/44/sites', { cookie: t.cookies.secretariat })).body.sites.length;
    const hanoi = (await t.request('GET', '/api/units/01/sites', { cookie: t.cookies.secretariat })).body.sites.length;
    expect(meeting.participantCount).toBe(quangTri + hanoi + 1);
  });

  it('gives a provincial account only its own hall for "every provincial hall"', async () => {
    const quangTriHall = halls.find((h) => h.unitCode === '44')!;
    const sites = (await t.request('GET', '/api/units/44/sites', { cookie: t.cookies.secretariat })).body.sites as { id: string; kind: string }[];
    const commune = sites.find((s) => s.kind === 'commune')!;
    const created = await postForm('/meetings/new', t.cookies.quangTriSecretariat!, [
      ['title', 'Giao ban tỉnh'],
      ['hostSiteId', quangTriHall.id],
      ...when(4),
      ['siteIds', commune.id],
      ['provinceHalls', 'all'],
    ]);
    expect(created.status).toBe(303);
    const meetingId = created.headers.get('location')!.split('/').pop()!;
    const meeting = (await t.request('GET', `/api/meetings/${meetingId}`, { cookie: t.cookies.secretariat })).body;
    expect((meeting.participants as { siteId: string }[]).map((p) => p.siteId).sort()).toEqual([quangTriHall.id, commune.id].sort());
  });
});
