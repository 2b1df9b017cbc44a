/**
 * A second browser engine: a commune in Debian's Firefox ESR (driven over WebDriver BiDi by
 * puppeteer-core) meets the host console in Debian's Chromium, through the whole app on the
 * 3.19 worker. Firefox brings its own DTLS stack, SRTP suites and codecs; the test passes when
 * each side decodes the other's video, and when Firefox reports no CSP violation on the page
 * (zod's eval probe was one: web/common/browser/zod.ts turns it off).
 *
 * Firefox ESR 153 neither gathers nor pairs loopback ICE candidates (media.peerconnection.ice.
 * loopback, force_interface and link_local change nothing), so the media cannot stay on
 * 127.0.0.1. Both browsers run instead in a network namespace this test creates, joined to this
 * one by a veth pair it creates (tests/support/netns.ts): the SFU listens on the pair's root end,
 * the browsers' only address is the other end, and the pages and Firefox's WebDriver endpoint
 * are forwarded over loopback. The test checks that every media tuple the SFU selected is
 * between those two addresses, so no packet goes to this machine's own address.
 */
import type { types as ms } from 'mediasoup';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import type { Browser as ChromiumBrowser, Page } from 'playwright-core';
import type { Browser as FirefoxBrowser } from 'puppeteer-core';
import { getMeeting } from '../../api/meetings/queries.ts';
import { listSites, listSitesUnder } from '../../api/units/service.ts';
import { meetingFacts } from './routes.tsx';
import { CHROMIUM_PATH, FIREFOX_PATH, launchBrowser, NETWORK_REACHED, launchFirefox } from '../../tests/support/browser.ts';
import { startLiveTestServer, type LiveTestServer } from '../../tests/support/live.ts';
import { createBrowserNetwork, type BrowserNetwork } from '../../tests/support/netns.ts';
import { freePort } from '../../tests/support/postgres-server.ts';

vi.setConfig({ testTimeout: 300_000, hookTimeout: 300_000 });

type Stats = Awaited<ReturnType<import('./browser/meeting-client.ts').MeetingClient['stats']>>;
type ConsumerStats = Stats['consumers'][number];

let network: BrowserNetwork;
let live: LiveTestServer;
let chromium: ChromiumBrowser;
let firefox: FirefoxBrowser;
/** Every WebRTC transport the SFU's workers create, to check where their media went. */
const transports: ms.WebRtcTransport[] = [];

beforeAll(async () => {
  network = await createBrowserNetwork();
  live = await startLiveTestServer('postgres', { provinces: ['44'], config: { SFU_LISTEN_IP: network.hostAddress } });
  // Rooms open their routers when a site joins, after this.
  for (const { worker } of live.live.sfu.pool.slots()) {
    worker.observer.on('newrouter', (router) =>
      router.observer.on('newtransport', (transport) => {
        if (transport.type === 'webrtc') transports.push(transport as ms.WebRtcTransport);
      }),
    );
  }
  const bidiPort = await freePort();
  await network.forwardPorts({ hostPorts: [Number(new URL(live.url).port)], browserPorts: [bidiPort] });
  chromium = await launchBrowser({ executablePath: network.wrap(CHROMIUM_PATH) });
  firefox = await launchFirefox({ executablePath: network.wrap(FIREFOX_PATH), debuggingPort: bidiPort });
});

afterAll(async () => {
  await firefox?.close();
  await chromium?.close();
  await live?.close();
  await network?.close();
});

/** Polls until the counter is positive, then until it has grown past that reading: media keeps flowing. */
async function expectRising(read: () => Promise<number>, what: string): Promise<void> {
  await expect.poll(read, { timeout: 45_000, interval: 500, message: `${what} starts` }).toBeGreaterThan(0);
  const first = await read();
  await expect.poll(read, { timeout: 30_000, interval: 500, message: `${what} keeps rising` }).toBeGreaterThan(first);
}

const sum = (stats: Stats, pick: (c: ConsumerStats) => boolean, field: 'framesDecoded' | 'bytesReceived') =>
  stats.consumers.filter(pick).reduce((n, c) => n + c[field], 0);

