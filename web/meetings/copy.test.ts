/** Copying an earlier meeting opens the scheduling form with its title, agenda, host, hours and sites. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toVietnamLocalInput } from '../../api/time.ts';
import { createTestApp, TEST_NOW, type TestApp } from '../../tests/support/app.ts';

describe('copying a meeting', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp('pglite', { provinces: ['44'] });
  });
  afterAll(async () => {
    await t.close();
  });

  it('fills the form from the earlier meeting, for a new date, and schedules the copy', async () => {
    const sites = (await t.request('GET', '/api/units/44/sites', { cookie: t.cookies.secretariat })).body.sites as { id: string; kind: string }[];
    const hall = sites.find((s) => s.kind === 'hall')!;
    const communes = sites.filter((s) => s.kind === 'commune').slice(0, 3);
    const startsAt = new Date(TEST_NOW.getTime() + 86_400_000);
    const source = await t.request('POST', '/api/meetings', {
      cookie: t.cookies.secretariat,
      body: {
        title: 'Giao ban tháng 12',
        agenda: 'Báo cáo tháng',
        referenceNumber: '99/GM-UBND',
        hostSiteId: hall.id,
        startsAt: startsAt.toISOString(),
        endsAt: new Date(startsAt.getTime() + 5400_000).toISOString(),
        siteIds: communes.map((c) => c.id),
      },
    });
    expect(source.status).toBe(201);

    const form = await t.request('GET', `/meetings/new?copy=${source.body.id}`, { cookie: t.cookies.secretariat });
    expect(form.status).toBe(200);
    expect(form.body).toContain('Sao chép từ cuộc họp «Giao ban tháng 12» (3 điểm cầu)');
    expect(form.body).toContain('value="Giao ban tháng 12"');
    expect(form.body).toContain('Báo cáo tháng');
    expect(form.body).toContain(`name="startTime" required="" value="${toVietnamLocalInput(startsAt).slice(11, 16)}"`);
    expect(form.body).toContain(`name="endTime" required="" value="${toVietnamLocalInput(new Date(startsAt.getTime() + 5400_000)).slice(11, 16)}"`);
    expect(form.body).toContain('name="date" required="" value=""');
    for (const c of communes) expect(form.body).toContain(`<input type="hidden" name="siteIds" value="${c.id}"/>`);
    expect((await t.request('GET', `/meetings/new?copy=${source.body.id}`, { cookie: t.cookies.leader })).status).toBe(403);
    expect((await t.request('GET', '/meetings/new?copy=00000000-0000-4000-8000-000000000000', { cookie: t.cookies.secretariat })).status).toBe(404);
  });
});
