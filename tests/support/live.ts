/**
 * The whole app as a browser sees it: HTTP on 127.0.0.1 at a free port (PUBLIC_URL set to it,
 * so invite links and the WebSocket origin check match), the SFU with real mediasoup workers
 * attached, the database of the chosen driver, a real clock.
 */
import type { Server } from 'node:http';
import { mintMeetingTokens } from '../../api/invites/site-tokens.ts';
import { startConferenceService, type ConferenceService } from '../../api/conference/service.ts';
import { closeConsolesOfEndedSignIns, disconnectRemovedSites, disconnectRotatedSites } from '../../server/services.ts';
import { createTestApp, type TestApp, type TestAppOptions } from './app.ts';
import { serveApp, type RunningServer } from './browser.ts';
import type { Driver } from './database.ts';
import { freePort } from './postgres-server.ts';

export interface LiveTestServer {
  t: TestApp;
  url: string;
  server: RunningServer;
  live: ConferenceService;
  /** A site's join link, minted the way the invitation dispatcher mints one for each e-mail. */
  joinLink(meetingId: string, siteId: string, expiresAt: Date): Promise<string>;
  close(): Promise<void>;
}

export async function startLiveTestServer(driver: Driver, options: TestAppOptions = {}): Promise<LiveTestServer> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const t = await createTestApp(driver, {
    ...options,
    realClock: true,
    config: {
      PUBLIC_URL: url,
      SFU_WORKERS: '1',
      SFU_WEBRTC_PORT_BASE: String(await freePort()),
      SFU_RTC_MIN_PORT: '24000',
      SFU_RTC_MAX_PORT: '24999',
      SFU_LOG_LEVEL: 'warn',
      SFU_QUALITY_INTERVAL_MS: '1000',
      ...options.config,
    },
  });
  const server = await serveApp(t.app.fetch, port);
  const live = await startConferenceService(t.ctx, server.server as Server);
  disconnectRemovedSites(t.services.meetings, live.sfu);
  closeConsolesOfEndedSignIns(t.services.accounts, live.consoles, live.sfu);
  disconnectRotatedSites(t.services.invites, live.sfu);
  let closed: Promise<void> | undefined;
  return {
    t,
    url,
    server,
    live,
    async joinLink(meetingId, siteId, expiresAt) {
      const { join } = await mintMeetingTokens(t.database.db, { meetingId, siteId, expiresAt, purposes: ['join'] });
      return `${url}/join/${join}`;
    },
    close: () =>
      (closed ??= (async () => {
        await live.close();
        await server.close();
        await t.close();
      })()),
  };
}