it('carries media both ways between a commune in Firefox ESR and the host in Chromium', async () => {
  const { t } = live;
  const [hall] = await listSites(t.ctx.db, { kind: 'hall', q: 'Quảng Trị', limit: 1 });
  const [commune] = (await listSitesUnder(t.ctx.db, '44', { activeOnly: true })).filter((s) => s.kind === 'commune');
  const startsAt = new Date(Date.now() + 5 * 60_000);
  const endsAt = new Date(startsAt.getTime() + 2 * 3600_000);
  const created = await t.request('POST', '/api/meetings', {
    cookie: t.cookies.secretariat,
    body: {
      title: 'Họp thử trình duyệt Firefox',
      hostSiteId: hall!.id,
      startsAt: startsAt.toISOString(),
      endsAt: endsAt.toISOString(),
      siteIds: [commune!.id],
      allowConflicts: true,
    },
  });
  expect(created.status).toBe(201);
  const meeting = meetingFacts(await getMeeting(t.ctx.db, created.body.id));
  const joinPath = new URL(await live.joinLink(meeting.meetingId, commune!.id, endsAt)).pathname;

  // The host console in Chromium, on the secretariat's session.
  const context = await chromium.newContext();
  const [name, value] = t.cookies.secretariat.split('=') as [string, string];
  await context.addCookies([{ name, value, url: live.url }]);
  const host: Page = await context.newPage();
  await host.goto(`${live.url}/meetings/${meeting.meetingId}/console?video=low`);
  await expect.poll(() => host.locator('#check-network').getAttribute('data-state'), { timeout: 30_000 }).toMatch(NETWORK_REACHED);
  await expect.poll(() => host.locator('#check-camera').getAttribute('data-state'), { timeout: 30_000 }).toBe('ok');
  await host.click('#enter');
  await expect.poll(() => host.locator('#status').getAttribute('data-kind'), { timeout: 30_000 }).toBe('connected');

  // The commune in Firefox, following its invite link; every CSP violation is recorded.
  const page = await firefox.newPage();
  await page.evaluateOnNewDocument(() => {
    const seen: string[] = [];
    (window as unknown as { __csp: string[] }).__csp = seen;
    document.addEventListener('securitypolicyviolation', (e) => seen.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  await page.goto(`${live.url}${joinPath}?video=low`);
  expect(await page.evaluate(() => navigator.userAgent)).toMatch(/Firefox\//);
  const attr = (selector: string, attribute: string) => page.$eval(selector, (el, a) => el.getAttribute(a), attribute);
  await expect.poll(() => attr('#check-network', 'data-state'), { timeout: 30_000 }).toMatch(NETWORK_REACHED);
  await expect.poll(() => attr('#check-camera', 'data-state'), { timeout: 30_000 }).toBe('ok');
  await page.click('#enter');
  await expect.poll(() => attr('#status', 'data-kind'), { timeout: 30_000 }).toBe('connected');

  const statsIn = (p: { evaluate: Page['evaluate'] }) => p.evaluate(() => (window as unknown as { __hoinghi: { stats(): Promise<Stats> } }).__hoinghi.stats());
  const firefoxStats = () => page.evaluate(() => (window as unknown as { __hoinghi: { stats(): Promise<Stats> } }).__hoinghi.stats());
  const hostVideo = (c: ConsumerStats) => c.siteId === meeting.hostSiteId && c.kind === 'video';
  const communeVideo = (c: ConsumerStats) => c.siteId === commune!.id && c.kind === 'video';

  // Firefox decodes the host, and the host decodes Firefox.
  await expectRising(async () => sum(await firefoxStats(), hostVideo, 'framesDecoded'), 'host video in Firefox');
  await expectRising(async () => sum(await statsIn(host), communeVideo, 'framesDecoded'), 'the Firefox commune at the host');
  expect((await firefoxStats()).transports).toEqual({ send: 'connected', recv: 'connected' });
  // Both sites' send and receive transports carried media, each between the veth pair's ends.
  const tuples = transports.filter((tr) => !tr.closed && tr.iceSelectedTuple).map((tr) => tr.iceSelectedTuple!);
  expect(tuples).toHaveLength(4);
  for (const tuple of tuples) expect(tuple).toMatchObject({ localAddress: network.hostAddress, remoteIp: network.browserAddress });
  expect(await page.evaluate(() => (window as unknown as { __csp: string[] }).__csp)).toEqual([]);
  await page.close();
  await context.close();
});
