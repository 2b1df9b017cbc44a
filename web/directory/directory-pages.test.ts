/**
 * The directory pages through app.request(): the forms post to the same services as the API
 * (api/directory/directory.test.ts proves those on both drivers), so PGlite is enough here.
 */
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog, sites } from '../../db/schema.ts';
import { readArrival, testTransport } from '../../api/invites/delivery.test-support.ts';
import type { MailTransport } from '../../api/invites/mail-transport.ts';
import { mintMeetingTokens } from '../../api/invites/site-tokens.ts';
import { startTestSmtpServer, type TestSmtpServer } from '../../api/invites/smtp-test-server.test-support.ts';
import { createTestApp, TEST_NOW, type TestApp } from '../../tests/support/app.ts';

describe('directory pages', () => {
  let t: TestApp;
  let smtp: TestSmtpServer;
  let transport: MailTransport;
  let communes: { id: string; name: string; unitCode: string }[];

  beforeAll(async () => {
    smtp = await startTestSmtpServer();
    transport = testTransport(smtp.url);
    t = await createTestApp('pglite', { provinces: ['44', '01'], mailTransport: transport });
    communes = (await t.request('GET', '/api/units/44/sites', { cookie: t.cookies.secretariat })).body.sites.filter(
      (s: { kind: string }) => s.kind === 'commune',
    );
  });
  afterAll(async () => {
    await t.close();
    await transport.close();
    await smtp.close();
  });

  const page = (path: string, cookie = t.cookies.secretariat) => t.request('GET', path, { cookie });
  const postForm = (path: string, fields: Record<string, string>) =>
    t.request('POST', path, {
      rawBody: new URLSearchParams(fields).toString(),
      cookie: t.cookies.secretariat,
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://localhost' },
    });
  const upload = async (code: string, name: string, content: string) => {
    const form = new FormData();
    form.append('file', new File([content], name, { type: 'text/csv' }));
    const response = await t.app.request(`/directory/units/${code}/import`, {
      method: 'POST',
      body: form,
      headers: { cookie: t.cookies.secretariat, origin: 'http://localhost' },
    });
    return { status: response.status, location: response.headers.get('location'), body: await response.text() };
  };

  it('lists provinces with their sites without an address, for the secretariat only', async () => {
    const home = await page('/directory');
    expect(home.status).toBe(200);
    expect(home.body).toContain('Danh bạ điểm cầu');
    // Every seeded address is a placeholder: all of Quảng Trị's communes and its hall count.
    const quangTri = /<tr data-code="44">([\s\S]*?)<\/tr>/.exec(home.body)![1]!;
    expect(quangTri).toContain(`>${communes.length + 1}</a>`);
    expect((await page('/directory', t.cookies.leader)).status).toBe(403);
    const anonymous = await t.request('GET', '/directory');
    expect(anonymous.status).toBe(303);
    expect((await page('/directory/units/44?missing=true')).body).toContain('Chưa có địa chỉ e-mail');
  });

  it('saves one site from its form, audited; a bad address is refused in Vietnamese and loses nothing', async () => {
    const site = communes[0]!;
    const refused = await postForm(`/directory/sites/${site.id}`, {
      contactEmails: 'vanthu@xa.gov.vn\nkhông-phải-địa-chỉ',
      contactPhone: '0233 3852 111',
      responsiblePerson: 'Lê Thị Lan',
      hallAddress: '',
      note: '',
      active: 'true',
    });
    expect(refused.status).toBe(422);
    expect(refused.body).toContain('Giá trị không hợp lệ: Thư điện tử');
    expect(refused.body).toContain('Lê Thị Lan');

    const saved = await postForm(`/directory/sites/${site.id}`, {
      contactEmails: 'vanthu@xa.gov.vn\nchutich@xa.gov.vn',
      contactPhone: '0233 3852 111',
      responsiblePerson: 'Lê Thị Lan',
      hallAddress: 'Số 2 Hùng Vương',
      note: '',
      active: 'true',
    });
    expect(saved.status).toBe(303);
    expect(saved.headers.get('location')).toBe(`/directory/sites/${site.id}?saved=1`);
    const [row] = await t.database.db.select().from(sites).where(eq(sites.id, site.id));
    expect(row).toMatchObject({
      contactEmails: ['vanthu@xa.gov.vn', 'chutich@xa.gov.vn'],
      contactPhone: '0233 3852 111',
      responsiblePerson: 'Lê Thị Lan',
      hallAddress: 'Số 2 Hùng Vương',
      note: null,
      active: true,
    });
    const audits = await t.database.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.entityId, site.id), eq(auditLog.action, 'site.update')));
    expect(audits).toHaveLength(1);
    expect((await page(`/directory/sites/${site.id}?saved=1`)).body).toContain('Đã lưu.');
  });

  it('imports through the check page: problems listed, nothing written until confirmed', async () => {
    const [a, b] = [communes[1]!, communes[2]!];
    const csv = `\uFEFFMã đơn vị,Điểm cầu,Thư điện tử,Người phụ trách\r\n${a.unitCode},${a.name},ubnd@${a.unitCode}.gov.vn,Hồ Văn Nam\r\n${b.unitCode},${b.name},sai-dia-chi,Hồ Văn Bắc\r\n00004,Phường Ba Đình,ubnd@badinh.gov.vn,\r\n`;
    const uploaded = await upload('44', 'danh-ba.csv', csv);
    expect(uploaded.status).toBe(303);
    const preview = await page(uploaded.location!);
    expect(preview.status).toBe(200);
    expect(preview.body).toContain('<tr data-line="3">');
    expect(preview.body).toContain('Địa chỉ thư điện tử không hợp lệ');
    expect(preview.body).toContain('<tr data-line="4">');
    expect(preview.body).toContain('Đơn vị không thuộc phạm vi danh bạ này');
    expect(preview.body).toContain('Hồ Văn Nam');

    // Without the confirmation nothing is written.
    const refused = await postForm(`${uploaded.location!}/apply`, {});
    expect(refused.status).toBe(422);
    expect(refused.body).toContain('Tệp còn dòng có lỗi nên chưa ghi gì');
    const [before] = await t.database.db.select().from(sites).where(eq(sites.id, a.id));
    expect(before!.responsiblePerson).toBeNull();

    const applied = await postForm(`${uploaded.location!}/apply`, { acceptValid: 'true' });
    expect(applied.status).toBe(303);
    expect(applied.headers.get('location')).toBe('/directory/units/44?applied=1');
    const [after] = await t.database.db.select().from(sites).where(eq(sites.id, a.id));
    expect(after).toMatchObject({ responsiblePerson: 'Hồ Văn Nam', contactEmails: [`ubnd@${a.unitCode}.gov.vn`] });

    const unreadable = await upload('44', 'not-a-sheet.xlsx', 'PK\u0003\u0004garbage');
    expect(unreadable.status).toBe(422);
    expect(unreadable.body).toContain('Không đọc được tệp');
  });

  it('makes a calendar link from the site page that the feed accepts', async () => {
    const site = communes[3]!;
    const made = await postForm(`/directory/sites/${site.id}/calendar-link`, {});
    expect(made.status).toBe(200);
    const url = /<code id="feed-url">([^<]+)<\/code>/.exec(made.body)![1]!.replaceAll('&amp;', '&');
    const feed = await t.request('GET', url.replace('http://hoinghi.test', ''));
    expect(feed.status).toBe(200);
    expect(feed.headers.get('content-type')).toContain('text/calendar');

    const rotated = await postForm(`/directory/sites/${site.id}/calendar-link`, { rotate: 'true' });
    expect(rotated.status).toBe(200);
    expect((await t.request('GET', url.replace('http://hoinghi.test', ''))).status).toBe(410);

    // Without a real address there is nothing to send it to.
    const unsent = await postForm(`/directory/sites/${site.id}/calendar-link`, { send: 'true' });
    expect(unsent.status).toBe(422);
    expect(unsent.body).toContain('chưa có địa chỉ thư điện tử thật');
  });

  it('sends the calendar link to the site’s real addresses (real SMTP server, parsed)', async () => {
    const site = communes[4]!;
    await t.request('PATCH', `/api/directory/sites/${site.id}`, {
      cookie: t.cookies.secretariat,
      body: { contactEmails: ['lich@xa4.quangtri.gov.vn', 'vanthu@xa4.quangtri.gov.vn'] },
    });
    const sitePage = await page(`/directory/sites/${site.id}`);
    expect(sitePage.body).toContain('id="send-feed-link"');
    const before = smtp.received.length;
    const sent = await postForm(`/directory/sites/${site.id}/calendar-link`, { send: 'true' });
    expect(sent.status).toBe(200);
    expect(sent.body).toContain('Đã gửi đường dẫn lịch tới: lich@xa4.quangtri.gov.vn, vanthu@xa4.quangtri.gov.vn');
    const url = /<code id="feed-url">([^<]+)<\/code>/.exec(sent.body)![1]!.replaceAll('&amp;', '&');
    expect(smtp.received.length).toBe(before + 1);
    const mail = smtp.received.at(-1)!;
    expect(mail.rcptTo.sort()).toEqual(['lich@xa4.quangtri.gov.vn', 'vanthu@xa4.quangtri.gov.vn']);
    const arrival = await readArrival(mail);
    expect(arrival.to).toBe('lich@xa4.quangtri.gov.vn');
    expect(arrival.text).toContain(url);
    expect((await t.request('GET', url.replace('http://hoinghi.test', ''))).status).toBe(200);
  });

  it('tells the scheduling form how many communes of each province have no address', async () => {
    const form = await page('/meetings/new');
    expect(form.body).toContain(`value="44" data-count="${communes.length}" data-missing="${communes.length - 3}"`);
    expect(form.body).toContain('data-template="{n} điểm cầu chưa có địa chỉ e-mail"');
    const listed = (await page('/api/units/44/sites')).body.sites as { id: string; hasRealAddress: boolean }[];
    expect(
      listed
        .filter((s) => s.hasRealAddress)
        .map((s) => s.id)
        .sort(),
    ).toEqual([communes[0]!.id, communes[1]!.id, communes[4]!.id].sort());
  });

  it('prints and exports the call list: sites that have not answered, with person and phone', async () => {
    const [a, b, c] = [communes[20]!, communes[21]!, communes[22]!];
    await t.request('PATCH', `/api/directory/sites/${b.id}`, {
      cookie: t.cookies.secretariat,
      body: { responsiblePerson: 'Đặng Văn Bình', contactPhone: '0912 345 678' },
    });
    const hall = (await t.request('GET', '/api/sites?kind=hall', { cookie: t.cookies.secretariat })).body.sites.find(
      (h: { unitCode: string }) => h.unitCode === '44',
    );
    const startsAt = new Date(TEST_NOW.getTime() + 5 * 86_400_000);
    const created = await t.request('POST', '/api/meetings', {
      cookie: t.cookies.secretariat,
      body: {
        title: 'Giao ban quý',
        hostSiteId: hall.id,
        startsAt: startsAt.toISOString(),
        endsAt: new Date(startsAt.getTime() + 3600_000).toISOString(),
        siteIds: [a.id, b.id, c.id],
      },
    });
    const meetingId = created.body.id as string;
    const { readiness } = await mintMeetingTokens(t.database.db, { meetingId, siteId: a.id, expiresAt: startsAt, purposes: ['readiness'] });
    await t.request('POST', `/ready/${readiness}`, {
      rawBody: new URLSearchParams({ answer: 'attending' }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://localhost' },
    });

    const json = await t.request('GET', `/api/meetings/${meetingId}/call-list`, { cookie: t.cookies.secretariat });
    expect(json.status).toBe(200);
    expect(json.body.invited).toBe(4);
    expect(json.body.sites.map((s: { siteId: string }) => s.siteId).sort()).toEqual([b.id, c.id].sort());
    expect(json.body.sites.find((s: { siteId: string }) => s.siteId === b.id)).toMatchObject({
      responsiblePerson: 'Đặng Văn Bình',
      contactPhone: '0912 345 678',
      invitation: 'pending',
    });

    const csv = await t.app.request(`/api/meetings/${meetingId}/call-list?format=csv`, { headers: { cookie: t.cookies.secretariat } });
    const text = Buffer.from(await csv.arrayBuffer()).toString('utf8');
    expect(text.startsWith('\uFEFFSTT,Điểm cầu,Mã đơn vị,Đơn vị,Người phụ trách,Điện thoại,Thư điện tử,Giấy mời\r\n')).toBe(true);
    expect(text.trimEnd().split('\r\n')).toHaveLength(3);
    expect(text).toContain('Đặng Văn Bình,0912 345 678');

    const printable = await page(`/meetings/${meetingId}/call-list`);
    expect(printable.status).toBe(200);
    expect(printable.body).toContain('0912 345 678');
    expect(printable.body).toContain('2 trong số 4 điểm cầu chưa xác nhận tham dự.');
    expect((await page(`/meetings/${meetingId}/call-list`, t.cookies.leader)).status).toBe(403);
    expect((await t.request('GET', `/api/meetings/${meetingId}/call-list`, { cookie: t.cookies.leader })).status).toBe(403);
    expect((await page(`/meetings/${meetingId}/invites`)).body).toContain(`href="/meetings/${meetingId}/call-list"`);
  });
});
