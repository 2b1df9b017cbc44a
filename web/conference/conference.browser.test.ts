/**
 * A live meeting in Debian's Chromium against the whole app (HTTP, the SFU on real mediasoup
 * workers, PostgreSQL): the host console and three communes join through their pages. Each
 * commune decodes the host's video, the host decodes the communes, the floor opens one
 * commune's microphone to the others, and closing a tab closes that commune's attendance
 * interval as `left` in attendance_events.
 *
 * The meeting is scheduled through the API; communes follow join links minted the way the
 * invitation dispatcher mints them; the host console runs on the secretariat's session.
 */
import { and, eq, inArray } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, expect, it, vi } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { attendanceEvents } from '../../db/schema.ts';
import type { TestApp } from '../../tests/support/app.ts';
import { launchBrowser, NETWORK_REACHED } from '../../tests/support/browser.ts';
import { expectRising, mediaStats, openMeetingPage, passPreJoin, received, type MediaStats } from '../../tests/support/meeting-pages.browser-support.ts';
import { scheduleLiveMeeting, startLiveTestServer, type CommuneInvite, type LiveTestServer } from '../../tests/support/live.ts';
import { TestSocket } from '../../tests/support/signaling-client.ts';

// Real browsers and media on a 2-core machine shared with other test files: slow, not stuck.
vi.setConfig({ testTimeout: 300_000, hookTimeout: 300_000 });

type Invite = CommuneInvite;

let live: LiveTestServer;
let t: TestApp;
let browser: Browser;
let contexts: BrowserContext[] = [];

const scheduleMeeting = (title: string, communeCount: number) => scheduleLiveMeeting(live, title, communeCount);

/** A site's stored joins and leaves in a meeting, oldest first (quality samples left out). */
async function attendanceOf(meetingId: string, siteId: string) {
  const rows = await t.ctx.db
    .select()
    .from(attendanceEvents)
    .where(and(eq(attendanceEvents.meetingId, meetingId), eq(attendanceEvents.siteId, siteId), inArray(attendanceEvents.kind, ['join', 'leave'])))
    .orderBy(attendanceEvents.at);
  return rows.map((r) => ({ kind: r.kind, connectionId: r.connectionId, cause: (r.payload as { cause?: string }).cause }));
}

beforeAll(async () => {
  // Room for the meetings below (a host and three communes at most); the capacity test fills it.
  live = await startLiveTestServer('postgres', { provinces: ['44'], config: { SFU_MAX_SITES: '4' } });
  t = live.t;
  browser = await launchBrowser();
});

afterEach(async () => {
  for (const c of contexts) await c.close().catch(() => undefined);
  contexts = [];
});

afterAll(async () => {
  await browser?.close();
  await live?.close();
});

type Stats = MediaStats;
const stats = mediaStats;
const openPage = (path: string, withSession: boolean) =>
  openMeetingPage({ browser, contexts, baseUrl: live.url, path, ...(withSession ? { signInCookie: t.cookies.secretariat } : {}) });

