/**
 * Costly reads are bounded: the meetings list is read a page at a time (300 meetings in pages of
 * 50, each once, in order), unit code lists and the dashboard's range have a ceiling.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../tests/support/app.ts';
import { DRIVERS } from '../../tests/support/database.ts';

describe.each(DRIVERS)('paging the meetings list on %s', (driver) => {
  let t: TestApp;
  const created: string[] = [];
  beforeAll(async () => {
    t = await createTestApp(driver, { provinces: ['44'] });
    const sites = (await t.request('GET', '/api/units/44/sites', { cookie: t.cookies.secretariat })).body.sites as { id: string; kind: string }[];
    const hall = sites.find((s) => s.kind === 'hall')!.id;
    const commune = sites.find((s) => s.kind === 'commune')!.id;
    const author = (await t.request('GET', '/api/auth/me', { cookie: t.cookies.secretariat })).body.user;
    for (let i = 0; i < 300; i++) {
      // Pairs share a start time, so the order within equal starts matters too.
      const startsAt = new Date(Date.parse('2026-12-02T08:00:00+07:00') + Math.floor(i / 2) * 3600_000);
      const meeting = await t.services.meetings.create(
        { title: `Họp ${i}`, hostSiteId: hall, siteIds: [commune], startsAt, endsAt: new Date(startsAt.getTime() + 1800_000), allowConflicts: true },
        author,
      );
      created.push(meeting.id);
    }
  }, 300_000);
  afterAll(() => t?.close());

  it('returns 6 pages of 50 that together hold every meeting once, in start order', async () => {
    const seen: string[] = [];
    const starts: string[] = [];
    let after: string | null = null;
    let pages = 0;
    do {
      const response: { status: number; body: { meetings: { id: string; startsAt: string }[]; nextCursor: string | null } } = await t.request(
        'GET',
        `/api/meetings?limit=50${after ? `&after=${encodeURIComponent(after)}` : ''}`,
        { cookie: t.cookies.leader },
      );
      expect(response.status).toBe(200);
      expect(response.body.meetings.length).toBe(50);
      seen.push(...response.body.meetings.map((m) => m.id));
      starts.push(...response.body.meetings.map((m) => m.startsAt));
      after = response.body.nextCursor;
      pages++;
    } while (after && pages < 10);
    expect(pages).toBe(6);
    expect(new Set(seen).size).toBe(300);
    expect(new Set(seen)).toEqual(new Set(created));
    expect([...starts].sort()).toEqual(starts);
  });

  it('uses 50 as the default page and refuses larger pages and forged cursors', async () => {
    const first = await t.request('GET', '/api/meetings', { cookie: t.cookies.leader });
    expect(first.body.meetings).toHaveLength(50);
    expect(typeof first.body.nextCursor).toBe('string');
    expect((await t.request('GET', '/api/meetings?limit=500', { cookie: t.cookies.leader })).status).toBe(400);
    expect((await t.request('GET', '/api/meetings?after=bm90LWEtY3Vyc29y', { cookie: t.cookies.leader })).status).toBe(400);
  });

  it('refuses a dashboard over more than a year and a list of more than 200 unit codes', async () => {
    const year = await t.request('GET', '/api/reports/attendance?from=2025-01-01&to=2026-12-01', { cookie: t.cookies.leader });
    expect(year.status).toBe(400);
    expect(year.body.error.message).toContain('366');
    expect((await t.request('GET', '/api/reports/attendance?from=2026-01-01&to=2026-12-01', { cookie: t.cookies.leader })).status).toBe(200);
    expect((await t.request('GET', '/api/reports/attendance?from=2026-12-02&to=2026-12-01', { cookie: t.cookies.leader })).status).toBe(400);
    const codes = Array.from({ length: 201 }, (_, i) => String(10000 + i));
    const many = await t.request('POST', '/api/meetings', {
      cookie: t.cookies.secretariat,
      body: {
        title: 'Quá nhiều',
        hostSiteId: '00000000-0000-4000-8000-000000000000',
        startsAt: '2026-12-05T09:00:00+07:00',
        endsAt: '2026-12-05T10:00:00+07:00',
        unitCodes: codes,
      },
    });
    expect(many.status).toBe(400);
  });
});
