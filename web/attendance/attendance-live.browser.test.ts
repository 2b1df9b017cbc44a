/**
 * The attendance record against real joins: a short meeting runs in Debian's Chromium through
 * the SFU, and the report page, the CSV export and the JSON report say what the test saw.
 *
 * Five communes are invited. A joins before the start (on time), B only well after it (late),
 * C joins before the start and closes its tab long before the end (left early, cause "left"),
 * D answers "cannot attend" with a reason on its readiness page and never joins (absent with
 * reason), E never answers nor joins (absent). The host ends the meeting for everyone, which
 * is the meeting's actual end. Thresholds are configured small (0.1 minute = 6 s) so the whole
 * meeting takes well under a minute.
 *
 * The test notes when each fact happened as an interval of wall-clock instants around it (the
 * last look before and the first look after, e.g. polling `window.__hoinghi` until a transport
 * is connected), and checks the server's figures against those intervals widened by the
 * documented ±1 s: the server stamps a fact when the SFU observes it, a little after or before
 * the page does. Each display is checked at its own precision: JSON and CSV times to the
 * (truncated) second, JSON minutes exactly, CSV minutes to 0.1, the page to the minute.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { mintMeetingTokens } from '../../api/invites/site-tokens.ts';
import { listSites, listSitesUnder } from '../../api/units/service.ts';
import type { TestApp } from '../../tests/support/app.ts';
import { launchBrowser } from '../../tests/support/browser.ts';
import { startLiveTestServer, type LiveTestServer } from '../../tests/support/live.ts';

const SCREENSHOT_DIR = process.env.SCREENSHOT_DIR ?? '/tmp';
/** Both thresholds, in minutes (6 s). */
const THRESHOLD_MINUTES = 0.1;
const THRESHOLD_MS = THRESHOLD_MINUTES * 60_000;
/** How far the server's stamp of a fact may be from the page's observation of it. */
const SERVER_SKEW_MS = 1000;

/** An instant known to lie between `from` and `to` (ms since the epoch). */
interface Span {
  from: number;
  to: number;
}

interface Site {
  id: string;
  name: string;
  path: string;
}

let live: LiveTestServer;
let t: TestApp;
let browser: Browser;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  live = await startLiveTestServer('postgres', {
    provinces: ['44'],
    config: { ATTENDANCE_LATE_MINUTES: String(THRESHOLD_MINUTES), ATTENDANCE_EARLY_LEAVE_MINUTES: String(THRESHOLD_MINUTES) },
  });
  t = live.t;
  browser = await launchBrowser();
});

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => undefined);
  await browser?.close();
  await live?.close();
});

const sleepUntil = (at: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, at - Date.now())));

async function newPage(options: { acceptDownloads?: boolean } = {}): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'vi-VN', ...options });
  contexts.push(context);
  return context.newPage();
}

type Status = { kind: string; reason?: string };
const hoinghi = <T>(page: Page, read: 'status' | 'transports') =>
  page.evaluate(async (what) => {
    const h = (window as unknown as { __hoinghi?: { status(): unknown; stats(): Promise<{ transports: unknown }> } }).__hoinghi;
    if (!h) return null;
    return what === 'status' ? h.status() : (await h.stats()).transports;
  }, read) as Promise<T | null>;

/**
 * Polls `look` until `done`; returns when it became true as the span between the last look that
 * said no (or `since`) and the first that said yes.
 */
