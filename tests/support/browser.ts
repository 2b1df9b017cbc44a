/**
 * Real browser tests: Debian's Chromium driven by playwright-core (never a downloaded browser),
 * with a fake camera and microphone, against the app served on 127.0.0.1 at a free port.
 */
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
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
    ],
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
