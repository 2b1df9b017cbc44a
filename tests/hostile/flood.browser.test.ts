/**
 * A flood of 100,000 signaling frames from one site of a live meeting, with real parts: the
 * app and its SFU on real mediasoup workers (tests/support/live.ts, PGlite), the host console
 * and a commune in Debian's Chromium, and the flooding site as a WebSocket client that joined
 * with its own invite link.
 *
 * Proven, while the flood runs and after it:
 *  - the flooding socket is closed with CloseCode.rateLimited, after a `rate-limited` error;
 *  - `/healthz` keeps answering (every poll within 2 s);
 *  - the commune's browser keeps decoding the host's camera at ≥ 90% of the frame rate it had
 *    before the flood (same window length, measured from the browser's own counters);
 * The flood alternates raiseHand and lowerHand (each would be broadcast to every site) with
 * pings and junk frames. That one site's hand changes reach the others only within its budget
 * is proven in sfu/signaling.test.ts.
 */
import { getMeeting } from '../../api/meetings/queries.ts';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { Worker } from 'node:worker_threads';
import { listSites, listSitesUnder } from '../../api/units/service.ts';
import { meetingFacts } from '../../web/conference/routes.tsx';
import { CloseCode } from '../../sfu/protocol.ts';
import { launchBrowser } from '../support/browser.ts';
import { startLiveTestServer, type LiveTestServer } from '../support/live.ts';

// Real browsers and media on a 2-core machine shared with other test files: slow, not stuck.
vi.setConfig({ testTimeout: 300_000, hookTimeout: 300_000 });

const FLOOD_FRAMES = 100_000;
const WINDOW_MS = 8000;

let live: LiveTestServer;
let browser: Browser;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  live = await startLiveTestServer('pglite', { provinces: ['44'] });
  browser = await launchBrowser();
});
afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => undefined);
  await browser?.close();
  await live?.close();
});

type Stats = Awaited<ReturnType<import('../../web/conference/browser/meeting-client.ts').MeetingClient['stats']>>;
const stats = (page: Page) => page.evaluate(() => (window as unknown as { __hoinghi: { stats(): Promise<Stats> } }).__hoinghi.stats());

async function openPage(path: string, cookie?: string): Promise<Page> {
  const context = await browser.newContext();
  contexts.push(context);
  if (cookie) {
    const [name, value] = cookie.split('=') as [string, string];
    await context.addCookies([{ name, value, url: live.url }]);
  }
  const page = await context.newPage();
  await page.goto(`${live.url}${path}`);
  await expect.poll(() => page.locator('#check-network').getAttribute('data-state'), { timeout: 30_000 }).toBe('ok');
  await expect.poll(() => page.locator('#check-camera').getAttribute('data-state'), { timeout: 30_000 }).toBe('ok');
  await page.click('#enter');
  await expect.poll(() => page.locator('#status').getAttribute('data-kind'), { timeout: 30_000 }).toBe('connected');
  return page;
}

interface FloodResult {
  /** The close code the flooder saw, or a note that the socket was still open. */
  code: number | string;
  /** Frames handed to the socket before the server's close frame could arrive. */
  sent: number;
  replies: { id: unknown; ok: boolean; error?: { code: string } }[];
}

/**
 * The flooding site, on its own thread so that queueing 100,000 frames at once does not stall
 * the server's event loop (which runs in this process) on the client's behalf.
 */
function startFlooder(url: string, origin: string, joinToken: string) {
  const worker = new Worker(
    `
    const { parentPort, workerData } = require('node:worker_threads');
    const { WebSocket } = require('ws');
    const { url, origin, joinToken, count } = workerData;
    const ws = new WebSocket(url, { headers: { origin } });
    const replies = [];
    let sent = 0;
    let settled = false;
    const finish = (code) => {
      if (settled) return;
      settled = true;
      parentPort.postMessage({ kind: 'done', code, sent, replies });
      ws.terminate();
    };
    ws.on('message', (raw) => {
      const msg = JSON.parse(raw.toString());
      if (msg.type !== 'response') return;
      replies.push({ id: msg.id, ok: msg.ok, error: msg.error });
      if (msg.id === 0) parentPort.postMessage({ kind: 'joined', ok: msg.ok, error: msg.error });
    });
    ws.on('close', (code) => finish(code));
    ws.on('error', () => undefined);
    ws.on('open', () => ws.send(JSON.stringify({ id: 0, type: 'join', data: { joinToken } })));
    parentPort.on('message', () => {
      // Alternating hand changes (each broadcast to every site), pings and junk, all queued at once.
      const frames = ['raiseHand', 'lowerHand', 'ping'].map((type, i) => JSON.stringify({ id: i + 1, type, data: {} })).concat('{junk');
      for (; sent < count && ws.readyState === WebSocket.OPEN; sent++) ws.send(frames[sent % frames.length]);
      setTimeout(() => finish('still open after 30 s'), 30000);
    });
    `,
    { eval: true, workerData: { url, origin, joinToken, count: FLOOD_FRAMES } },
  );
  let resolveJoined!: () => void;
  let rejectJoined!: (err: Error) => void;
  const joined = new Promise<void>((resolve, reject) => ((resolveJoined = resolve), (rejectJoined = reject)));
  const done = new Promise<FloodResult>((resolve, reject) => {
    worker.on('message', (msg: { kind: 'joined'; ok: boolean; error?: unknown } | ({ kind: 'done' } & FloodResult)) => {
      if (msg.kind === 'joined') return msg.ok ? resolveJoined() : rejectJoined(new Error(`flooder could not join: ${JSON.stringify(msg.error)}`));
      resolve(msg);
      void worker.terminate();
    });
    worker.on('error', (err) => {
      rejectJoined(err);
      reject(err);
    });
  });
  return { joined, done, flood: () => worker.postMessage('go') };
}

