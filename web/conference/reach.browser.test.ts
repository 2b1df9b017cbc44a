/**
 * Every screen and a weak line.
 *
 * Every screen: the live pages in Debian's Chromium at a phone's size (390×844) and a small
 * laptop's (800×600), with a real meeting running (host console and one commune, real mediasoup
 * worker, PGlite). At each size the commune's controls ("Giơ tay", "Rời phòng họp", the
 * microphone line) and the host's picture lie inside the window with nothing drawn over them and
 * nothing to scroll, the site's own picture stays small, and the host console's own buttons are
 * on screen too.
 *
 * A weak line: a commune switches to audio only and back; while it is audio only it decodes no
 * video and sends none, still hears the host and is heard with the floor, and the host's
 * console marks it "Chỉ âm thanh".
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchBrowser, NETWORK_REACHED } from '../../tests/support/browser.ts';
import { scheduleLiveMeeting, startLiveTestServer, type LiveTestServer } from '../../tests/support/live.ts';

vi.setConfig({ testTimeout: 300_000, hookTimeout: 300_000 });

type Stats = Awaited<ReturnType<import('./browser/meeting-client.ts').MeetingClient['stats']>>;
type ConsumerStats = Stats['consumers'][number];

let live: LiveTestServer;
let browser: Browser;
const contexts: BrowserContext[] = [];

/** coturn on loopback: TLS on TURN_TLS_PORT, relays from TURN_RELAY_PORTS, the shared secret the server mints from. */
const TURN_TLS_PORT = 4450;
const TURN_PLAIN_PORT = 4451;
const TURN_RELAY_PORTS = { min: 4452, max: 4460 };
const turnSecret = randomBytes(24).toString('hex');
let turnDir: string;
let coturn: ChildProcess | undefined;
let coturnLog = '';

