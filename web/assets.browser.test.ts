/**
 * The built assets as Chromium sees them: the commune's join page fits a weak line (under
 * 150 kB on the first load, under 5 kB once its scripts and styles are cached, which they are
 * for good), and the live pages run under the CSP without zod probing `eval`. Pages are served
 * without the SFU: this is about loading, not media.
 */
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import type { Browser } from 'playwright-core';
import { launchBrowser } from '../tests/support/browser.ts';
import { measureLoad, pageContext, startPageSite, type PageSite } from '../tests/support/page-loads.ts';

vi.setConfig({ testTimeout: 300_000, hookTimeout: 300_000 });

let site: PageSite;
let browser: Browser;

beforeAll(async () => {
  site = await startPageSite('pglite');
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await site?.close();
});

it('the join page loads under 150 kB, and under 5 kB with no script or style sheet fetched again', async () => {
  const context = await pageContext(browser, site, false);
  try {
    const first = await measureLoad(context, site.server.url, site.joinPath);
    expect(first.status).toBe(200);
    const assets = first.resources.filter((r) => r.type === 'Script' || r.type === 'Stylesheet');
    // The page's module, its shared chunks and the style sheet all came, compressed.
    expect(assets.length).toBeGreaterThanOrEqual(3);
    expect(assets.every((r) => r.fromNetwork && r.bytes > 0)).toBe(true);
    expect(first.bytes).toBeLessThan(150_000);

    const servedBefore = site.served.length;
    const second = await measureLoad(context, site.server.url, site.joinPath);
    expect(second.status).toBe(200);
    const secondAssets = second.resources.filter((r) => r.type === 'Script' || r.type === 'Stylesheet');
    expect(secondAssets.length).toBe(assets.length);
    expect(secondAssets.filter((r) => r.fromNetwork)).toEqual([]);
    // And the server agrees: the second load asked it for the page only.
    expect(site.served.slice(servedBefore).filter((p) => p.startsWith('/static/'))).toEqual([]);
    expect(second.bytes).toBeLessThan(5_000);
  } finally {
    await context.close();
  }
});

it('the join page and the console run under the CSP with no violation', async () => {
  for (const [path, signedIn] of [
    [site.joinPath, false],
    [`/meetings/${site.meetingId}/console`, true],
  ] as const) {
    const context = await pageContext(browser, site, signedIn);
    try {
      const page = await context.newPage();
      // Registered before any page script runs, so a violation during module evaluation counts.
      await page.addInitScript(() => {
        const seen: string[] = [];
        (window as unknown as { cspViolations: string[] }).cspViolations = seen;
        document.addEventListener('securitypolicyviolation', (e) => seen.push(`${e.violatedDirective} ${e.blockedURI}`));
      });
      const response = await page.goto(site.server.url + path, { waitUntil: 'load' });
      expect(response?.status(), path).toBe(200);
      expect(response?.headers()['content-security-policy'], path).toContain("script-src 'self'");
      // The page's module ran to the end of its set-up (zod's schemas were built by then).
      await page.waitForFunction(() => '__hoinghi' in window);
      await new Promise((r) => setTimeout(r, 500));
      expect(await page.evaluate(() => (window as unknown as { cspViolations: string[] }).cspViolations), path).toEqual([]);
    } finally {
      await context.close();
    }
  }
});
