/**
 * A secretariat schedules a weekly series through the form, in Debian's Chromium: the form shows
 * the dates it will create with the public holiday (1 January, Tết Dương lịch) marked, the
 * secretariat unticks it, and the series is created without that date.
 */
import { eq } from 'drizzle-orm';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { meetings, meetingSeries } from '../../db/schema.ts';
import { createTestApp, type TestApp } from '../../tests/support/app.ts';
import { launchBrowser, serveApp, type RunningServer } from '../../tests/support/browser.ts';

vi.setConfig({ testTimeout: 300_000, hookTimeout: 300_000 });

let t: TestApp;
let server: RunningServer;
let browser: Browser;

beforeAll(async () => {
  t = await createTestApp('postgres', { provinces: ['44'], realClock: true });
  server = await serveApp(t.app.fetch);
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
  await t?.close();
});

/** The next 1 January at least 8 days away, and the same weekday a week before it (the series' first date). */
function aroundNewYear(): { first: string; holiday: string; last: string } {
  const now = new Date();
  let year = now.getUTCFullYear() + 1;
  if (Date.UTC(year, 0, 1) - now.getTime() < 8 * 24 * 3600_000) year++;
  const iso = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  const jan1 = Date.UTC(year, 0, 1);
  return { first: iso(jan1 - 7 * 24 * 3600_000), holiday: iso(jan1), last: iso(jan1 + 7 * 24 * 3600_000) };
}

it('creates a weekly series through the form with the New Year holiday dropped', async () => {
  const { first, holiday, last } = aroundNewYear();
  const page = await browser.newPage();
  await page.goto(`${server.url}/meetings/new`);
  await page.waitForURL(/\/login/);
  await page.fill('input[name=email]', 'secretariat@test.hoinghi');
  await page.fill('input[name=password]', 'correct horse battery');
  await page.click('button[type=submit]');
  await page.waitForURL(/\/meetings\/new$/);

  await page.fill('input[name=title]', 'Giao ban tuần của tỉnh');
  await page.selectOption('select[name=hostSiteId]', { label: 'UBND tỉnh Quảng Trị' });
  await page.fill('input[name=date]', first);
  await page.fill('input[name=startTime]', '08:00');
  await page.fill('input[name=endTime]', '10:00');
  await page.check('input[name=unitCodes][value="44"]');
  await page.selectOption('select[name=repeat]', 'weekly');
  await page.fill('input[name=repeatCount]', '3');
  await page.click('#schedule-form button[type=submit]');

  // The dates first: three, the holiday marked; nothing is created yet.
  await page.waitForSelector('#series-dates');
  expect(await page.locator('#series-dates li').count()).toBe(3);
  expect(await page.textContent(`#series-dates li[data-date="${holiday}"]`)).toContain('Tết Dương lịch');
  expect(await page.textContent('#series-dates h2')).toContain('hằng tuần, 3 lần');
  expect(await t.database.db.select({ id: meetingSeries.id }).from(meetingSeries)).toEqual([]);

  await page.uncheck(`#series-dates input[name=keepDates][value="${holiday}"]`);
  await page.click('#save-series');
  await page.waitForURL(/\/meetings\/[0-9a-f-]{36}$/);
  expect(await page.textContent('h1')).toBe('Giao ban tuần của tỉnh');
  expect(await page.textContent('#series-rule')).toContain('hằng tuần, 3 lần');

  const [series] = await t.database.db.select().from(meetingSeries);
  expect(series!.excludedStarts.map((s) => new Date(Date.parse(s) + 7 * 3600_000).toISOString().slice(0, 10))).toEqual([holiday]);
  const occurrences = await t.database.db.select({ startsAt: meetings.startsAt }).from(meetings).where(eq(meetings.seriesId, series!.id));
  expect(occurrences.map((o) => new Date(o.startsAt.getTime() + 7 * 3600_000).toISOString().slice(0, 10)).sort()).toEqual([first, last]);
  await page.screenshot({ path: '/tmp/hoinghi-series-created.png', fullPage: true });
});
