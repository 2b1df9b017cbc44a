/**
 * The rehearsal in a real browser (Debian Chromium, fake camera and microphone) against the whole
 * app with the SFU on real mediasoup workers: a meeting is scheduled a day ahead, the dispatcher
 * delivers to a local SMTP server, the commune opens the "Kiểm tra thiết bị" link from its
 * e-mail, the page checks the devices and rehearses against the SFU, and the secretariat's
 * invitations page shows the commune's round trip. The rehearsal is no attendance: nothing is
 * recorded and no meeting room is opened.
 */
import { and, eq } from 'drizzle-orm';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { readArrival, testDispatcher, testTransport, waitFor } from '../../api/invites/delivery.test-support.ts';
import type { InviteDispatcher } from '../../api/invites/dispatcher.ts';
import type { MailTransport } from '../../api/invites/mail-transport.ts';
import { startTestSmtpServer, type TestSmtpServer } from '../../api/invites/smtp-test-server.test-support.ts';
import { attendanceEvents, deviceChecks } from '../../db/schema.ts';
import { launchBrowser, NETWORK_REACHED } from '../../tests/support/browser.ts';
import { startLiveTestServer, type LiveTestServer } from '../../tests/support/live.ts';

// Real browsers and media on a 2-core machine shared with other test files: slow, not stuck.
vi.setConfig({ testTimeout: 300_000, hookTimeout: 300_000 });

describe('device check in Chromium', () => {
  let live: LiveTestServer;
  let smtp: TestSmtpServer;
  let transport: MailTransport;
  let dispatcher: InviteDispatcher;
  let browser: Browser;

  beforeAll(async () => {
    smtp = await startTestSmtpServer();
    live = await startLiveTestServer('pglite', { provinces: ['44'] });
    transport = testTransport(smtp.url);
    dispatcher = testDispatcher(live.t, transport);
    dispatcher.start();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await dispatcher?.close();
    await transport?.close();
    await live?.close();
    await smtp?.close();
  });

  it('a commune checks its devices from the e-mail link, and the secretariat sees its round trip', async () => {
    const { t } = live;
    const halls = (await t.request('GET', '/api/sites?kind=hall', { cookie: t.cookies.secretariat })).body.sites as { id: string; unitCode: string }[];
    const communes = (await t.request('GET', '/api/units/44/sites', { cookie: t.cookies.secretariat })).body.sites.filter(
      (s: { kind: string }) => s.kind === 'commune',
    ) as { id: string; name: string; contactEmails: string[] }[];
    const commune = communes[2]!;
    const startsAt = new Date(Date.now() + 86_400_000);
    const created = await t.request('POST', '/api/meetings', {
      cookie: t.cookies.secretariat,
      body: {
        title: 'Giao ban trực tuyến tháng 12',
        hostSiteId: halls.find((h) => h.unitCode === '44')!.id,
        startsAt: startsAt.toISOString(),
        endsAt: new Date(startsAt.getTime() + 2 * 3600_000).toISOString(),
        siteIds: communes.slice(0, 4).map((c) => c.id),
        allowConflicts: true,
      },
    });
    expect(created.status).toBe(201);
    const meetingId = created.body.id as string;

    await waitFor(() => smtp.received.length >= 5, 'five invitations');
    const mails = await Promise.all(smtp.received.map(readArrival));
    const mail = mails.find((m) => m.rcptTo.includes(commune.contactEmails[0]!))!;
    // The "Kiểm tra thiết bị" link: the check page of the site's readiness token.
    const link = /https?:\/\/\S+\/ready\/[A-Za-z0-9_-]{43}\/check/.exec(mail.text)?.[0];
    expect(link).toBeDefined();
    expect(new URL(link!).origin).toBe(live.url);

    const context = await browser.newContext();
    const page = await context.newPage();
    const cspViolations: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
    });
    expect((await page.goto(link!))?.status()).toBe(200);
    expect(await page.locator('#site-name').textContent()).toBe(commune.name);
    await expect.poll(() => page.locator('#check-camera').getAttribute('data-state'), { timeout: 30_000 }).toBe('ok');
    await expect.poll(() => page.locator('#check-mic').getAttribute('data-state'), { timeout: 30_000 }).toBe('ok');
    await expect.poll(() => page.locator('#check-saved').getAttribute('data-saved'), { timeout: 90_000 }).toBe('true');
    expect(await page.locator('#check-network').getAttribute('data-state')).toMatch(NETWORK_REACHED);
    expect(await page.textContent('#check-network .result')).toMatch(/độ trễ khứ hồi \d+ ms · mất gói [\d,]+%/);
    const rttMs = Number(await page.locator('#check-network').getAttribute('data-rtt-ms'));
    expect(Number.isInteger(rttMs) && rttMs >= 0).toBe(true);

    // Stored as the site's check, with what the SFU measured; the rehearsal left nothing behind.
    const [row] = await t.database.db
      .select()
      .from(deviceChecks)
      .where(and(eq(deviceChecks.meetingId, meetingId), eq(deviceChecks.siteId, commune.id)));
    expect(row).toMatchObject({ cameraOk: true, micOk: true, rttMs });
    expect(row!.browser).toMatch(/^(Chrome|Chromium) \d+ · Linux$/);
    expect(row!.lossPermille).not.toBeNull();
    await expect.poll(() => live.live.sfu.signaling.rehearsalCount(), { timeout: 10_000 }).toBe(0);
    expect(live.live.sfu.signaling.room(meetingId)).toBeUndefined();
    expect(await t.database.db.select().from(attendanceEvents).where(eq(attendanceEvents.meetingId, meetingId))).toEqual([]);

    // The secretariat's invitations page shows the check beside the answer.
    const staff = await browser.newContext();
    const [name, value] = t.cookies.secretariat.split('=') as [string, string];
    await staff.addCookies([{ name, value, url: live.url }]);
    const invitesPage = await staff.newPage();
    await invitesPage.goto(`${live.url}/meetings/${meetingId}/invites`);
    const cell = invitesPage.locator(`tr[data-site-id="${commune.id}"] td.device-check`);
    expect(await cell.locator('.rtt').textContent()).toBe(`${rttMs} ms`);
    expect(await cell.textContent()).toContain('Camera tốt');
    // The sites that never checked come first.
    const order = await invitesPage.locator('#invite-table tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-site-id')));
    expect(order.indexOf(commune.id)).toBe(order.length - 1);
    expect(cspViolations).toEqual([]);
    await context.close();
    await staff.close();
  });
});
