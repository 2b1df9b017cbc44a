import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog, invites, rsvps, sites } from '../../db/schema.ts';
import { createTestApp, TEST_NOW, type TestApp } from '../../tests/support/app.ts';
import { DRIVERS } from '../../tests/support/database.ts';
import { readWithBothParsers } from './ics-readers.test-support.ts';
import { createMailFolderTransport } from './mail-folder.ts';
import { NO_CONTACT_EMAIL } from './outbox.ts';
import { testDispatcher } from './delivery.test-support.ts';
import { mintMeetingTokens } from './site-tokens.ts';

const hours = (n: number) => new Date(TEST_NOW.getTime() + n * 3600_000).toISOString();

describe.each(DRIVERS)('invitations API and pages on %s', (driver) => {
  let t: TestApp;
  let hall: string;
  let communes: { id: string; name: string }[];
  let outboxDir: string;
  let slot = 0;

  beforeAll(async () => {
    outboxDir = await mkdtemp(path.join(os.tmpdir(), 'hoinghi-outbox-'));
    t = await createTestApp(driver, { provinces: ['44'], config: { MAIL_FOLDER_DIR: outboxDir, REMINDER_HOURS_BEFORE: '24' } });
    const halls = (await t.request('GET', '/api/sites?kind=hall', { cookie: t.cookies.secretariat })).body.sites as { id: string; unitCode: string }[];
    hall = halls.find((h) => h.unitCode === '44')!.id;
    communes = (await t.request('GET', '/api/units/44/sites', { cookie: t.cookies.secretariat })).body.sites.filter(
      (s: { kind: string }) => s.kind === 'commune',
    );
  });
  afterAll(async () => {
    await t.close();
    await rm(outboxDir, { recursive: true, force: true });
  });

  /** Each test books its own hours so meetings never conflict. */
  async function schedule(siteIds: string[], startHour?: number) {
    const start = startHour ?? 48 + 4 * slot++;
    const response = await t.request('POST', '/api/meetings', {
      cookie: t.cookies.secretariat,
      body: { title: `Họp số ${slot}`, hostSiteId: hall, startsAt: hours(start), endsAt: hours(start + 2), siteIds, allowConflicts: true },
    });
    expect(response.status, JSON.stringify(response.body)).toBe(201);
    return response.body as { id: string; sequence: number };
  }
  const rowsOf = (meetingId: string) => t.database.db.select().from(invites).where(eq(invites.meetingId, meetingId));
  const localDispatcher = () => testDispatcher(t, createMailFolderTransport({ dir: outboxDir }), { concurrency: 1 });
  const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
  const postForm = (url: string, fields: Record<string, string>, headers: Record<string, string> = {}) =>
    t.request('POST', url, { rawBody: form(fields), headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://localhost', ...headers } });

  it('queues the right message for every kind of change, in the meeting transaction', async () => {
    const [a, b, c] = communes;
    const meeting = await schedule([a!.id, b!.id]);
    let rows = await rowsOf(meeting.id);
    expect(rows.map((r) => [r.siteId, r.method, r.kind, r.sequence]).sort()).toEqual(
      [
        [hall, 'REQUEST', 'invite', 0],
        [a!.id, 'REQUEST', 'invite', 0],
        [b!.id, 'REQUEST', 'invite', 0],
      ].sort(),
    );
    expect(rows.every((r) => r.status === 'queued' && r.recipients.length === 1)).toBe(true);

    // Membership only: the added site is invited, the removed one withdrawn, nobody else bothered.
    await t.request('PATCH', `/api/meetings/${meeting.id}`, { cookie: t.cookies.secretariat, body: { addSiteIds: [c!.id], removeSiteIds: [b!.id] } });
    rows = (await rowsOf(meeting.id)).filter((r) => r.sequence === 1);
    expect(rows.map((r) => [r.siteId, r.method, r.kind]).sort()).toEqual(
      [
        [b!.id, 'CANCEL', 'cancel'],
        [c!.id, 'REQUEST', 'invite'],
      ].sort(),
    );

    // Content: every current site is updated.
    await t.request('PATCH', `/api/meetings/${meeting.id}`, { cookie: t.cookies.secretariat, body: { title: 'Họp đổi tên' } });
    rows = (await rowsOf(meeting.id)).filter((r) => r.sequence === 2);
    expect(rows.map((r) => [r.siteId, r.kind]).sort()).toEqual(
      [
        [hall, 'update'],
        [a!.id, 'update'],
        [c!.id, 'update'],
      ].sort(),
    );

    // A refused change (a site that does not exist) queues nothing.
    const refused = await t.request('PATCH', `/api/meetings/${meeting.id}`, {
      cookie: t.cookies.secretariat,
      body: { addSiteIds: ['00000000-0000-4000-8000-000000000000'] },
    });
    expect(refused.status).toBe(422);
    expect((await rowsOf(meeting.id)).filter((r) => r.sequence === 3)).toEqual([]);

    // The stale seq-0 and seq-1 REQUESTs are not sent: only the newest calendar goes out.
    await localDispatcher().drain();
    rows = await rowsOf(meeting.id);
    const statusOf = (siteId: string, sequence: number) => rows.find((r) => r.siteId === siteId && r.sequence === sequence)?.status;
    expect(statusOf(a!.id, 0)).toBe('superseded');
    expect(statusOf(a!.id, 2)).toBe('sent');
    expect(statusOf(b!.id, 0)).toBe('superseded');
    expect(statusOf(b!.id, 1)).toBe('sent'); // the withdrawal always goes
    expect(statusOf(c!.id, 1)).toBe('superseded');
    expect(statusOf(c!.id, 2)).toBe('sent');
  });

  it('does not send an invitation that waited past the end of its meeting', async () => {
    const meeting = await schedule([communes[60]!.id], 30);
    t.clock.now = new Date(TEST_NOW.getTime() + 33 * 3600_000);
    try {
      await localDispatcher().drain();
    } finally {
      t.clock.now = TEST_NOW;
    }
    const rows = await rowsOf(meeting.id);
    expect(rows.map((r) => [r.status, r.lastError])).toEqual([
      ['superseded', 'meeting already over'],
      ['superseded', 'meeting already over'],
    ]);
  });

  it('shows a site without an address as failed with the reason, and resends once it is fixed', async () => {
    const [a, b] = [communes[10]!, communes[11]!];
    await t.database.db.update(sites).set({ contactEmails: [] }).where(eq(sites.id, b.id));
    const meeting = await schedule([a.id, b.id]);
    await localDispatcher().drain();

    let view = await t.request('GET', `/api/meetings/${meeting.id}/invites`, { cookie: t.cookies.leader });
    expect(view.status).toBe(200);
    const siteView = (siteId: string) => view.body.sites.find((s: { siteId: string }) => s.siteId === siteId);
    expect(siteView(b.id).latest).toMatchObject({ status: 'failed', lastError: NO_CONTACT_EMAIL, attempts: 0 });
    expect(siteView(a.id).latest).toMatchObject({ status: 'sent', attempts: 1, sequence: 0 });
    expect(siteView(a.id).lastSentSequence).toBe(0);
    expect(view.body.summary).toMatchObject({ sites: 3, sent: 2, failed: 1, unanswered: 3 });

    const page = await t.request('GET', `/meetings/${meeting.id}/invites`, { cookie: t.cookies.secretariat });
    expect(page.status).toBe(200);
    expect(page.body).toContain('Điểm cầu chưa có địa chỉ thư điện tử');
    expect(page.body).toContain('Gửi lại tất cả thư lỗi');

    // Leaders read, only the secretariat resends.
    expect((await t.request('POST', `/api/meetings/${meeting.id}/invites/resend`, { cookie: t.cookies.leader, body: {} })).status).toBe(403);
    let resend = await t.request('POST', `/api/meetings/${meeting.id}/invites/resend`, { cookie: t.cookies.secretariat, body: { failedOnly: true } });
    expect(resend.body).toEqual({ requeued: 0, resent: 0, alreadyPending: 0, withoutAddress: 1 });

    await t.database.db
      .update(sites)
      .set({ contactEmails: ['vanthu.moi@quangtri.gov.vn'] })
      .where(eq(sites.id, b.id));
    resend = await t.request('POST', `/api/meetings/${meeting.id}/invites/resend`, { cookie: t.cookies.secretariat, body: { failedOnly: true } });
    expect(resend.body).toEqual({ requeued: 1, resent: 0, alreadyPending: 0, withoutAddress: 0 });
    await localDispatcher().drain();
    view = await t.request('GET', `/api/meetings/${meeting.id}/invites`, { cookie: t.cookies.secretariat });
    expect(siteView(b.id).latest).toMatchObject({ status: 'sent', attempts: 1 });

    // A delivered message sent again on purpose: a new row (resend 1) with its own Message-ID.
    resend = await t.request('POST', `/api/meetings/${meeting.id}/invites/resend`, { cookie: t.cookies.secretariat, body: { siteIds: [a.id] } });
    expect(resend.body).toMatchObject({ resent: 1 });
    await localDispatcher().drain();
    const copies = (await rowsOf(meeting.id)).filter((r) => r.siteId === a.id).sort((x, y) => x.resend - y.resend);
    expect(copies.map((r) => [r.resend, r.status])).toEqual([
      [0, 'sent'],
      [1, 'sent'],
    ]);
    expect(copies[1]!.messageId).not.toBe(copies[0]!.messageId);

    // The page's buttons post forms to the same service.
    const viaPage = await postForm(`/meetings/${meeting.id}/invites/resend`, { siteId: b.id }, { cookie: t.cookies.secretariat });
    expect(viaPage.status).toBe(303);
    expect(viaPage.headers.get('location')).toBe(`/meetings/${meeting.id}/invites?resent=1`);
    expect(
      (await t.request('POST', `/api/meetings/${meeting.id}/invites/resend`, { cookie: t.cookies.secretariat, body: { siteIds: [communes[40]!.id] } })).status,
    ).toBe(422);
  });

  it('lets a commune confirm through its readiness link, re-answer, and refuses bad links readably', async () => {
    const site = communes[20]!;
    const meeting = await schedule([site.id], 100);
    const detail = (await t.request('GET', `/api/meetings/${meeting.id}`, { cookie: t.cookies.secretariat })).body;
    const tokens = await mintMeetingTokens(t.database.db, {
      meetingId: meeting.id,
      siteId: site.id,
      expiresAt: new Date(detail.endsAt),
      purposes: ['readiness', 'join'],
    });

    const page = await t.request('GET', `/ready/${tokens.readiness}`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.body).toContain(detail.title);
    expect(page.body).toContain(site.name);
    expect(page.body).toContain('Sẽ tham dự');
    expect(page.body).toContain('Giờ Việt Nam (UTC+7)');
    expect(page.body).not.toMatch(/<script(?![^>]*src=)/); // no inline script (CSP)

    const answered = await postForm(`/ready/${tokens.readiness}`, { answer: 'attending', delegateName: 'Đ/c Nguyễn Văn A, Chủ tịch UBND xã', reason: '' });
    expect(answered.status).toBe(303);
    expect(answered.headers.get('location')).toBe(`/ready/${tokens.readiness}?saved=1`);
    let [rsvp] = await t.database.db
      .select()
      .from(rsvps)
      .where(and(eq(rsvps.meetingId, meeting.id), eq(rsvps.siteId, site.id)));
    expect(rsvp).toMatchObject({ answer: 'attending', delegateName: 'Đ/c Nguyễn Văn A, Chủ tịch UBND xã', reason: null });
    expect(rsvp!.answeredAt.toISOString()).toBe(TEST_NOW.toISOString());
    expect((await t.request('GET', `/ready/${tokens.readiness}?saved=1`)).body).toContain('Đã ghi nhận');

    t.clock.now = new Date(TEST_NOW.getTime() + 3600_000);
    await postForm(`/ready/${tokens.readiness}`, { answer: 'declined', reason: 'Mất điện toàn xã' });
    [rsvp] = await t.database.db
      .select()
      .from(rsvps)
      .where(and(eq(rsvps.meetingId, meeting.id), eq(rsvps.siteId, site.id)));
    expect(rsvp).toMatchObject({ answer: 'declined', reason: 'Mất điện toàn xã', delegateName: null });
    expect(rsvp!.answeredAt.toISOString()).toBe(new Date(TEST_NOW.getTime() + 3600_000).toISOString());
    const audits = await t.database.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.entityId, meeting.id), eq(auditLog.action, 'rsvp.answer')));
    expect(audits.map((a) => a.details?.['answer'])).toEqual(['attending', 'declined']);
    const view = await t.request('GET', `/api/meetings/${meeting.id}/invites`, { cookie: t.cookies.secretariat });
    expect(view.body.sites.find((s: { siteId: string }) => s.siteId === site.id).rsvp).toMatchObject({ answer: 'declined', reason: 'Mất điện toàn xã' });
    t.clock.now = TEST_NOW;

    // An answer that is neither is refused with the form shown again.
    expect((await postForm(`/ready/${tokens.readiness}`, { answer: 'maybe' })).status).toBe(422);
    // Cross-site form posts are refused before they reach the page.
    const forged = await postForm(`/ready/${tokens.readiness}`, { answer: 'attending' }, { origin: 'https://evil.example' });
    expect(forged.status).toBe(403);
    [rsvp] = await t.database.db
      .select()
      .from(rsvps)
      .where(and(eq(rsvps.meetingId, meeting.id), eq(rsvps.siteId, site.id)));
    expect(rsvp!.answer).toBe('declined');

    // Wrong token: 404; a join token is not a readiness token.
    const unknown = await t.request('GET', `/ready/${'x'.repeat(43)}`);
    expect(unknown.status).toBe(404);
    expect(unknown.body).toContain('Đường dẫn không hợp lệ');
    expect((await t.request('GET', `/ready/${tokens.join}`)).status).toBe(404);
    expect((await t.request('GET', `/join/${tokens.join}`)).status).toBe(200);
    // After the meeting: 410.
    t.clock.now = new Date(new Date(detail.endsAt).getTime() + 1000);
    const expired = await t.request('GET', `/ready/${tokens.readiness}`);
    expect(expired.status).toBe(410);
    expect(expired.body).toContain('Cuộc họp đã kết thúc');
    t.clock.now = TEST_NOW;
    // Site removed: revoked, 410, and posting is refused too.
    await t.request('PATCH', `/api/meetings/${meeting.id}`, {
      cookie: t.cookies.secretariat,
      body: { addSiteIds: [communes[21]!.id], removeSiteIds: [site.id] },
    });
    const revoked = await t.request('GET', `/ready/${tokens.readiness}`);
    expect(revoked.status).toBe(410);
    expect(revoked.body).toContain('thu hồi');
    expect((await postForm(`/ready/${tokens.readiness}`, { answer: 'attending' })).status).toBe(410);
    expect((await t.request('GET', `/join/${tokens.join}`)).status).toBe(410);
  });

  it('gives a secretariat a calendar subscription link that serves the site’s meetings', async () => {
    const site = communes[30]!;
    const meeting = await schedule([site.id], 140);
    expect((await t.request('POST', `/api/sites/${site.id}/calendar-token`, { cookie: t.cookies.leader, body: {} })).status).toBe(403);
    const issued = await t.request('POST', `/api/sites/${site.id}/calendar-token`, { cookie: t.cookies.secretariat, body: {} });
    expect(issued.status).toBe(201);
    const url = new URL(issued.body.url);
    expect(url.origin + url.pathname).toBe(`http://hoinghi.test/calendar/sites/${site.id}.ics`);

    const feed = await t.request('GET', url.pathname + url.search);
    expect(feed.status).toBe(200);
    expect(feed.headers.get('content-type')).toContain('text/calendar');
    const calendar = readWithBothParsers(feed.body);
    expect(calendar.method).toBe('PUBLISH');
    const event = calendar.events.find((e) => e.uid.startsWith(meeting.id))!;
    expect(event).toBeDefined();
    // The link in the feed is a working join link for this site, the same on every fetch.
    const again = readWithBothParsers((await t.request('GET', url.pathname + url.search)).body);
    expect(again.events.find((e) => e.uid === event.uid)!.url).toBe(event.url);
    expect((await t.request('GET', new URL(event.url!).pathname)).status).toBe(200);

    // Another site's path with this token, or a made-up token: 404.
    expect((await t.request('GET', `/calendar/sites/${communes[31]!.id}.ics${url.search}`)).status).toBe(404);
    expect((await t.request('GET', `${url.pathname}?token=${'A'.repeat(43)}`)).status).toBe(404);
    // Rotating revokes the earlier link.
    await t.request('POST', `/api/sites/${site.id}/calendar-token`, { cookie: t.cookies.secretariat, body: { rotate: true } });
    expect((await t.request('GET', url.pathname + url.search)).status).toBe(410);
  });

  it('queues one reminder per site and sequence for sites that have not answered, and lists the local mail folder', async () => {
    const [a, b] = [communes[50]!, communes[51]!];
    const meeting = await schedule([a.id, b.id], 20); // within REMINDER_HOURS_BEFORE = 24
    const dispatcher = localDispatcher();
    const detail = (await t.request('GET', `/api/meetings/${meeting.id}`, { cookie: t.cookies.secretariat })).body;
    const { readiness } = await mintMeetingTokens(t.database.db, {
      meetingId: meeting.id,
      siteId: a.id,
      expiresAt: new Date(detail.endsAt),
      purposes: ['readiness'],
    });
    await postForm(`/ready/${readiness}`, { answer: 'attending' });

    // A 24-hour window from TEST_NOW also holds meetings of earlier tests; count this one's.
    const dispatcherWithReminders = testDispatcher(t, createMailFolderTransport({ dir: outboxDir }), { concurrency: 1, reminderHoursBefore: 24 });
    await dispatcherWithReminders.queueReminders();
    await dispatcherWithReminders.queueReminders();
    const reminders = (await rowsOf(meeting.id)).filter((r) => r.kind === 'reminder');
    expect(reminders.map((r) => r.siteId).sort()).toEqual([hall, b.id].sort());
    await dispatcherWithReminders.drain();
    expect((await rowsOf(meeting.id)).filter((r) => r.kind === 'reminder').every((r) => r.status === 'sent')).toBe(true);
    await dispatcher.drain();

    const list = await t.request('GET', '/mail', { cookie: t.cookies.secretariat });
    expect(list.status).toBe(200);
    expect(list.body).toContain('Nhắc lịch họp');
    const id = /href="\/mail\/([^"/]+)"/.exec(list.body)![1]!;
    // The mail folder was called the outbox: old bookmarks lead to the same message.
    const old = await t.request('GET', `/outbox/${id}`, { cookie: t.cookies.secretariat });
    expect([old.status, old.headers.get('location')]).toEqual([301, `/mail/${id}`]);
    const one = await t.request('GET', `/mail/${id}`, { cookie: t.cookies.secretariat });
    expect(one.status).toBe(200);
    const eml = await t.request('GET', `/mail/${id}/message.eml`, { cookie: t.cookies.secretariat });
    expect(eml.status).toBe(200);
    expect(eml.headers.get('content-type')).toBe('message/rfc822');
    expect((await t.request('GET', '/mail/..%2F..%2Fetc%2Fpasswd', { cookie: t.cookies.secretariat })).status).toBe(404);
    expect((await t.request('GET', '/mail', { cookie: t.cookies.leader })).status).toBe(403);
    expect((await t.request('GET', '/mail')).status).toBe(303);
  });
});
