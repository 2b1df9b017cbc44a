/**
 * The readiness flow in a real browser (Debian Chromium through playwright-core): a meeting is
 * scheduled, the dispatcher delivers to a local SMTP server, the commune opens the readiness
 * link from its e-mail, confirms with a delegate, and the secretariat sees the answer.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { linkIn, readArrival, testDispatcher, testTransport, waitFor } from '../../api/invites/delivery.test-support.ts';
import type { InviteDispatcher } from '../../api/invites/dispatcher.ts';
import type { MailTransport } from '../../api/invites/mail-transport.ts';
import { startTestSmtpServer, type TestSmtpServer } from '../../api/invites/smtp-test-server.test-support.ts';
import { createTestApp, TEST_NOW, type TestApp } from '../../tests/support/app.ts';
import { launchBrowser, serveApp, type RunningServer } from '../../tests/support/browser.ts';

// Real browsers and media on a 2-core machine shared with other test files: slow, not stuck.
vi.setConfig({ testTimeout: 300_000, hookTimeout: 300_000 });

describe('readiness page in Chromium', () => {
  let t: TestApp;
  let smtp: TestSmtpServer;
  let transport: MailTransport;
  let dispatcher: InviteDispatcher;
  let http: RunningServer;
  let origin: string;
  let browser: Browser;

  beforeAll(async () => {
    smtp = await startTestSmtpServer();
    t = await createTestApp('pglite', { provinces: ['44'] });
    transport = testTransport(smtp.url);
    dispatcher = testDispatcher(t, transport);
    dispatcher.start();
    http = await serveApp(t.app.fetch);
    origin = http.url;
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await http?.close();
    await dispatcher.close();
    await transport.close();
    await t.close();
    await smtp.close();
  });

  it('a commune confirms from the link in its e-mail and the secretariat sees it', async () => {
    const halls = (await t.request('GET', '/api/sites?kind=hall', { cookie: t.cookies.secretariat })).body.sites as { id: string; unitCode: string }[];
    const communes = (await t.request('GET', '/api/units/44/sites', { cookie: t.cookies.secretariat })).body.sites.filter(
      (s: { kind: string }) => s.kind === 'commune',
    ) as { id: string; name: string; contactEmails: string[] }[];
    const commune = communes[3]!;
    const created = await t.request('POST', '/api/meetings', {
      cookie: t.cookies.secretariat,
      body: {
        title: 'Hội nghị sơ kết quý IV',
        hostSiteId: halls.find((h) => h.unitCode === '44')!.id,
        startsAt: new Date(TEST_NOW.getTime() + 86_400_000).toISOString(),
        endsAt: new Date(TEST_NOW.getTime() + 93_600_000).toISOString(),
        siteIds: communes.slice(0, 5).map((c) => c.id),
      },
    });
    expect(created.status).toBe(201);
    const meetingId = created.body.id as string;

    await waitFor(() => smtp.received.length >= 6, 'six invitations');
    const mails = await Promise.all(smtp.received.map(readArrival));
    const mail = mails.find((m) => m.rcptTo.includes(commune.contactEmails[0]!))!;
    expect(mail).toBeDefined();
    // The link is built on PUBLIC_URL (what a reverse proxy would present); open it on this server.
    const link = new URL(linkIn(mail.text, 'ready'));
    expect(link.origin).toBe('http://hoinghi.test');

    const page = await browser.newPage();
    const cspViolations: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
    });
    const response = await page.goto(origin + link.pathname);
    expect(response?.status()).toBe(200);
    await expect.poll(() => page.locator('#site-name').textContent()).toBe(commune.name);
    expect(await page.locator('#meeting-title').textContent()).toBe('Hội nghị sơ kết quý IV');

    await page.getByLabel('Người dự họp (họ tên, chức vụ)').fill('Đ/c Trần Thị B, Phó Chủ tịch UBND xã');
    await Promise.all([page.waitForURL(/\?saved=1$/), page.getByRole('button', { name: 'Sẽ tham dự' }).click()]);
    expect(await page.locator('#answer-saved').isVisible()).toBe(true);
    expect(await page.locator('#current-answer').textContent()).toContain('Sẽ tham dự');
    expect(await page.locator('input[name=delegateName]').inputValue()).toBe('Đ/c Trần Thị B, Phó Chủ tịch UBND xã');

    // The secretariat signs in and finds the answer on the meeting's invitations page.
    const staff = await browser.newPage();
    await staff.goto(`${origin}/login?next=${encodeURIComponent(`/meetings/${meetingId}/invites`)}`);
    await staff.getByLabel('Thư điện tử').fill('secretariat@test.hoinghi');
    await staff.getByLabel('Mật khẩu').fill('correct horse battery');
    await Promise.all([staff.waitForURL(new RegExp(`/meetings/${meetingId}/invites$`)), staff.getByRole('button', { name: 'Đăng nhập' }).click()]);
    const row = staff.locator(`tr[data-site-id="${commune.id}"]`);
    expect(await row.locator('td.answer').textContent()).toContain('Sẽ tham dự');
    expect(await row.locator('td.answer').textContent()).toContain('Đ/c Trần Thị B, Phó Chủ tịch UBND xã');
    expect(await row.textContent()).toContain('Đã gửi');
    // And the meeting page links there.
    await staff.goto(`${origin}/meetings/${meetingId}`);
    expect(await staff.locator('#invites-link').getAttribute('href')).toBe(`/meetings/${meetingId}/invites`);
    expect(cspViolations).toEqual([]);
  });
});