it('runs a meeting: host and three communes see each other, the floor opens one microphone, a closed tab leaves', async () => {
  const { meeting, invites: list } = await scheduleMeeting('Hội nghị giao ban trực tuyến tháng 12', 3);
  const [a, b, c] = list as [Invite, Invite, Invite];

  // The host opens the console.
  const host = await openPage(`/meetings/${meeting.meetingId}/console?video=low`, true);
  expect(await host.textContent('#status')).toBeTruthy();
  await passPreJoin(host);

  // Three communes follow their invite links; the first is photographed at its pre-join check.
  const referrers: (string | undefined)[] = [];
  const communes = new Map<string, Page>();
  for (const invite of [a, b, c]) {
    const context = await browser.newContext();
    contexts.push(context);
    const page = await context.newPage();
    page.on('request', (r) => {
      if (r.url().startsWith(live.url) && !r.url().includes('/join/')) referrers.push(r.headers()['referer']);
    });
    await page.goto(`${live.url}${invite.path}?video=low`);
    if (invite === a) {
      await expect.poll(() => page.locator('#check-network').getAttribute('data-state'), { timeout: 30_000 }).toMatch(NETWORK_REACHED);
      expect(await page.textContent('#check-network .result')).toMatch(/^(Tốt|Chậm — hình ảnh có thể bị giật) \(độ trễ \d+ ms\)$/);
      // The level meter moves with the fake microphone's beeps (once the page has been touched).
      await page.mouse.click(5, 600);
      await expect.poll(() => page.locator('#mic-level').evaluate((m: HTMLMeterElement) => m.value), { timeout: 15_000, interval: 100 }).toBeGreaterThan(0.2);
      await page.screenshot({ path: '/tmp/hoinghi-join-prejoin.png' });
    }
    await passPreJoin(page);
    communes.set(invite.siteId, page);
  }
  // The invite link is a secret: none of the page's own requests carries it as a referrer.
  expect(referrers.length).toBeGreaterThan(0);
  expect(referrers.filter((r) => r)).toEqual([]);

  // Every commune decodes the host's camera.
  for (const [siteId, page] of communes) {
    await expectRising(() => received(page, (s) => s.siteId === meeting.hostSiteId && s.kind === 'video', 'framesDecoded'), `host video at ${siteId}`);
  }
  // The host decodes every commune (its grid, lowest layer).
  for (const invite of [a, b, c]) {
    await expectRising(() => received(host, (s) => s.siteId === invite.siteId && s.kind === 'video', 'framesDecoded'), `${invite.siteName} at the host`);
  }
  await expect.poll(() => host.locator('#site-grid li.site-tile').count(), { timeout: 15_000 }).toBe(3);

  // Nobody hears commune A yet: its microphone waits for the floor.
  const pageA = communes.get(a.siteId)!;
  expect(await pageA.textContent('#mic-state')).toBe('Đang tắt tiếng — chờ chủ trì cho phát biểu');
  for (const page of [communes.get(b.siteId)!, communes.get(c.siteId)!]) {
    expect((await stats(page)).consumers.filter((s) => s.siteId === a.siteId && s.kind === 'audio')).toEqual([]);
  }

  // A raises its hand; the host sees it first in the queue and gives A the floor from there.
  await pageA.click('#raise-hand');
  await host.locator(`#hand-queue li[data-site-id="${a.siteId}"]`).waitFor({ timeout: 15_000 });
  await host.click(`#hand-queue li[data-site-id="${a.siteId}"] button`);
  await expect.poll(() => pageA.textContent('#mic-state'), { timeout: 15_000 }).toBe('Micrô đang mở — mời phát biểu');
  await expect.poll(() => host.textContent('#floor-holder'), { timeout: 15_000 }).toBe(a.siteName);

  // The other communes now receive A's audio (and its camera beside the host).
  for (const siteId of [b.siteId, c.siteId]) {
    const page = communes.get(siteId)!;
    await expectRising(() => received(page, (s) => s.siteId === a.siteId && s.kind === 'audio', 'packetsReceived'), `A's audio at ${siteId}`);
    await expectRising(() => received(page, (s) => s.siteId === a.siteId && s.kind === 'audio', 'bytesReceived'), `A's audio bytes at ${siteId}`);
  }
  const pageB = communes.get(b.siteId)!;
  await expect.poll(() => pageB.locator('#second-tile').isVisible(), { timeout: 15_000 }).toBe(true);
  expect(await pageB.textContent('#second-caption')).toBe(`Đang phát biểu: ${a.siteName}`);
  await expectRising(() => received(pageB, (s) => s.siteId === a.siteId && s.kind === 'video', 'framesDecoded'), `A's video at B`);
  await pageB.screenshot({ path: '/tmp/hoinghi-join-meeting.png' });
  await host.screenshot({ path: '/tmp/hoinghi-console.png', fullPage: true });

  // The host shares its screen: it takes the communes' big picture; stopping gives it back.
  const hostScreen = (s: Stats['consumers'][number]) => s.siteId === meeting.hostSiteId && s.source === 'screen';
  await host.click('#share-screen');
  await expectRising(() => received(pageB, hostScreen, 'framesDecoded'), 'host screen at B');
  await expect.poll(() => host.textContent('#share-screen')).toBe('Dừng chia sẻ');
  await host.click('#share-screen');
  await expect.poll(async () => (await stats(pageB)).consumers.filter(hostScreen).length, { timeout: 15_000 }).toBe(0);

  // Closing C's tab ends its attendance interval as `left`.
  const [join] = await attendanceOf(meeting.meetingId, c.siteId);
  expect(join).toMatchObject({ kind: 'join' });
  await communes.get(c.siteId)!.close();
  await expect
    .poll(async () => (await attendanceOf(meeting.meetingId, c.siteId)).find((e) => e.kind === 'leave'), { timeout: 30_000 })
    .toEqual({ kind: 'leave', connectionId: join!.connectionId, cause: 'left' });
  // The host sees it go.
  await expect.poll(() => host.locator('#site-grid li.site-tile').count(), { timeout: 15_000 }).toBe(2);
  await expect.poll(() => host.textContent('#left-list'), { timeout: 15_000 }).toContain(c.siteName);
});