it('survives a flood of 100,000 frames from one site: the flooder is closed with a code, /healthz answers, the others keep their video', async () => {
  const { t } = live;
  const [hall] = await listSites(t.ctx.db, { kind: 'hall', q: 'Quảng Trị', limit: 1 });
  const [watcher, flooding] = (await listSitesUnder(t.ctx.db, '44', { activeOnly: true })).filter((s) => s.kind === 'commune');
  const startsAt = new Date(Date.now() + 5 * 60_000);
  const endsAt = new Date(startsAt.getTime() + 2 * 3600_000);
  const created = await t.request('POST', '/api/meetings', {
    cookie: t.cookies.secretariat,
    body: {
      title: 'Họp thử chịu tải',
      hostSiteId: hall!.id,
      startsAt: startsAt.toISOString(),
      endsAt: endsAt.toISOString(),
      siteIds: [watcher!.id, flooding!.id],
      allowConflicts: true,
    },
  });
  expect(created.status).toBe(201);
  const meeting = meetingFacts(await getMeeting(t.ctx.db, created.body.id));

  await openPage(`/meetings/${meeting.meetingId}/console?video=low`, t.cookies.secretariat);
  const commune = await openPage(`${new URL(await live.joinLink(meeting.meetingId, watcher!.id, endsAt)).pathname}?video=low`);
  const hostVideo = (c: Stats['consumers'][number]) => c.siteId === meeting.hostSiteId && c.kind === 'video';
  const framesDecoded = async () => (await stats(commune)).consumers.filter(hostVideo).reduce((sum, c) => sum + c.framesDecoded, 0);
  await expect.poll(framesDecoded, { timeout: 45_000, interval: 500 }).toBeGreaterThan(30);

  /**
   * The host's video as the commune decodes it over WINDOW_MS: frames per second, and the
   * longest time between two samples (every 250 ms) in which no new frame was decoded.
   */
  const watchVideo = async () => {
    const [f0, t0] = [await framesDecoded(), performance.now()];
    let [last, lastNewFrameAt, longestFreezeMs] = [f0, t0, 0];
    while (performance.now() - t0 < WINDOW_MS) {
      await new Promise((r) => setTimeout(r, 250));
      const [f, t] = [await framesDecoded(), performance.now()];
      if (f > last) [last, lastNewFrameAt] = [f, t];
      longestFreezeMs = Math.max(longestFreezeMs, t - lastNewFrameAt);
    }
    return { fps: ((last - f0) * 1000) / (performance.now() - t0), longestFreezeMs };
  };
  const before = await watchVideo();
  expect(before.fps).toBeGreaterThan(3);

  // The flooding site joins with its own invite link, like any commune.
  const token = new URL(await live.joinLink(meeting.meetingId, flooding!.id, endsAt)).pathname.split('/').pop()!;
  const flooder = startFlooder(`${live.url.replace('http', 'ws')}/ws`, live.url, token);
  await flooder.joined;

  // /healthz is polled throughout.
  const health: { status: number; ms: number }[] = [];
  let polling = true;
  const poller = (async () => {
    while (polling) {
      const started = performance.now();
      const status = await fetch(`${live.url}/healthz`, { signal: AbortSignal.timeout(10_000) }).then(
        (r) => r.status,
        () => 0,
      );
      health.push({ status, ms: performance.now() - started });
      await new Promise((r) => setTimeout(r, 200));
    }
  })();

  const during = watchVideo();
  flooder.flood();
  const { code, sent, replies } = await flooder.done;
  const after = await during;
  polling = false;
  await poller;

  expect(sent).toBe(FLOOD_FRAMES);
  expect(code).toBe(CloseCode.rateLimited);
  expect(replies.some((r) => !r.ok && r.error?.code === 'rate-limited')).toBe(true);
  // Of the frames the server read before closing, only a bounded number were served.
  expect(replies.length).toBeLessThan(500);
  expect(health.length).toBeGreaterThan(5);
  expect(health.filter((h) => h.status !== 200 || h.ms > 2000)).toEqual([]);
  // The others keep their video: it never stops for a second during the flood. (A frame rate
  // compared with the one before would measure the machine's load, not the server's behaviour.)
  expect(after.longestFreezeMs, `decoded ${after.fps.toFixed(1)} fps during the flood, ${before.fps.toFixed(1)} before`).toBeLessThan(1000);
});
