/**
 * Real browser tests: Debian's Chromium driven by playwright-core and Debian's Firefox ESR
 * driven by puppeteer-core over WebDriver BiDi (never a downloaded browser), each with a fake
 * camera and microphone, against the app served on 127.0.0.1 at a free port.
 */
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { chromium, type Browser } from 'playwright-core';
import puppeteer, { type Browser as BidiBrowser } from 'puppeteer-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const FIREFOX_PATH = process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr';

/**
 * The pre-join network check's states that mean the SFU was reached: `warn` is a round trip above
 * the page's "slow line" threshold, which a loaded 2-core test machine can cross; tests that are
 * not about that threshold accept both.
 */
export const NETWORK_REACHED = /^(ok|warn)$/;

export interface LaunchOptions {
  /** Runs this instead of the browser itself, e.g. BrowserNetwork.wrap()'s script (tests/support/netns.ts). */
  executablePath?: string;
  /** Further Chromium switches a test needs (e.g. to accept a throwaway certificate). */
  extraArgs?: readonly string[];
}

export async function launchBrowser(options: LaunchOptions = {}): Promise<Browser> {
  return chromium.launch({
    executablePath: options.executablePath ?? CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--use-fake-device-for-media-stream',
      '--use-fake-ui-for-media-stream',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      ...(options.extraArgs ?? []),
    ],
  });
}

/**
 * Firefox ESR over WebDriver BiDi. The preferences give it what Chromium's flags give Chromium:
 * fake devices without a permission prompt, autoplay, and its host ICE candidates in the clear.
 * Firefox ESR gathers no loopback candidate (media.peerconnection.ice.loopback, force_interface
 * and link_local change nothing in ESR 153), so a test that gives it media runs it inside a
 * network namespace of its own (tests/support/netns.ts); debuggingPort is then the port
 * forwarded to its WebDriver BiDi endpoint.
 */
export async function launchFirefox(options: LaunchOptions & { debuggingPort?: number } = {}): Promise<BidiBrowser> {
  return puppeteer.launch({
    browser: 'firefox',
    executablePath: options.executablePath ?? FIREFOX_PATH,
    ...(options.debuggingPort ? { debuggingPort: options.debuggingPort } : {}),
    headless: true,
    extraPrefsFirefox: {
      'media.navigator.streams.fake': true,
      'media.navigator.permission.disabled': true,
      'media.autoplay.default': 0,
      'media.autoplay.blocking_policy': 0,
      'media.peerconnection.ice.obfuscate_host_addresses': false,
      'browser.shell.checkDefaultBrowser': false,
      'datareporting.policy.dataSubmissionEnabled': false,
      'toolkit.telemetry.enabled': false,
      'app.update.enabled': false,
    },
  });
}

export interface RunningServer {
  url: string;
  server: ServerType;
  close(): Promise<void>;
}

export async function serveApp(fetch: (request: Request) => Response | Promise<Response>, port = 0): Promise<RunningServer> {
  let server!: ServerType;
  const address = await new Promise<AddressInfo>((resolve) => {
    server = serve({ fetch, port, hostname: '127.0.0.1' }, (info) => resolve(info));
  });
  let closed: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${address.port}`,
    server,
    close: () =>
      (closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Keep-alive connections from the browser would otherwise hold close() open.
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      })),
  };
}
