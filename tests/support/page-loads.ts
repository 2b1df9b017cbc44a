/**
 * What a page costs a commune's line: the app served on 127.0.0.1 (no SFU — the pages render
 * without it), a meeting with a join link, and Chromium loading a page while the DevTools
 * protocol counts the bytes that came over the network and which requests the cache answered.
 * Shared by the asset budget test (web/assets.browser.test.ts) and `npm run bench:assets`.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { mintMeetingTokens } from '../../api/invites/site-tokens.ts';
import { listSites, listSitesUnder } from '../../api/units/service.ts';
import { createTestApp, type TestApp } from './app.ts';
import type { Driver } from './database.ts';
import { serveApp, type RunningServer } from './browser.ts';

export interface PageSite {
  t: TestApp;
  server: RunningServer;
  /** Paths the server was asked for, in order (to see what a load fetched). */
  served: string[];
  meetingId: string;
  /** The commune's /join/<token> path. */
  joinPath: string;
  close(): Promise<void>;
}

export async function startPageSite(driver: Driver): Promise<PageSite> {
  const t = await createTestApp(driver, { provinces: ['44'], realClock: true });
  const served: string[] = [];
  const server = await serveApp((request) => {
    served.push(new URL(request.url).pathname);
    return t.app.fetch(request);
  });
  const [hall] = await listSites(t.ctx.db, { kind: 'hall', q: 'Quảng Trị', limit: 1 });
  const communes = (await listSitesUnder(t.ctx.db, '44', { activeOnly: true })).filter((s) => s.kind === 'commune').slice(0, 5);
  const startsAt = new Date(Date.now() + 5 * 60_000);
  const endsAt = new Date(startsAt.getTime() + 2 * 3600_000);
  const created = await t.request('POST', '/api/meetings', {
    cookie: t.cookies.secretariat,
    body: {
      title: 'Hội nghị trực tuyến',
      hostSiteId: hall!.id,
      startsAt: startsAt.toISOString(),
      endsAt: endsAt.toISOString(),
      siteIds: communes.map((c) => c.id),
      allowConflicts: true,
    },
  });
  if (created.status !== 201) throw new Error(`page site: meeting not created (${created.status})`);
  const meetingId = created.body.id as string;
  const { join } = await mintMeetingTokens(t.database.db, { meetingId, siteId: communes[0]!.id, expiresAt: endsAt, purposes: ['join'] });
  return {
    t,
    server,
    served,
    meetingId,
    joinPath: `/join/${join}`,
    async close() {
      await server.close();
      await t.close();
    },
  };
}

/** A browser context, signed in as the secretariat unless `signedIn` is false. */
export async function pageContext(browser: Browser, site: PageSite, signedIn: boolean): Promise<BrowserContext> {
  const context = await browser.newContext();
  if (signedIn) {
    const [name, value] = site.t.cookies.secretariat.split('=') as [string, string];
    await context.addCookies([{ name, value, url: site.server.url }]);
  }
  return context;
}

export interface LoadedResource {
  url: string;
  /** DevTools resource type: Document, Script, Stylesheet, Fetch, … */
  type: string;
  /** Bytes received over the network, headers included; 0 when the cache answered. */
  bytes: number;
  fromNetwork: boolean;
}

export interface PageLoad {
  status: number;
  /** Network bytes of every request finished by the load event. */
  bytes: number;
  resources: LoadedResource[];
}

/** Loads `path` in a new tab of `context` and counts what came over the network until `load`. */
export async function measureLoad(context: BrowserContext, baseUrl: string, path: string): Promise<PageLoad> {
  const page: Page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  const requests = new Map<string, LoadedResource & { done: boolean }>();
  cdp.on('Network.requestWillBeSent', (e) => {
    if (!requests.has(e.requestId)) requests.set(e.requestId, { url: e.request.url, type: e.type ?? 'Other', bytes: 0, fromNetwork: true, done: false });
  });
  cdp.on('Network.requestServedFromCache', (e) => {
    const r = requests.get(e.requestId);
    if (r) r.fromNetwork = false;
  });
  cdp.on('Network.responseReceived', (e) => {
    const r = requests.get(e.requestId);
    if (r && (e.response.fromDiskCache || e.response.fromPrefetchCache || e.response.fromServiceWorker)) r.fromNetwork = false;
  });
  cdp.on('Network.loadingFinished', (e) => {
    const r = requests.get(e.requestId);
    if (r) Object.assign(r, { bytes: r.fromNetwork ? e.encodedDataLength : 0, done: true });
  });
  cdp.on('Network.loadingFailed', (e) => {
    const r = requests.get(e.requestId);
    if (r) r.done = true;
  });
  await cdp.send('Network.enable');
  try {
    const response = await page.goto(baseUrl + path, { waitUntil: 'load' });
    // The protocol's events may trail the load event by a moment.
    for (let i = 0; i < 50 && [...requests.values()].some((r) => !r.done && r.type !== 'WebSocket'); i++) await new Promise((r) => setTimeout(r, 100));
    const resources = [...requests.values()].filter((r) => r.done).map(({ done: _done, ...r }) => r);
    return { status: response?.status() ?? 0, bytes: resources.reduce((sum, r) => sum + r.bytes, 0), resources };
  } finally {
    await cdp.detach().catch(() => {});
    await page.close();
  }
}