it('rejoins by itself when the media worker under the meeting dies, and media flows again', async () => {
  const { meeting, invites: list } = await scheduleMeeting('Họp thử khôi phục kết nối', 1);
  const [a] = list as [Invite];
  const host = await openPage(`/meetings/${meeting.meetingId}/console?video=low`, true);
  await passPreJoin(host);
  const commune = await openPage(`${a.path}?video=low`, false);
  await passPreJoin(commune);
  const hostVideo = (s: Stats['consumers'][number]) => s.siteId === meeting.hostSiteId && s.kind === 'video';
  await expectRising(() => received(commune, hostVideo, 'framesDecoded'), 'host video before the failure');
  const before = (await stats(commune)).consumers.find(hostVideo)!.consumerId;
  // The join is stored by the attendance writer a moment after the site is in: wait for it.
  await expect.poll(async () => (await attendanceOf(meeting.meetingId, a.siteId))[0], { timeout: 15_000 }).toMatchObject({ kind: 'join' });
  const [firstJoin] = await attendanceOf(meeting.meetingId, a.siteId);

  // The worker process dies: the server tells everyone to rejoin, the pool starts a new worker.
  const statuses: string[] = [];
  await commune.exposeFunction('__recordStatus', (kind: string) => statuses.push(kind));
  await commune.evaluate(() => {
    const el = document.querySelector('#status')!;
    new MutationObserver(() => (window as unknown as { __recordStatus(k: string): void }).__recordStatus(el.getAttribute('data-kind') ?? '')).observe(el, {
      attributes: true,
    });
  });
  process.kill(live.live.sfu.pool.slots()[0]!.worker.pid, 'SIGKILL');

  await expect.poll(() => statuses.includes('reconnecting'), { timeout: 30_000 }).toBe(true);
  for (const page of [host, commune]) {
    await expect.poll(() => page.locator('#status').getAttribute('data-kind'), { timeout: 60_000 }).toBe('connected');
  }
  // A new consumer of the host's camera, decoding again.
  await expect.poll(async () => (await stats(commune)).consumers.find(hostVideo)?.consumerId ?? before, { timeout: 60_000 }).not.toBe(before);
  await expectRising(() => received(commune, hostVideo, 'framesDecoded'), 'host video after the rejoin');
  await expectRising(() => received(host, (s) => s.siteId === a.siteId && s.kind === 'video', 'framesDecoded'), 'commune video at the host after the rejoin');

  // Attendance: the first interval closed as a server failure, a second one opened.
  await expect
    .poll(async () => (await attendanceOf(meeting.meetingId, a.siteId)).map((e) => [e.kind, e.connectionId === firstJoin!.connectionId, e.cause ?? null]), {
      timeout: 30_000,
    })
    .toEqual([
      ['join', true, null],
      ['leave', true, 'server-failure'],
      ['join', false, null],
    ]);
});

it('asks a second console before it takes over, and leaves the open one alone until then', async () => {
  const { meeting } = await scheduleMeeting('Họp thử tiếp quản bàn điều khiển', 1);
  const first = await openPage(`/meetings/${meeting.meetingId}/console?video=low`, true);
  await passPreJoin(first);

  // The same secretariat opens the console again on another computer: it is asked, not let in.
  const second = await openPage(`/meetings/${meeting.meetingId}/console?video=low`, true);
  await expect.poll(() => second.locator('#check-network').getAttribute('data-state'), { timeout: 30_000 }).toBe('failed');
  expect(await second.locator('#check-network').textContent()).toContain('Bàn điều khiển của cuộc họp này đang mở');
  expect(await second.locator('#take-over').isVisible()).toBe(true);
  expect(await second.locator('#enter').isDisabled()).toBe(true);
  expect(await first.locator('#status').getAttribute('data-kind')).toBe('connected');
  expect(await first.locator('#ended').isVisible()).toBe(false);

  // Confirmed: the second console comes in, the first one ends as replaced.
  await second.click('#take-over-confirm');
  await passPreJoin(second);
  await expect.poll(() => first.locator('#ended').isVisible(), { timeout: 15_000 }).toBe(true);
  expect(await first.locator('#ended-message').textContent()).toContain('từ một cửa sổ hoặc máy khác');
});

it('tells a commune in Vietnamese when every conference server is full, and lets it in once a place frees', async () => {
  const { invites } = await scheduleMeeting('Họp thử sức chứa máy chủ', 5);
  // Four sites fill the node (SFU_MAX_SITES = 4): joined sockets count like pages.
  const held: TestSocket[] = [];
  for (const invite of invites.slice(0, 4)) {
    const socket = await TestSocket.open(live.url);
    held.push(socket);
    expect((await socket.request('join', { joinToken: invite.path.split('/').at(-1) })).ok).toBe(true);
  }
  try {
    const page = await openPage(`${invites[4]!.path}?video=low`, false);
    await expect.poll(() => page.locator('#check-network').getAttribute('data-state'), { timeout: 30_000 }).toBe('failed');
    // Refused by placement (api/nodes): the only node counts its four sites live.
    expect(await page.locator('#check-network').textContent()).toContain('Máy chủ hội nghị đã đủ số điểm cầu: mọi máy chủ đều đầy');
    expect(await page.locator('#enter').isDisabled()).toBe(true);
    held.pop()!.ws.close();
    await page.click('#recheck');
    await expect.poll(() => page.locator('#check-network').getAttribute('data-state'), { timeout: 30_000 }).toMatch(NETWORK_REACHED);
  } finally {
    for (const socket of held) socket.ws.close();
  }
});

it('refuses an unknown invite link with a readable page', async () => {
  const response = await t.app.request(`/join/${'x'.repeat(43)}`);
  expect(response.status).toBe(404);
  expect(response.headers.get('cache-control')).toBe('no-store');
  const html = await response.text();
  expect(html).toContain('Đường dẫn tham dự không đúng hoặc đã hết hạn');
  expect(html).toContain('<meta name="referrer" content="no-referrer"/>');
});
