/**
 * The conference pages in a browser test: opening one as a commune or as the signed-in host,
 * passing its pre-join check, and reading what its media client received (the page exposes
 * `window.__hoinghi.stats()`), so tests assert on decoded frames, not on the DOM alone.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { expect } from 'vitest';
import type { MeetingClient } from '../../web/conference/browser/meeting-client.ts';
import { NETWORK_REACHED } from './browser.ts';

export type MediaStats = Awaited<ReturnType<MeetingClient['stats']>>;
export type ConsumerStats = MediaStats['consumers'][number];

export const mediaStats = (page: Page) => page.evaluate(() => (window as unknown as { __hoinghi: { stats(): Promise<MediaStats> } }).__hoinghi.stats());

/** The summed counter of the consumers matching `pick`. */
export async function received(page: Page, pick: (c: ConsumerStats) => boolean, field: 'framesDecoded' | 'packetsReceived' | 'bytesReceived'): Promise<number> {
  return (await mediaStats(page)).consumers.filter(pick).reduce((sum, c) => sum + c[field], 0);
}

/** Polls until the counter is positive, then until it has grown past that reading: media keeps flowing. */
export async function expectRising(read: () => Promise<number>, what: string): Promise<void> {
  await expect.poll(read, { timeout: 45_000, interval: 500, message: `${what} starts` }).toBeGreaterThan(0);
  const first = await read();
  await expect.poll(read, { timeout: 30_000, interval: 500, message: `${what} keeps rising` }).toBeGreaterThan(first);
}

/** A page in a context of its own (closed with `contexts`), with the host's sign-in cookie if given. */
export async function openMeetingPage(opts: {
  browser: Browser;
  contexts: BrowserContext[];
  baseUrl: string;
  path: string;
  signInCookie?: string;
}): Promise<Page> {
  const context = await opts.browser.newContext();
  opts.contexts.push(context);
  if (opts.signInCookie) {
    const [name, value] = opts.signInCookie.split('=') as [string, string];
    await context.addCookies([{ name, value, url: opts.baseUrl }]);
  }
  const page = await context.newPage();
  await page.goto(`${opts.baseUrl}${opts.path}`);
  return page;
}

/** Waits for the network and camera checks, enters, and waits until the page is connected. */
export async function passPreJoin(page: Page): Promise<void> {
  await expect.poll(() => page.locator('#check-network').getAttribute('data-state'), { timeout: 30_000 }).toMatch(NETWORK_REACHED);
  await expect.poll(() => page.locator('#check-camera').getAttribute('data-state'), { timeout: 30_000 }).toBe('ok');
  await page.click('#enter');
  await expect.poll(() => page.locator('#status').getAttribute('data-kind'), { timeout: 30_000 }).toBe('connected');
}
