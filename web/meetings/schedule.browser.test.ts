/**
 * A secretariat signs in and schedules a meeting for all communes of Quảng Trị through the
 * form, in Debian's Chromium, against the real app on PostgreSQL.
 */
import { inArray } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { sites } from '../../db/schema.ts';
import type { Browser } from 'playwright-core';
import { createTestApp, type TestApp } from '../../tests/support/app.ts';
import { launchBrowser, serveApp, type RunningServer } from '../../tests/support/browser.ts';
import { toVietnamLocalInput } from '../../api/time.ts';

// Real browsers and media on a 2-core machine shared with other test files: slow, not stuck.
vi.setConfig({ testTimeout: 300_000, hookTimeout: 300_000 });

let t: TestApp;
let server: RunningServer;
let browser: Browser;

beforeAll(async () => {
  t = await createTestApp('postgres', { provinces: ['44', '01'], realClock: true });
  server = await serveApp(t.app.fetch);
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
  await t?.close();
});

it('signs in and schedules a meeting for all 78 communes of Quảng Trị', async () => {
  const communes = (await t.request('GET', '/api/units/44/sites', { cookie: t.cookies.secretariat })).body.sites.filter(
    (s: { kind: string }) => s.kind === 'commune',
  ) as { id: string }[];
  await t.database.db
    .update(sites)
    .set({ contactEmails: ['vanthu@xa.quangtri.gov.vn'] })
    .where(
      inArray(
        sites.id,
        communes.slice(0, 12).map((s) => s.id),
      ),
    );
  const page = await browser.newPage();
  await page.goto(`${server.url}/meetings/new`);
  // Not signed in: sent to the login page, then back.
  await page.waitForURL(/\/login/);
  await page.fill('input[name=email]', 'secretariat@test.hoinghi');
  await page.fill('input[name=password]', 'correct horse battery');
  await page.click('button[type=submit]');
  await page.waitForURL(/\/meetings\/new$/);

  const start = new Date(Date.now() + 3 * 24 * 3600_000);
  const date = toVietnamLocalInput(start).slice(0, 10);
  await page.fill('input[name=title]', 'Hội nghị trực tuyến triển khai nhiệm vụ năm 2027');
  await page.fill('textarea[name=agenda]', '1. Báo cáo tình hình\n2. Thảo luận');
  await page.selectOption('select[name=hostSiteId]', { label: 'UBND tỉnh Quảng Trị' });
  await page.fill('input[name=date]', date);
  await page.fill('input[name=startTime]', '08:00');
  await page.fill('input[name=endTime]', '11:30');

  // The tree picker: search narrows the provinces; the whole-province box counts 78 sites.
  await page.fill('#unit-search', 'Quảng Trị');
  await expect.poll(() => page.locator('#province-tree > li.province:not([hidden])').count()).toBe(1);
  await page.check('input[name=unitCodes][value="44"]');
  await expect.poll(() => page.textContent('#selected-count b')).toBe('78');
  // Before sending, the form says how many of them nobody can write to (12 have real addresses).
  await expect.poll(() => page.textContent('#address-notice')).toContain('66 điểm cầu chưa có địa chỉ e-mail');
  expect(await page.getAttribute('#address-notice a', 'href')).toBe('/directory/units/44?missing=true');

  // Opening the province lists its communes for single picks.
  await page.fill('#unit-search', '');
  await page.click('li.province[data-code="01"] button.expand');
  await expect.poll(() => page.locator('li.province[data-code="01"] ul.communes input[name=siteIds]').count()).toBeGreaterThan(100);
  await page.locator('li.province[data-code="01"] ul.communes input[name=siteIds]').first().check();
  await expect.poll(() => page.textContent('#selected-count b')).toBe('79');
  await expect.poll(() => page.textContent('#address-notice')).toContain('67 điểm cầu chưa có địa chỉ e-mail');
  expect(await page.getAttribute('#address-notice a', 'href')).toBe('/directory');
  await page.locator('li.province[data-code="01"] ul.communes input[name=siteIds]').first().uncheck();
  await expect.poll(() => page.textContent('#selected-count b')).toBe('78');

  await page.click('#schedule-form button[type=submit]');
  await page.waitForURL(/\/meetings\/[0-9a-f-]{36}$/);
  expect(await page.textContent('h1')).toBe('Hội nghị trực tuyến triển khai nhiệm vụ năm 2027');
  expect(await page.textContent('#participant-count')).toBe('79');

  // The same meeting again overlaps every site: the form comes back with the conflict listed.
  await page.goto(`${server.url}/meetings/new`);
  await page.fill('input[name=title]', 'Họp trùng giờ');
  await page.selectOption('select[name=hostSiteId]', { label: 'UBND tỉnh Quảng Trị' });
  await page.fill('input[name=date]', date);
  await page.fill('input[name=startTime]', '09:00');
  await page.fill('input[name=endTime]', '10:00');
  await page.check('input[name=unitCodes][value="44"]');
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith('/meetings/new') && r.request().method() === 'POST'),
    page.click('#schedule-form button[type=submit]'),
  ]);
  expect(response.status()).toBe(409);
  const error = await page.textContent('.error');
  expect(error).toContain('79 điểm cầu đã có cuộc họp khác trùng giờ');
  expect(error).toContain('Hội nghị trực tuyến triển khai nhiệm vụ năm 2027');
  // What was typed is kept.
  expect(await page.inputValue('input[name=title]')).toBe('Họp trùng giờ');

  // A national account may also invite every provincial hall, or the whole country, at once.
  await page.check('input[name=provinceHalls]');
  await expect.poll(() => page.textContent('#selected-count b')).toBe('80');
  const below = async (code: string) => (await t.request('GET', `/api/units/${code}/sites`, { cookie: t.cookies.secretariat })).body.sites.length as number;
  const nation = (await below('44')) + (await below('01'));
  await page.check('input[name=unitCodes][value="VN"]');
  await expect.poll(() => page.textContent('#selected-count b')).toBe(new Intl.NumberFormat('vi-VN').format(nation));
  await page.uncheck('input[name=unitCodes][value="VN"]');
  await expect.poll(() => page.textContent('#selected-count b')).toBe('80');

  const list = await browser.newPage({ storageState: await page.context().storageState() });
  await list.goto(`${server.url}/`);
  expect(await list.textContent('#meeting-list')).toContain('Hội nghị trực tuyến triển khai nhiệm vụ năm 2027');
  await page.screenshot({ path: '/tmp/hoinghi-schedule-conflict.png', fullPage: true });
});