/** Debian's coturn with a throwaway self-signed certificate; resolves once its TLS port accepts. */
async function startCoturn(): Promise<void> {
  turnDir = mkdtempSync(path.join(os.tmpdir(), 'hoinghi-turn-'));
  const cert = path.join(turnDir, 'cert.pem');
  const key = path.join(turnDir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-keyout', key, '-out', cert], {
    stdio: 'ignore',
  });
  coturn = spawn(
    'turnserver',
    [
      '-n',
      '--no-cli',
      '--listening-ip=127.0.0.1',
      '--relay-ip=127.0.0.1',
      `--listening-port=${TURN_PLAIN_PORT}`,
      `--tls-listening-port=${TURN_TLS_PORT}`,
      `--min-port=${TURN_RELAY_PORTS.min}`,
      `--max-port=${TURN_RELAY_PORTS.max}`,
      '--use-auth-secret',
      `--static-auth-secret=${turnSecret}`,
      '--realm=hoinghi.test',
      `--cert=${cert}`,
      `--pkey=${key}`,
      // the SFU listens on loopback in tests; coturn refuses such peers without this
      '--allow-loopback-peers',
      '--fingerprint',
      '--no-multicast-peers',
      '--no-dtls',
      `--db=${path.join(turnDir, 'turndb')}`,
      `--pidfile=${path.join(turnDir, 'turnserver.pid')}`,
      '--log-file=stdout',
      '--simple-log',
      '--verbose',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  coturn.stdout?.on('data', (b: Buffer) => (coturnLog += b.toString()));
  coturn.stderr?.on('data', (b: Buffer) => (coturnLog += b.toString()));
  const deadline = Date.now() + 20_000;
  for (;;) {
    const up = await new Promise<boolean>((resolve) => {
      const socket = net.connect(TURN_TLS_PORT, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (up) return;
    if (coturn.exitCode !== null || Date.now() > deadline) throw new Error(`coturn did not start:\n${coturnLog}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

beforeAll(async () => {
  await startCoturn();
  live = await startLiveTestServer('pglite', {
    provinces: ['44'],
    config: { TURN_URLS: `turns:127.0.0.1:${TURN_TLS_PORT}?transport=tcp`, TURN_SECRET: turnSecret, TURN_CREDENTIAL_TTL_SECONDS: '3600' },
  });
  // coturn's certificate is a throwaway self-signed one; Chromium checks TURN TLS certificates like any other
  browser = await launchBrowser({ extraArgs: ['--ignore-certificate-errors'] });
});

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => undefined);
  await browser?.close();
  await live?.close();
  coturn?.kill('SIGTERM');
  if (process.env.HOINGHI_TURN_LOG) writeFileSync(process.env.HOINGHI_TURN_LOG, coturnLog);
  if (turnDir) rmSync(turnDir, { recursive: true, force: true });
});

const scheduleMeeting = (title: string, communeCount: number) => scheduleLiveMeeting(live, title, communeCount);

async function openPage(path: string, withSession: boolean): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  contexts.push(context);
  if (withSession) {
    const [name, value] = live.t.cookies.secretariat.split('=') as [string, string];
    await context.addCookies([{ name, value, url: live.url }]);
  }
  const page = await context.newPage();
  await page.goto(`${live.url}${path}`);
  await expect.poll(() => page.locator('#check-network').getAttribute('data-state'), { timeout: 30_000 }).toMatch(NETWORK_REACHED);
  await expect.poll(() => page.locator('#check-camera').getAttribute('data-state'), { timeout: 30_000 }).toBe('ok');
  await page.click('#enter');
  await expect.poll(() => page.locator('#status').getAttribute('data-kind'), { timeout: 30_000 }).toBe('connected');
  return page;
}

const stats = (page: Page) => page.evaluate(() => (window as unknown as { __hoinghi: { stats(): Promise<Stats> } }).__hoinghi.stats());
const decoded = async (page: Page, pick: (c: ConsumerStats) => boolean) => (await stats(page)).consumers.filter(pick).reduce((n, c) => n + c.framesDecoded, 0);

interface Placement {
  box: { x: number; y: number; width: number; height: number };
  viewport: { width: number; height: number };
  /** The element (or one inside it) is what is drawn at its centre: nothing covers it. */
  onTop: boolean;
}

/** Where `selector` lies, measured in the page. */
function placement(page: Page, selector: string): Promise<Placement> {
  return page.locator(selector).evaluate((el) => {
    const r = el.getBoundingClientRect();
    const hit = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
    return {
      box: { x: r.x, y: r.y, width: r.width, height: r.height },
      viewport: { width: window.innerWidth, height: window.innerHeight },
      onTop: hit !== null && (hit === el || el.contains(hit)),
    };
  });
}

async function expectOnScreen(page: Page, selector: string, size: string): Promise<Placement> {
  await expect(page.locator(selector).isVisible(), `${selector} is shown at ${size}`).resolves.toBe(true);
  const p = await placement(page, selector);
  const where = `${selector} at ${size}: ${JSON.stringify(p.box)}`;
  expect(p.box.width, where).toBeGreaterThan(0);
  expect(p.box.height, where).toBeGreaterThan(0);
  expect(p.box.x, where).toBeGreaterThanOrEqual(0);
  expect(p.box.y, where).toBeGreaterThanOrEqual(0);
  expect(p.box.x + p.box.width, where).toBeLessThanOrEqual(p.viewport.width + 0.5);
  expect(p.box.y + p.box.height, where).toBeLessThanOrEqual(p.viewport.height + 0.5);
  expect(p.onTop, `${where} is covered`).toBe(true);
  return p;
}

const noScroll = (page: Page) =>
  page.evaluate(() => {
    const doc = document.scrollingElement ?? document.documentElement;
    return { scrollHeight: doc.scrollHeight, scrollWidth: doc.scrollWidth, width: window.innerWidth, height: window.innerHeight };
  });

const SIZES = [
  { name: 'phone 390×844', width: 390, height: 844 },
  { name: 'small laptop 800×600', width: 800, height: 600 },
];

it('keeps the host, the controls and a small own picture on a phone and a small laptop', async () => {
  const { meeting, invites: joins } = await scheduleMeeting('Hội nghị thử màn hình nhỏ', 1);
  const host = await openPage(`/meetings/${meeting.meetingId}/console?video=low`, true);
  const commune = await openPage(`${joins[0]!.path}?video=low`, false);
  await expect.poll(() => decoded(commune, (c) => c.siteId === meeting.hostSiteId && c.kind === 'video'), { timeout: 45_000 }).toBeGreaterThan(0);
  // The host shares its screen too, so the commune shows a second picture (the host's camera) beside it.
  await host.click('#share-screen');
  await expect.poll(() => commune.locator('#second-tile').isVisible(), { timeout: 30_000 }).toBe(true);

  for (const size of SIZES) {
    for (const page of [commune, host]) await page.setViewportSize({ width: size.width, height: size.height });
    await commune.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));

    // The commune: nothing below the fold, nothing wider than the screen.
    const scroll = await noScroll(commune);
    expect(scroll.scrollHeight, `commune page height at ${size.name}`).toBeLessThanOrEqual(scroll.height);
    expect(scroll.scrollWidth, `commune page width at ${size.name}`).toBeLessThanOrEqual(scroll.width);
    for (const selector of ['#raise-hand', '#audio-only', '#leave', '#mic-state']) await expectOnScreen(commune, selector, size.name);
    // The host's picture: its middle is the host's video, not another picture laid over it.
    const main = await expectOnScreen(commune, '#main-video', size.name);
    // The site's own picture: on screen, and small beside the host's.
    const self = await placement(commune, '#self-tile');
    expect(self.box.y + self.box.height, `own picture at ${size.name}`).toBeLessThanOrEqual(self.viewport.height + 0.5);
    expect(self.box.width * self.box.height, `own picture at ${size.name}`).toBeLessThan((main.box.width * main.box.height) / 4);
    expect(self.box.width, `own picture at ${size.name}`).toBeLessThanOrEqual(size.width / 3 + 0.5);
    await commune.screenshot({ path: `/tmp/hoinghi-join-${size.width}x${size.height}.png` });

    // The host console: its own buttons and the stage's top are on screen.
    for (const selector of ['#host-mic', '#share-screen', '#end-meeting']) await expectOnScreen(host, selector, size.name);
    const stage = await placement(host, '#stage-tile');
    expect(stage.box.y, `console stage at ${size.name}`).toBeLessThan(stage.viewport.height / 2);
    const hostScroll = await noScroll(host);
    expect(hostScroll.scrollWidth, `console width at ${size.name}`).toBeLessThanOrEqual(hostScroll.width);
    await host.screenshot({ path: `/tmp/hoinghi-console-${size.width}x${size.height}.png` });
  }

  // Still a working page at the small size: the hand goes up from where the button now is.
  await commune.click('#raise-hand');
  await host.locator(`#hand-queue li[data-site-id="${joins[0]!.siteId}"]`).waitFor({ timeout: 15_000 });
});

it('lets a commune on a weak line switch to audio only and back, and shows it on the host console', async () => {
  const { meeting, invites: joins } = await scheduleMeeting('Hội nghị thử đường truyền yếu', 1);
  const site = joins[0]!;
  const host = await openPage(`/meetings/${meeting.meetingId}/console?video=low`, true);
  const commune = await openPage(`${site.path}?video=low`, false);
  const hostVideo = (c: ConsumerStats) => c.siteId === meeting.hostSiteId && c.kind === 'video';
  const hostAudio = (c: ConsumerStats) => c.siteId === meeting.hostSiteId && c.kind === 'audio';
  const siteVideo = (c: ConsumerStats) => c.siteId === site.siteId && c.kind === 'video';
  const packets = async (page: Page, pick: (c: ConsumerStats) => boolean) =>
    (await stats(page)).consumers.filter(pick).reduce((n, c) => n + c.packetsReceived, 0);
  const tile = host.locator(`#site-grid li[data-site-id="${site.siteId}"]`);
  await expect.poll(() => decoded(commune, hostVideo), { timeout: 45_000 }).toBeGreaterThan(0);
  await expect.poll(() => decoded(host, siteVideo), { timeout: 45_000 }).toBeGreaterThan(0);
  expect(await tile.getAttribute('data-audio-only')).toBe('false');

  await commune.click('#audio-only');
  await expect.poll(() => commune.locator('#audio-only').getAttribute('aria-pressed'), { timeout: 15_000 }).toBe('true');
  expect(await commune.textContent('#audio-only')).toBe('Bật lại hình ảnh');
  // No video either way: the commune holds no video consumer and no camera producer, the host none of the commune's.
  await expect.poll(async () => (await stats(commune)).consumers.filter((c) => c.kind === 'video').length, { timeout: 15_000 }).toBe(0);
  expect((await stats(commune)).producers.map((p) => p.source)).toEqual(['microphone']);
  await expect.poll(async () => (await stats(host)).consumers.filter(siteVideo).length, { timeout: 15_000 }).toBe(0);
  expect(await commune.locator('#self-tile').isVisible()).toBe(false);
  expect(await commune.textContent('#main-placeholder')).toContain('chỉ nghe nói');
  // The host's console says so.
  await expect.poll(() => tile.getAttribute('data-audio-only'), { timeout: 15_000 }).toBe('true');
  expect(await tile.locator('.badge.audio-only').textContent()).toBe('Chỉ âm thanh');
  // Sound both ways: the host is heard, and with the floor the commune is heard by the host.
  const heard = await packets(commune, hostAudio);
  await expect.poll(() => packets(commune, hostAudio), { timeout: 15_000 }).toBeGreaterThan(heard);
  await host.click(`#site-grid li[data-site-id="${site.siteId}"] button.give-floor`);
  await expect.poll(() => packets(host, (c) => c.siteId === site.siteId && c.kind === 'audio'), { timeout: 30_000 }).toBeGreaterThan(0);

  // And back: the host's picture returns to the commune, the commune's camera to the host.
  await commune.click('#audio-only');
  await expect.poll(() => commune.locator('#audio-only').getAttribute('aria-pressed'), { timeout: 15_000 }).toBe('false');
  await expect.poll(() => decoded(commune, hostVideo), { timeout: 45_000 }).toBeGreaterThan(0);
  await expect.poll(() => decoded(host, siteVideo), { timeout: 45_000 }).toBeGreaterThan(0);
  await expect.poll(() => tile.getAttribute('data-audio-only'), { timeout: 15_000 }).toBe('false');
  expect(await tile.locator('.badge.audio-only').count()).toBe(0);
  expect(await commune.locator('#self-tile').isVisible()).toBe(true);
});

/**
 * Installed before the page's scripts: keeps every RTCPeerConnection for inspection and, with
 * `tcpOnly`, drops the SFU's UDP candidates from each remote description, as a network that
 * lets no UDP through leaves the browser nothing but TCP to try.
 */
function watchPeerConnections(network: string): void {
  const seen: RTCPeerConnection[] = [];
  (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs = seen;
  const Original = window.RTCPeerConnection;
  class Watched extends Original {
    constructor(config?: RTCConfiguration) {
      // relay-only: nothing but the TURN server may be reached, as behind a proxy that lets only TLS on 443 out
      super(network === 'relay-only' ? { ...config, iceTransportPolicy: 'relay' } : config);
      seen.push(this);
    }
  }
  window.RTCPeerConnection = Watched as typeof RTCPeerConnection;
  if (network !== 'tcp-only') return;
  const setRemote = Original.prototype.setRemoteDescription as (this: RTCPeerConnection, d: RTCSessionDescriptionInit) => Promise<void>;
  Original.prototype.setRemoteDescription = function (this: RTCPeerConnection, description: RTCSessionDescriptionInit) {
    const sdp = description.sdp
      ?.split('\r\n')
      .filter((line) => !/^a=candidate:\S+ \d+ udp /i.test(line))
      .join('\r\n');
    return setRemote.call(this, { type: description.type, ...(sdp !== undefined ? { sdp } : {}) });
  } as RTCPeerConnection['setRemoteDescription'];
}

interface SelectedPair {
  remoteProtocol: string;
  localType: string;
  relayProtocol: string;
}

/** Each connected peer connection's selected candidate pair: the remote candidate's protocol, the local candidate's type and relay protocol. */
function selectedPairs(page: Page): Promise<SelectedPair[]> {
  return page.evaluate(async () => {
    const out: SelectedPair[] = [];
    for (const pc of (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs) {
      if (pc.connectionState !== 'connected') continue;
      const reports = [...(await pc.getStats()).values()] as Array<Record<string, string | boolean>>;
      const pair = reports.find((r) => r['type'] === 'candidate-pair' && (r['selected'] === true || r['nominated'] === true) && r['state'] === 'succeeded');
      const remote = reports.find((r) => r['id'] === pair?.['remoteCandidateId']);
      const local = reports.find((r) => r['id'] === pair?.['localCandidateId']);
      out.push({
        remoteProtocol: String(remote?.['protocol'] ?? 'none'),
        localType: String(local?.['candidateType'] ?? 'none'),
        relayProtocol: String(local?.['relayProtocol'] ?? 'none'),
      });
    }
    return out;
  });
}

it('reaches the SFU over TCP when the network lets no UDP through', async () => {
  const { meeting, invites: joins } = await scheduleMeeting('Hội nghị thử mạng chỉ cho TCP', 1);
  const host = await openPage(`/meetings/${meeting.meetingId}/console?video=low`, true);
  const context = await browser.newContext();
  context.setDefaultNavigationTimeout(90_000); // a loaded 2-core machine: slow, not stuck
  contexts.push(context);
  await context.addInitScript(watchPeerConnections, 'tcp-only');
  const commune = await context.newPage();
  await commune.goto(`${live.url}${joins[0]!.path}?video=low`);
  await expect.poll(() => commune.locator('#check-network').getAttribute('data-state'), { timeout: 30_000 }).toMatch(NETWORK_REACHED);
  await expect.poll(() => commune.locator('#check-camera').getAttribute('data-state'), { timeout: 30_000 }).toBe('ok');
  await commune.click('#enter');
  await expect.poll(() => commune.locator('#status').getAttribute('data-kind'), { timeout: 30_000 }).toBe('connected');

  // Both ways over TCP: the commune decodes the host, the host decodes the commune.
  await expect.poll(() => decoded(commune, (c) => c.siteId === meeting.hostSiteId && c.kind === 'video'), { timeout: 45_000 }).toBeGreaterThan(0);
  await expect.poll(() => decoded(host, (c) => c.siteId === joins[0]!.siteId && c.kind === 'video'), { timeout: 45_000 }).toBeGreaterThan(0);
  // Send and receive transports, each on a TCP pair.
  await expect.poll(async () => (await selectedPairs(commune)).map((p) => p.remoteProtocol), { timeout: 15_000 }).toEqual(['tcp', 'tcp']);
});

it('reaches the SFU through coturn over TLS when only TLS to the TURN server gets out', async () => {
  const { meeting, invites: joins } = await scheduleMeeting('Hội nghị thử mạng chỉ cho TLS', 1);
  const host = await openPage(`/meetings/${meeting.meetingId}/console?video=low`, true);
  const context = await browser.newContext();
  context.setDefaultNavigationTimeout(90_000); // a loaded 2-core machine: slow, not stuck
  contexts.push(context);
  await context.addInitScript(watchPeerConnections, 'relay-only');
  const commune = await context.newPage();
  const joinReplies: unknown[] = [];
  commune.on('websocket', (ws) =>
    ws.on('framereceived', (f) => typeof f.payload === 'string' && f.payload.includes('"iceServers"') && joinReplies.push(JSON.parse(f.payload))),
  );
  await commune.goto(`${live.url}${joins[0]!.path}?video=low`);
  await expect.poll(() => commune.locator('#check-network').getAttribute('data-state'), { timeout: 30_000 }).toMatch(NETWORK_REACHED);
  await expect.poll(() => commune.locator('#check-camera').getAttribute('data-state'), { timeout: 30_000 }).toBe('ok');
  await commune.click('#enter');
  await expect.poll(() => commune.locator('#status').getAttribute('data-kind'), { timeout: 30_000 }).toBe('connected');

  // The join reply offered the TURN server with a time-limited credential for this site.
  const reply = joinReplies[0] as { data: { iceServers: Array<{ urls: string[]; username: string; credential: string }> } };
  expect(reply.data.iceServers).toEqual([
    {
      urls: [`turns:127.0.0.1:${TURN_TLS_PORT}?transport=tcp`],
      username: expect.stringMatching(new RegExp(`^\\d+:${joins[0]!.siteId}$`)),
      credential: expect.any(String),
    },
  ]);
  const expiry = Number(reply.data.iceServers[0]!.username.split(':')[0]);
  expect(expiry).toBeGreaterThan(Date.now() / 1000 + 3500);
  expect(expiry).toBeLessThanOrEqual(Date.now() / 1000 + 3600);

  // Media both ways through the relay.
  await expect.poll(() => decoded(commune, (c) => c.siteId === meeting.hostSiteId && c.kind === 'video'), { timeout: 60_000 }).toBeGreaterThan(0);
  await expect.poll(() => decoded(host, (c) => c.siteId === joins[0]!.siteId && c.kind === 'video'), { timeout: 60_000 }).toBeGreaterThan(0);
  // Both transports' selected pairs start at a relay candidate reached over TLS.
  await expect
    .poll(async () => (await selectedPairs(commune)).map((p) => [p.localType, p.relayProtocol]), { timeout: 15_000 })
    .toEqual([
      ['relay', 'tls'],
      ['relay', 'tls'],
    ]);
});
