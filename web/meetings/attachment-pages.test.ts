/**
 * The meeting's document through the pages: chosen in the scheduling form (multipart), replaced
 * and removed on the meeting page, refused in Vietnamese when it is not a PDF.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toVietnamLocalInput } from '../../api/time.ts';
import { createTestApp, TEST_NOW, type TestApp } from '../../tests/support/app.ts';

const PDF = Buffer.from('%PDF-1.4\n1 0 obj <</Type /Catalog>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n');

describe('the attached document on the pages', () => {
  let t: TestApp;
  let hall: string;
  let commune: string;
  beforeAll(async () => {
    t = await createTestApp('pglite', { provinces: ['44'] });
    const sites = (await t.request('GET', '/api/units/44/sites', { cookie: t.cookies.secretariat })).body.sites as { id: string; kind: string }[];
    hall = sites.find((s) => s.kind === 'hall')!.id;
    commune = sites.find((s) => s.kind === 'commune')!.id;
  });
  afterAll(async () => {
    await t.close();
  });

  const post = (path: string, form: FormData) =>
    t.app.request(path, { method: 'POST', body: form, headers: { cookie: t.cookies.quangTriSecretariat!, origin: 'http://localhost' } });

  it('schedules with the PDF chosen in the form, then refuses a non-PDF and removes it from the meeting page', async () => {
    const form = new FormData();
    const day = toVietnamLocalInput(new Date(TEST_NOW.getTime() + 2 * 86_400_000)).slice(0, 10);
    for (const [k, v] of Object.entries({ title: 'Họp có giấy mời', hostSiteId: hall, date: day, startTime: '08:00', endTime: '09:00', siteIds: commune }))
      form.append(k, v);
    form.append('attachment', new File([PDF], 'Giấy mời.pdf', { type: 'application/pdf' }));
    const created = await post('/meetings/new', form);
    expect(created.status).toBe(303);
    const meetingId = created.headers.get('location')!.split('/').pop()!;
    const page = await t.request('GET', `/meetings/${meetingId}`, { cookie: t.cookies.quangTriSecretariat });
    expect(page.body).toContain('Giấy mời.pdf');
    expect((await t.request('GET', `/api/meetings/${meetingId}`, { cookie: t.cookies.secretariat })).body).toMatchObject({
      sequence: 0,
      attachment: { fileName: 'Giấy mời.pdf', sizeBytes: PDF.byteLength },
    });
    const download = await t.app.request(`/meetings/${meetingId}/attachment`, { headers: { cookie: t.cookies.leader } });
    expect(download.status).toBe(200);
    expect(Buffer.compare(Buffer.from(await download.arrayBuffer()), PDF)).toBe(0);

    const wrong = new FormData();
    wrong.append('attachment', new File(['<html>not a pdf</html>'], 'giay-moi.pdf', { type: 'application/pdf' }));
    const refused = await post(`/meetings/${meetingId}/attachment`, wrong);
    expect(refused.status).toBe(422);
    expect(await refused.text()).toContain('Tệp đính kèm phải là tệp PDF');
    expect((await t.request('GET', `/api/meetings/${meetingId}`, { cookie: t.cookies.secretariat })).body.sequence).toBe(0);

    const nothing = await post(`/meetings/${meetingId}/attachment`, new FormData());
    expect(nothing.status).toBe(400);
    expect(await nothing.text()).toContain('Chưa chọn tệp PDF');

    const remove = new FormData();
    remove.append('remove', 'yes');
    const removed = await post(`/meetings/${meetingId}/attachment`, remove);
    expect(removed.status).toBe(303);
    expect(removed.headers.get('location')).toBe(`/meetings/${meetingId}?attachment=1`);
    expect((await t.request('GET', `/api/meetings/${meetingId}`, { cookie: t.cookies.secretariat })).body).toMatchObject({ sequence: 1, attachment: null });
    // A leader may read, not change.
    const leader = await t.app.request(`/meetings/${meetingId}/attachment`, {
      method: 'POST',
      body: remove,
      headers: { cookie: t.cookies.leader, origin: 'http://localhost' },
    });
    expect(leader.status).toBe(403);
  });

  it('refuses a recurring meeting with a document rather than dropping the file, and schedules nothing', async () => {
    const form = new FormData();
    const day = toVietnamLocalInput(new Date(TEST_NOW.getTime() + 3 * 86_400_000)).slice(0, 10);
    const fields = { title: 'Giao ban định kỳ có giấy mời', hostSiteId: hall, date: day, startTime: '08:00', endTime: '09:00', siteIds: commune };
    for (const [k, v] of Object.entries({ ...fields, repeat: 'weekly', repeatCount: '3' })) form.append(k, v);
    form.append('attachment', new File([PDF], 'Giấy mời.pdf', { type: 'application/pdf' }));
    const refused = await post('/meetings/new', form);
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain('Chưa gửi được văn bản kèm theo cho cuộc họp định kỳ');
    const listed = await t.request('GET', '/api/meetings?limit=100', { cookie: t.cookies.secretariat });
    expect(JSON.stringify(listed.body)).not.toContain('Giao ban định kỳ có giấy mời');
  });
});
