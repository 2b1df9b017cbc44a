/**
 * Editing and cancelling a meeting from its pages, in Debian's Chromium: the edit page moves the
 * meeting and removes two sites, the preview says who gets an update and who a cancellation,
 * and exactly those messages reach a real SMTP server; cancelling needs the confirmation.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { readArrival, testDispatcher, testTransport, waitFor } from '../../api/invites/delivery.test-support.ts';
import type { InviteDispatcher } from '../../api/invites/dispatcher.ts';
import type { MailTransport } from '../../api/invites/mail-transport.ts';
import { startTestSmtpServer, type TestSmtpServer } from '../../api/invites/smtp-test-server.test-support.ts';
import { toVietnamLocalInput } from '../../api/time.ts';
import { createTestApp, TEST_NOW, type TestApp } from '../../tests/support/app.ts';
import { launchBrowser, serveApp, type RunningServer } from '../../tests/support/browser.ts';

// Real browsers on a 2-core machine shared with other test files: slow, not stuck.
vi.setConfig({ testTimeout: 300_000, hookTimeout: 300_000 });

describe('editing and cancelling meetings in Chromium', () => {
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

  async function signIn(): Promise<Page> {
    const page = await browser.newPage();
    await page.goto(`${origin}/login`);
    await page.fill('input[name=email]', 'secretariat@test.hoinghi');
    await page.fill('input[name=password]', 'correct horse battery');
    await Promise.all([page.waitForURL(`${origin}/`), page.click('button[type=submit]')]);
    return page;
  }

  it('moves a meeting and removes two sites: the preview lists who gets what, and exactly that arrives', async () => {
    const sites = (await t.request('GET', '/api/units/44/sites', { cookie: t.cookies.secretariat })).body.sites as {
      id: string;
      kind: string;
      name: string;
      contactEmails: string[];
    }[];
    const hall = sites.find((s) => s.kind === 'hall')!;
    const communes = sites.filter((s) => s.kind === 'commune').slice(0, 5);
    const startsAt = new Date(TEST_NOW.getTime() + 2 * 86_400_000);
    const created = await t.request('POST', '/api/meetings', {
      cookie: t.cookies.secretariat,
      body: {
        title: 'Giao ban tuần',
        hostSiteId: hall.id,
        startsAt: startsAt.toISOString(),
        endsAt: new Date(startsAt.getTime() + 2 * 3600_000).toISOString(),
        siteIds: communes.map((c) => c.id),
      },
    });
    expect(created.status).toBe(201);
    const meetingId = created.body.id as string;
    await waitFor(() => smtp.received.length >= 6, 'six invitations');
    const before = smtp.received.length;

    const page = await signIn();
    await page.goto(`${origin}/meetings/${meetingId}`);
    await Promise.all([page.waitForURL(`${origin}/meetings/${meetingId}/edit`), page.click('#edit-link')]);
    expect(await page.inputValue('input[name=title]')).toBe('Giao ban tuần');
    const day = toVietnamLocalInput(startsAt).slice(0, 10);
    expect(await page.inputValue('input[name=date]')).toBe(day);

    // Move it to the afternoon, take two communes out.
    await page.fill('input[name=startTime]', '14:00');
    await page.fill('input[name=endTime]', '16:30');
    const [gone1, gone2] = [communes[1]!, communes[3]!];
    await page.uncheck(`input[name=keepSiteIds][value="${gone1.id}"]`);
    await page.uncheck(`input[name=keepSiteIds][value="${gone2.id}"]`);
    expect(await page.locator('#save-changes').count()).toBe(0);
    await Promise.all([page.waitForLoadState('domcontentloaded'), page.click('button[name=step][value=preview]')]);
    await page.waitForSelector('#change-preview');

    const staying = [hall, communes[0]!, communes[2]!, communes[4]!];
    const listed = async (group: string) =>
      (await page.locator(`#${group} li[data-site-id]`).evaluateAll((items) => items.map((li) => li.getAttribute('data-site-id')))).sort();
    expect(await page.textContent('#preview-updates .count')).toBe('4');
    expect(await listed('preview-updates')).toEqual(staying.map((s) => s.id).sort());
    expect(await page.textContent('#preview-cancellations .count')).toBe('2');
    expect(await listed('preview-cancellations')).toEqual([gone1.id, gone2.id].sort());
    expect(await page.textContent('#preview-invitations .count')).toBe('0');
    // Nothing has been saved or sent yet.
    expect((await t.request('GET', `/api/meetings/${meetingId}`, { cookie: t.cookies.leader })).body.sequence).toBe(0);
    expect(smtp.received.length).toBe(before);

    await Promise.all([page.waitForURL(`${origin}/meetings/${meetingId}?updated=1`), page.click('#save-changes')]);
    expect(await page.textContent('#participant-count')).toBe('4');

    await waitFor(() => smtp.received.length >= before + 6, 'four updates and two cancellations');
    // Give a stray seventh message the chance to show up before counting.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const arrivals = await Promise.all(smtp.received.slice(before).map(readArrival));
    expect(arrivals).toHaveLength(6);
    const byRecipient = new Map(arrivals.map((a) => [a.to, a]));
    for (const site of staying) {
      const arrival = byRecipient.get(site.contactEmails[0]!)!;
      expect(arrival.contentTypeMethod).toBe('REQUEST');
      expect(arrival.event!.sequence).toBe(1);
      expect(toVietnamLocalInput(arrival.event!.start).slice(11, 16)).toBe('14:00');
    }
    for (const site of [gone1, gone2]) {
      const arrival = byRecipient.get(site.contactEmails[0]!)!;
      expect(arrival.contentTypeMethod).toBe('CANCEL');
      expect(arrival.event!.status).toBe('CANCELLED');
    }
  });

  it('does not cancel without the confirmation; with it, the reason goes out with the cancellation', async () => {
    const sites = (await t.request('GET', '/api/units/44/sites', { cookie: t.cookies.secretariat })).body.sites as {
      id: string;
      kind: string;
      contactEmails: string[];
    }[];
    const hall = sites.find((s) => s.kind === 'hall')!;
    const communes = sites.filter((s) => s.kind === 'commune').slice(10, 12);
    const startsAt = new Date(TEST_NOW.getTime() + 4 * 86_400_000);
    const created = await t.request('POST', '/api/meetings', {
      cookie: t.cookies.secretariat,
      body: {
        title: 'Họp sẽ bị hủy',
        hostSiteId: hall.id,
        startsAt: startsAt.toISOString(),
        endsAt: new Date(startsAt.getTime() + 3600_000).toISOString(),
        siteIds: communes.map((c) => c.id),
      },
    });
    const meetingId = created.body.id as string;
    await waitFor(() => smtp.received.filter((m) => communes.some((c) => m.rcptTo.includes(c.contactEmails[0]!))).length >= 2, 'invitations');
    const before = smtp.received.length;

    const page = await signIn();
    await page.goto(`${origin}/meetings/${meetingId}`);
    await page.click('#cancel-meeting summary');
    await page.fill('#cancel-meeting textarea[name=reason]', 'Lãnh đạo tỉnh đi công tác đột xuất');
    await page.click('#cancel-meeting button[type=submit]');
    // The browser refuses the form without the tick; the server would too (400).
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(page.url()).toBe(`${origin}/meetings/${meetingId}`);
    expect((await t.request('GET', `/api/meetings/${meetingId}`, { cookie: t.cookies.leader })).body.status).toBe('scheduled');
    const unconfirmed = await t.request('POST', `/meetings/${meetingId}/cancel`, {
      cookie: t.cookies.secretariat,
      rawBody: new URLSearchParams({ reason: 'x' }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://localhost' },
    });
    expect(unconfirmed.status).toBe(400);
    expect(unconfirmed.body).toContain('Cần đánh dấu xác nhận');

    await page.check('#cancel-meeting input[name=confirm]');
    await Promise.all([page.waitForURL(`${origin}/meetings/${meetingId}`), page.click('#cancel-meeting button[type=submit]')]);
    expect(await page.textContent('#meeting-status')).toBe('Đã hủy');

    await waitFor(() => smtp.received.length >= before + 3, 'three cancellations');
    const arrivals = await Promise.all(smtp.received.slice(before).map(readArrival));
    expect(arrivals.map((a) => a.contentTypeMethod)).toEqual(['CANCEL', 'CANCEL', 'CANCEL']);
    for (const arrival of arrivals) {
      expect(arrival.subject).toContain('Hủy cuộc họp');
      expect(arrival.text).toContain('Lý do: Lãnh đạo tỉnh đi công tác đột xuất');
    }
  });
});
