/**
 * The attendance record, the live board and the dashboard in a real browser (Debian's
 * Chromium through playwright-core): a leader signs in, reads the statuses of a recorded
 * meeting, downloads the CSV and reads it back. Screenshots go to $SCREENSHOT_DIR (default
 * /tmp) for people to look at; nothing is asserted about pixels.
 */
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { parse } from 'csv-parse/sync';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { recordAttendanceEvents } from '../../api/attendance/store.ts';
import { createTestApp, type TestApp } from '../../tests/support/app.ts';
import { ATTENDANCE_TEST_CONFIG, badLine, declineWithReason, scheduleMeeting, setContact, siteEvents, sitesOf, vn } from '../../tests/support/attendance.ts';

// Real browsers and media on a 2-core machine shared with other test files: slow, not stuck.
vi.setConfig({ testTimeout: 300_000, hookTimeout: 300_000 });

const SCREENSHOT_DIR = process.env.SCREENSHOT_DIR ?? '/tmp';

describe('attendance pages in Chromium', () => {
  let t: TestApp;
  let server: ServerType;
  let baseUrl: string;
  let browser: Browser;
  let page: Page;
  let meetingId: string;
  let communes: { id: string; name: string }[];

  beforeAll(async () => {
    t = await createTestApp('pglite', { provinces: ['44'], config: ATTENDANCE_TEST_CONFIG });
    const found = await sitesOf(t, '44');
    const hall = found.halls[0]!;
    communes = found.communes.slice(0, 12);

    // Earlier meetings of the week, so the dashboard has a history to show.
    for (const [n, day] of ['2026-12-02', '2026-12-03', '2026-12-04'].entries()) {
      const m = await scheduleMeeting(t, {
        title: `Giao ban ngày ${day.slice(8)}/12`,
        hostSiteId: hall.id,
        siteIds: communes.map((c) => c.id),
        startsAt: vn(`${day} 08:00`),
        endsAt: vn(`${day} 10:00`),
      });
      await recordAttendanceEvents(
        t.database.db,
        communes.flatMap((c, i) => {
          if ((i + n) % 5 === 0 || i === 11) return []; // Some absent; the last commune never comes.
          const e = siteEvents(m.id, c.id);
          return e.session(`p${i}`, vn(`${day} ${i % 4 === 1 ? '08:25' : '07:58'}`), vn(`${day} 10:00`), 'meeting-ended', i % 6 === 2 ? badLine : undefined);
        }),
      );
    }

    const meeting = await scheduleMeeting(t, {
      title: 'Hội nghị triển khai nhiệm vụ năm 2027',
      hostSiteId: hall.id,
      siteIds: communes.map((c) => c.id),
      startsAt: vn('2026-12-05 08:00'),
      endsAt: vn('2026-12-05 10:00'),
    });
    meetingId = meeting.id;
    const at = (time: string) => vn(`2026-12-05 ${time}`);
    const [onTime, late, early, excused, , dropper] = communes.map((c) => siteEvents(meetingId, c.id));
    await recordAttendanceEvents(t.database.db, [
      ...siteEvents(meetingId, hall.id).session('h', at('07:40'), at('10:00'), 'meeting-ended'),
      ...onTime!.session('a', at('07:55'), at('10:00'), 'meeting-ended'),
      ...late!.session('b', at('08:17'), at('10:00'), 'meeting-ended'),
      ...early!.session('c', at('08:00'), at('09:10'), 'left'),
      ...dropper!.session('f1', at('07:59'), at('08:40'), 'network', badLine),
      ...dropper!.session('f2', at('08:46'), at('10:00'), 'meeting-ended', badLine),
      ...communes.slice(6, 11).flatMap((c, i) => siteEvents(meetingId, c.id).session(`g${i}`, at('07:57'), at('10:00'), 'meeting-ended')),
    ]);
    void excused;
    await declineWithReason(t, meetingId, communes[3]!.id, 'Trùng lịch tiếp công dân định kỳ', vn('2026-12-04 15:00'));
    await setContact(t, communes[4]!.id, '0233 3852 444');
    t.clock.now = vn('2026-12-05 11:00');

    server = serve({ fetch: t.app.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-background-networking', '--disable-gpu'],
      headless: true,
    });
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true, locale: 'vi-VN' });
    page = await context.newPage();
    page.on('pageerror', (error) => {
      throw error;
    });

    await page.goto(`${baseUrl}/login?next=/reports`);
    await page.fill('input[name="email"]', 'leader@test.hoinghi');
    await page.fill('input[name="password"]', 'correct horse battery');
    await Promise.all([page.waitForURL(`${baseUrl}/reports`), page.click('button[type="submit"]')]);
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await t?.close();
  });

  it('shows each site with its status on the attendance record', async () => {
    const response = await page.goto(`${baseUrl}/meetings/${meetingId}/attendance`);
    expect(response!.status()).toBe(200);
    expect(await page.locator('.record-heading h1').textContent()).toBe('BIÊN BẢN ĐIỂM DANH');

    const statusOf = async (siteId: string) => page.locator(`tr[data-site-id="${siteId}"]`).getAttribute('data-status');
    const badgeOf = async (siteId: string) => (await page.locator(`tr[data-site-id="${siteId}"] .badge`).textContent())?.trim();
    expect(await statusOf(communes[0]!.id)).toBe('on-time');
    expect(await badgeOf(communes[0]!.id)).toBe('Có mặt đúng giờ');
    expect(await statusOf(communes[1]!.id)).toBe('late');
    expect(await badgeOf(communes[1]!.id)).toBe('Đến muộn');
    expect(await page.locator(`tr[data-site-id="${communes[1]!.id}"] .first-join`).textContent()).toBe('08:17');
    expect(await statusOf(communes[2]!.id)).toBe('left-early');
    expect(await page.locator(`tr[data-site-id="${communes[2]!.id}"] .last-leave`).textContent()).toBe('09:10');
    expect(await statusOf(communes[3]!.id)).toBe('absent-with-reason');
    expect(await page.locator(`tr[data-site-id="${communes[3]!.id}"] .notes`).textContent()).toBe('Trùng lịch tiếp công dân định kỳ');
    expect(await statusOf(communes[4]!.id)).toBe('absent');
    expect(await badgeOf(communes[4]!.id)).toBe('Vắng không lý do');
    expect(await page.locator('#total-invited .value').textContent()).toBe('12');
    expect(await page.locator('#total-present .value').textContent()).toBe('9');
    expect(await page.locator('.signatures').textContent()).toContain('Người lập biên bản');
    expect(await page.locator('.signatures').textContent()).toContain('Chủ trì cuộc họp');

    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'attendance-report.png'), fullPage: true });
    await page.emulateMedia({ media: 'print' });
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'attendance-report-print.png'), fullPage: true });
    await page.emulateMedia({ media: 'screen' });
  });

  it('downloads the CSV from the record and reads it back', async () => {
    await page.goto(`${baseUrl}/meetings/${meetingId}/attendance`);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-csv')]);
    expect(download.suggestedFilename()).toBe('Điểm danh - Hội nghị triển khai nhiệm vụ năm 2027 - 2026-12-05.csv');
    const text = await readFile((await download.path())!, 'utf8');
    expect(text.charCodeAt(0)).toBe(0xfeff);
    const rows = parse(text, { bom: true, columns: true }) as Record<string, string>[];
    const byName = (name: string) => rows.find((r) => r['Điểm cầu'] === name)!;
    expect(rows).toHaveLength(13);
    expect(byName(communes[0]!.name)['Trạng thái']).toBe('Có mặt đúng giờ');
    expect(byName(communes[1]!.name)).toMatchObject({ 'Trạng thái': 'Đến muộn', 'Giờ vào đầu tiên': '05/12/2026 08:17:00', 'Số phút kết nối': '103.0' });
    expect(byName(communes[2]!.name)).toMatchObject({ 'Trạng thái': 'Về sớm', 'Giờ rời cuối': '05/12/2026 09:10:00', 'Số phút kết nối': '70.0' });
    expect(byName(communes[3]!.name)).toMatchObject({ 'Trạng thái': 'Vắng có lý do', 'Lý do vắng': 'Trùng lịch tiếp công dân định kỳ' });
    expect(byName(communes[4]!.name)['Trạng thái']).toBe('Vắng không lý do');
    expect(byName(communes[5]!.name)).toMatchObject({ 'Trạng thái': 'Có mặt đúng giờ', 'Số lần rớt mạng': '1', 'Gián đoạn dài nhất (phút)': '6.0' });
  });

  it('shows the live board with the missing sites and their contacts', async () => {
    t.clock.now = vn('2026-12-05 09:30');
    try {
      await page.goto(`${baseUrl}/meetings/${meetingId}/live`);
      const ids = async (group: string) =>
        page.locator(`section[data-group="${group}"] li`).evaluateAll((items) => items.map((i) => (i as HTMLElement).dataset.siteId));
      expect(await ids('not-joined')).toEqual(expect.arrayContaining([communes[3]!.id, communes[4]!.id, communes[11]!.id]));
      expect(await ids('dropped')).toEqual([communes[2]!.id]);
      expect(await page.locator(`li[data-site-id="${communes[4]!.id}"] .contact`).textContent()).toContain('0233 3852 444');
      await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'attendance-live.png'), fullPage: true });
      // Pushed, not polled: once the stream has drawn the board, a site joining moves without a reload.
      await expect.poll(() => page.locator('#live-updated').textContent(), { timeout: 10_000 }).not.toBe('');
      await recordAttendanceEvents(t.database.db, [siteEvents(meetingId, communes[4]!.id).join('pushed', vn('2026-12-05 09:25'))]);
      await expect.poll(() => ids('connected'), { timeout: 10_000 }).toContain(communes[4]!.id);
    } finally {
      t.clock.now = vn('2026-12-05 11:00');
    }
  });

  it('shows the dashboard with its chart, follow-up lists and drill-down links', async () => {
    await page.goto(`${baseUrl}/reports?from=2026-12-01&to=2026-12-07&province=44`);
    await page.waitForFunction(() => {
      const canvas = document.querySelector<HTMLCanvasElement>('#rate-chart');
      return canvas !== null && canvas.width > 0 && canvas.parentElement!.style.height !== '';
    });
    expect(await page.locator('#dashboard-meetings tbody tr').count()).toBe(4);
    expect(await page.locator('#chronic-absentees tr[data-site-id]').count()).toBeGreaterThan(0);
    expect(await page.locator(`#chronic-absentees tr[data-site-id="${communes[11]!.id}"]`).count()).toBe(1);
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'attendance-dashboard.png'), fullPage: true });
    await Promise.all([
      page.waitForURL(`${baseUrl}/meetings/${meetingId}/attendance`),
      page.click(`#dashboard-meetings a[href="/meetings/${meetingId}/attendance"]`),
    ]);
    expect(await page.locator('.record-subtitle').textContent()).toBe('Hội nghị triển khai nhiệm vụ năm 2027');

    await page.goto(`${baseUrl}/reports?from=2026-12-01&to=2026-12-07&lang=en`);
    expect(await page.locator('h1').first().textContent()).toContain('Attendance dashboard');
    await page.goto(`${baseUrl}/reports?lang=vi`);
  });
});
