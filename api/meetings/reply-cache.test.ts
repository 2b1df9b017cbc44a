/**
 * Meeting reads come from a short-lived per-account cache (reply-cache.ts): a change through the
 * API is seen by the very next read, and an unchanged reply revalidates with its ETag.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, TEST_NOW, type TestApp } from '../../tests/support/app.ts';
import { DRIVERS } from '../../tests/support/database.ts';

describe.each(DRIVERS)('meeting reads from memory on %s', (driver) => {
  let t: TestApp;
  let hall: string;
  let communes: string[];
  beforeAll(async () => {
    t = await createTestApp(driver, { provinces: ['44'] });
    hall = (await t.request('GET', '/api/sites?kind=hall', { cookie: t.cookies.secretariat })).body.sites[0].id;
    communes = (await t.request('GET', '/api/sites?kind=commune', { cookie: t.cookies.secretariat })).body.sites.map((s: { id: string }) => s.id);
  });
  afterAll(() => t.close());

  const schedule = (title: string, hours: number) =>
    t.request('POST', '/api/meetings', {
      cookie: t.cookies.secretariat,
      body: {
        title,
        hostSiteId: hall,
        startsAt: new Date(TEST_NOW.getTime() + hours * 3600_000).toISOString(),
        endsAt: new Date(TEST_NOW.getTime() + (hours + 1) * 3600_000).toISOString(),
        siteIds: communes.slice(0, 3),
        allowConflicts: true,
      },
    });
  const titles = async (cookie: string) => (await t.request('GET', '/api/meetings', { cookie })).body.meetings.map((m: { title: string }) => m.title);

  it('shows a change at once, to its author and to others', async () => {
    await schedule('Giao ban sáng', 2);
    expect(await titles(t.cookies.leader)).toEqual(['Giao ban sáng']);
    expect(await titles(t.cookies.secretariat)).toEqual(['Giao ban sáng']);
    const created = await schedule('Giao ban chiều', 6);
    expect(await titles(t.cookies.leader)).toEqual(['Giao ban sáng', 'Giao ban chiều']);
    const detail = await t.request('GET', `/api/meetings/${created.body.id}`, { cookie: t.cookies.leader });
    expect(detail.body.participantCount).toBe(4);
    await t.request('PATCH', `/api/meetings/${created.body.id}`, { cookie: t.cookies.secretariat, body: { removeSiteIds: [communes[0]] } });
    expect((await t.request('GET', `/api/meetings/${created.body.id}`, { cookie: t.cookies.leader })).body.participantCount).toBe(3);
    await t.request('POST', `/api/meetings/${created.body.id}/cancel`, { cookie: t.cookies.secretariat, body: {} });
    expect((await t.request('GET', '/api/meetings?status=scheduled', { cookie: t.cookies.leader })).body.meetings).toHaveLength(1);
  });

  it('answers 304 to a matching If-None-Match, privately, and 404 for an unknown meeting', async () => {
    const first = await t.request('GET', '/api/meetings', { cookie: t.cookies.leader });
    const etag = first.headers.get('etag')!;
    expect(first.headers.get('cache-control')).toBe('private, no-cache');
    const again = await t.app.request('/api/meetings', { headers: { cookie: t.cookies.leader, 'if-none-match': etag } });
    expect(again.status).toBe(304);
    await schedule('Giao ban tối', 10);
    expect((await t.app.request('/api/meetings', { headers: { cookie: t.cookies.leader, 'if-none-match': etag } })).status).toBe(200);
    expect((await t.request('GET', '/api/meetings/00000000-0000-4000-8000-00000000abcd', { cookie: t.cookies.leader })).status).toBe(404);
  });
});