async function observe<T>(look: () => Promise<T>, done: (value: T) => boolean, since: number, what: string): Promise<Span> {
  let from = since;
  const deadline = Date.now() + 60_000;
  for (;;) {
    const before = Date.now();
    const value = await look();
    const after = Date.now();
    if (done(value)) return { from, to: after };
    if (after > deadline) throw new Error(`${what}: still ${JSON.stringify(value)} after 60 s`);
    from = before;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Opens a live page and goes through the pre-join checks; returns when the site became present
 * for attendance: the SFU counts a site from its first transport's DTLS `connected`, which the
 * page sees at the same moment (transports only connect after "enter", never in the lobby).
 */
async function joinAs(page: Page, pagePath: string): Promise<Span> {
  await page.goto(`${live.url}${pagePath}${pagePath.includes('?') ? '&' : '?'}video=low`);
  await expect.poll(() => page.locator('#check-network').getAttribute('data-state'), { timeout: 30_000 }).toBe('ok');
  await expect.poll(() => page.locator('#check-camera').getAttribute('data-state'), { timeout: 30_000 }).toBe('ok');
  const transports = () => hoinghi<{ send: string | null; recv: string | null }>(page, 'transports');
  const connected = (tr: { send: string | null; recv: string | null } | null) => tr?.send === 'connected' || tr?.recv === 'connected';
  const beforeEnter = Date.now();
  expect(connected(await transports()), `${pagePath} is not present before "enter"`).toBe(false);
  await page.click('#enter');
  return observe(transports, connected, beforeEnter, `${pagePath} connecting`);
}

/** "05/12/2026 08:17:03" (the CSV's Hà Nội time) as an instant. */
function csvTime(text: string): number {
  const m = /^(\d\d)\/(\d\d)\/(\d{4}) (\d\d):(\d\d):(\d\d)$/.exec(text);
  if (!m) throw new Error(`not a CSV time: ${JSON.stringify(text)}`);
  return new Date(`${m[3]}-${m[2]}-${m[1]}T${m[4]}:${m[5]}:${m[6]}+07:00`).getTime();
}

/** "08:17" on the page: the Hà Nội minute of `at`. */
function pageMinute(at: number): string {
  return new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Ho_Chi_Minh', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(at);
}

/**
 * A shown instant agrees with an observed one: the server's stamp is within the skew of the
 * observation, and the display cuts it down to `resolutionMs` (seconds or minutes).
 */
function expectInstant(shown: number, observed: Span, resolutionMs: number, what: string): void {
  const context = `${what}: shown ${new Date(shown).toISOString()}, observed ${new Date(observed.from).toISOString()} … ${new Date(observed.to).toISOString()}`;
  expect(shown, context).toBeGreaterThan(observed.from - SERVER_SKEW_MS - resolutionMs);
  expect(shown, context).toBeLessThanOrEqual(observed.to + SERVER_SKEW_MS);
}

/** A shown duration in minutes, rounded to `step` minutes, agrees within a second with the observed one (`observed` in ms). */
function expectDuration(shownMinutes: number, observed: Span, step: number, what: string): void {
  const shown = shownMinutes * 60_000;
  const slack = (step / 2) * 60_000 + SERVER_SKEW_MS;
  const context = `${what}: shown ${shownMinutes} min = ${shown / 1000} s, observed ${observed.from / 1000} … ${observed.to / 1000} s`;
  expect(shown, context).toBeGreaterThanOrEqual(observed.from - slack);
  expect(shown, context).toBeLessThanOrEqual(observed.to + slack);
}

/** The span of `end - start` for two observed instants (start may be a fixed instant). */
const between = (start: Span | number, end: Span): Span => {
  const s = typeof start === 'number' ? { from: start, to: start } : start;
  return { from: end.from - s.to, to: end.to - s.from };
};

it('reports on time, late, left early and absent for a meeting the communes really joined', async () => {
  // --- The meeting, its host and five communes --------------------------------------------------
  const [hall] = await listSites(t.ctx.db, { kind: 'hall', q: 'Quảng Trị', limit: 1 });
  const communes = (await listSitesUnder(t.ctx.db, '44', { activeOnly: true })).filter((s) => s.kind === 'commune').slice(0, 5);
  expect(communes).toHaveLength(5);
  const firstStart = new Date(Date.now() + 10 * 60_000);
  const created = await t.request('POST', '/api/meetings', {
    cookie: t.cookies.secretariat,
    body: {
      title: 'Họp giao ban nhanh điểm danh',
      hostSiteId: hall!.id,
      startsAt: firstStart.toISOString(),
      endsAt: new Date(firstStart.getTime() + 60_000).toISOString(),
      siteIds: communes.map((c) => c.id),
      allowConflicts: true,
    },
  });
  expect(created.status).toBe(201);
  const meetingId = created.body.id as string;
  const linksExpire = new Date(firstStart.getTime() + 3600_000);
  const [a, b, c, d, e] = (await Promise.all(
    communes.map(async (s): Promise<Site> => ({ id: s.id, name: s.name, path: new URL(await live.joinLink(meetingId, s.id, linksExpire)).pathname })),
  )) as [Site, Site, Site, Site, Site];

  // --- D says it cannot attend, with a reason, on its readiness page ---------------------------
  const reason = 'Trùng lịch tiếp công dân định kỳ của xã';
  const { readiness } = await mintMeetingTokens(t.ctx.db, { meetingId, siteId: d.id, expiresAt: linksExpire, purposes: ['readiness'] });
  const ready = await newPage();
  await ready.goto(`${live.url}/ready/${readiness}`);
  await ready.locator('textarea[name="reason"]').fill(reason);
  await Promise.all([ready.waitForURL(/\?saved=1$/), ready.getByRole('button', { name: 'Không tham dự được' }).click()]);
  expect(await ready.locator('#current-answer').textContent()).toContain('Không tham dự');
  await ready.close();

  // --- The host, A and C come in early ----------------------------------------------------------
  const host = await newPage();
  const [name, value] = t.cookies.secretariat.split('=') as [string, string];
  await host.context().addCookies([{ name, value, url: live.url }]);
  const hostJoin = await joinAs(host, `/meetings/${meetingId}/console`);
  const pageA = await newPage();
  const joinA = await joinAs(pageA, a.path);
  const pageC = await newPage();
  const joinC = await joinAs(pageC, c.path);

  // How long Chromium takes to get there on a busy machine is nobody's business: the secretariat
  // brings the meeting forward to start in a few seconds now that the early sites are in, so
  // "on time" and "late" below follow from the order of events, never from the machine's speed.
  const startsAt = Math.ceil((Date.now() + 3000) / 1000) * 1000;
  const endsAt = startsAt + 60_000;
  const moved = await t.request('PATCH', `/api/meetings/${meetingId}`, {
    cookie: t.cookies.secretariat,
    body: { startsAt: new Date(startsAt).toISOString(), endsAt: new Date(endsAt).toISOString(), allowConflicts: true },
  });
  expect(moved.status).toBe(200);
  for (const join of [hostJoin, joinA, joinC]) expect(join.to).toBeLessThan(startsAt);

  // --- C leaves well after the start; B only then opens its link -------------------------------
  await sleepUntil(startsAt + 10_000);
  const leaveC: Span = { from: Date.now(), to: 0 };
  await pageC.close({ runBeforeUnload: false });
  leaveC.to = Date.now();
  const pageB = await newPage();
  const joinB = await joinAs(pageB, b.path);
  expect(joinB.from, 'B opened its link after the late threshold').toBeGreaterThan(startsAt + THRESHOLD_MS);

  // --- The host ends the meeting for everyone, long after C left and a while after B came ------
  await sleepUntil(Math.max(startsAt + 35_000, joinB.to + 10_000, leaveC.to + 15_000));
  await host.click('#end-meeting'); // arms the button
  const ending = Date.now();
  await host.click('#end-meeting');
  const end = await observe(
    () => hoinghi<Status>(host, 'status'),
    (s) => s?.kind === 'ended',
    ending,
    'host console ending',
  );
  expect(await hoinghi<Status>(host, 'status')).toEqual({ kind: 'ended', reason: 'meeting-ended' });
  for (const page of [pageA, pageB]) {
    await expect.poll(() => hoinghi<Status>(page, 'status'), { timeout: 30_000 }).toEqual({ kind: 'ended', reason: 'meeting-ended' });
  }

  // What the report must say, from what was observed. The window is [startsAt, actual end]:
  // A and C connected before the start, and that time is not meeting time.
  const expected = [
    { site: a, status: 'on-time', flags: [], label: 'Có mặt đúng giờ', join: joinA, leave: end, connected: between(startsAt, end) },
    { site: b, status: 'late', flags: ['late'], label: 'Đến muộn', join: joinB, leave: end, connected: between(joinB, end) },
    { site: c, status: 'left-early', flags: ['left-early'], label: 'Về sớm', join: joinC, leave: leaveC, connected: between(startsAt, leaveC) },
  ] as const;

  // --- The JSON report: the server's figures, to the second (minutes exactly) ------------------
  // The leaves of a host-ended meeting are recorded a moment after the sockets close.
  await expect
    .poll(
      async () =>
        (await t.request('GET', `/api/meetings/${meetingId}/attendance`, { cookie: t.cookies.leader })).body.sites.filter(
          (s: { connectedNow: boolean }) => s.connectedNow,
        ).length,
      { timeout: 30_000 },
    )
    .toBe(0);
  const json = (await t.request('GET', `/api/meetings/${meetingId}/attendance`, { cookie: t.cookies.leader })).body;
  expect(json.phase).toBe('ended');
  expect(json.meeting.endedAt, 'the host ending the meeting is its actual end').not.toBeNull();
  expectInstant(Date.parse(json.meeting.endedAt), end, 1000, 'meetings.ended_at');
  expectInstant(Date.parse(json.window.to), end, 1000, 'window end');
  expect(Date.parse(json.window.from)).toBe(startsAt);
  expect(json.totals).toMatchObject({ invited: 5, present: 3, late: 1, leftEarly: 1, absentWithReason: 1, absentWithoutReason: 1 });
  const jsonSite = (id: string) => json.sites.find((s: { siteId: string }) => s.siteId === id);
  for (const x of expected) {
    const s = jsonSite(x.site.id);
    expect(s.status, x.site.name).toBe(x.status);
    expect(s.flags, x.site.name).toEqual(x.flags);
    expectInstant(Date.parse(s.firstJoinAt), x.join, 1000, `${x.site.name} first join (JSON)`);
    expectInstant(Date.parse(s.lastLeaveAt), x.leave, 1000, `${x.site.name} last leave (JSON)`);
    expectDuration(s.minutesConnected, x.connected, 0, `${x.site.name} minutes connected (JSON)`);
  }
  expect(jsonSite(c.id).lastLeaveCause).toBe('left');
  expect(jsonSite(a.id).lastLeaveCause).toBe('meeting-ended');
  expect(jsonSite(d.id)).toMatchObject({ status: 'absent-with-reason', absenceReason: reason, firstJoinAt: null, minutesConnected: 0 });
  expect(jsonSite(e.id)).toMatchObject({ status: 'absent', absenceReason: null, firstJoinAt: null, minutesConnected: 0 });
  const hostJson = jsonSite(hall!.id);
  expect(hostJson).toMatchObject({ role: 'host', status: 'on-time' });
  expectInstant(Date.parse(hostJson.firstJoinAt), hostJoin, 1000, 'host first join (JSON)');
  expectDuration(hostJson.minutesConnected, between(startsAt, end), 0, 'host minutes connected (JSON)');

  // --- The report page, as a leader who signs in ------------------------------------------------
  const leader = await newPage({ acceptDownloads: true });
  leader.on('pageerror', (error) => {
    throw error;
  });
  await leader.goto(`${live.url}/login?next=${encodeURIComponent(`/meetings/${meetingId}/attendance`)}`);
  await leader.fill('input[name="email"]', 'leader@test.hoinghi');
  await leader.fill('input[name="password"]', 'correct horse battery');
  await Promise.all([leader.waitForURL(`${live.url}/meetings/${meetingId}/attendance`), leader.click('button[type="submit"]')]);
  const row = (id: string) => leader.locator(`tr[data-site-id="${id}"]`);
  for (const x of expected) {
    expect(await row(x.site.id).getAttribute('data-status'), x.site.name).toBe(x.status);
    // The headline label only: nobody here is both late and gone early.
    expect((await row(x.site.id).locator('.badge').textContent())?.trim(), x.site.name).toBe(x.label);
    const minutes = Number((await row(x.site.id).locator('.minutes').textContent())!.replace(',', '.'));
    expectDuration(minutes, x.connected, 1, `${x.site.name} minutes on the page`);
    const shownJoin = await row(x.site.id).locator('.first-join').textContent();
    expect([pageMinute(x.join.from - SERVER_SKEW_MS), pageMinute(x.join.to + SERVER_SKEW_MS)], `${x.site.name} first join on the page`).toContain(shownJoin);
    const shownLeave = await row(x.site.id).locator('.last-leave').textContent();
    expect([pageMinute(x.leave.from - SERVER_SKEW_MS), pageMinute(x.leave.to + SERVER_SKEW_MS)], `${x.site.name} last leave on the page`).toContain(shownLeave);
  }
  expect(await row(c.id).locator('.notes').textContent()).toBe('Chủ động rời');
  expect(await row(d.id).getAttribute('data-status')).toBe('absent-with-reason');
  expect((await row(d.id).locator('.badge').textContent())?.trim()).toBe('Vắng có lý do');
  expect(await row(d.id).locator('.notes').textContent()).toBe(reason);
  expect(await row(e.id).getAttribute('data-status')).toBe('absent');
  expect((await row(e.id).locator('.badge').textContent())?.trim()).toBe('Vắng không lý do');
  for (const [id, value] of Object.entries({
    'total-invited': '5',
    'total-present': '3',
    'total-late': '1',
    'total-left-early': '1',
    'total-absent-with-reason': '1',
    'total-absent': '1',
  })) {
    expect(await leader.locator(`#${id} .value`).textContent(), id).toBe(value);
  }
  // The configured thresholds, written the Vietnamese way like every other figure on the page.
  expect(await leader.locator('#attendance-totals + p').textContent()).toContain(
    'vào sau giờ bắt đầu quá 0,1 phút; về sớm: rời trước giờ kết thúc quá 0,1 phút.',
  );
  await leader.screenshot({ path: path.join(SCREENSHOT_DIR, 'attendance-live-report.png'), fullPage: true });

  // --- The CSV, downloaded from the page and read back -------------------------------------------
  const [download] = await Promise.all([leader.waitForEvent('download'), leader.click('#download-csv')]);
  const text = await readFile((await download.path())!, 'utf8');
  expect(text.charCodeAt(0)).toBe(0xfeff);
  const rows = parse(text, { bom: true, columns: true }) as Record<string, string>[];
  expect(rows).toHaveLength(6);
  const csvRow = (site: Site) => rows.find((r) => r['Điểm cầu'] === site.name)!;
  for (const x of expected) {
    const r = csvRow(x.site);
    expect(r['Trạng thái'], x.site.name).toBe(x.label);
    expectInstant(csvTime(r['Giờ vào đầu tiên']!), x.join, 1000, `${x.site.name} first join (CSV)`);
    expectInstant(csvTime(r['Giờ rời cuối']!), x.leave, 1000, `${x.site.name} last leave (CSV)`);
    expectDuration(Number(r['Số phút kết nối']), x.connected, 0.1, `${x.site.name} minutes (CSV)`);
  }
  expect(csvRow(b)['Đến muộn / về sớm']).toBe('Đến muộn');
  expect(csvRow(c)['Đến muộn / về sớm']).toBe('Về sớm');
  expect(csvRow(d)).toMatchObject({ 'Trạng thái': 'Vắng có lý do', 'Lý do vắng': reason, 'Giờ vào đầu tiên': '', 'Số phút kết nối': '' });
  expect(csvRow(e)).toMatchObject({ 'Trạng thái': 'Vắng không lý do', 'Lý do vắng': '', 'Giờ vào đầu tiên': '', 'Số phút kết nối': '' });
}, 300_000);
