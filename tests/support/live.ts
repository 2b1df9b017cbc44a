/**
 * The whole app as a browser sees it: HTTP on 127.0.0.1 at a free port (PUBLIC_URL set to it,
 * so invite links and the WebSocket origin check match), the SFU with real mediasoup workers
 * attached, the database of the chosen driver, a real clock.
 */
import type { Server } from 'node:http';
import { mintMeetingTokens } from '../../api/invites/site-tokens.ts';
import { getMeeting } from '../../api/meetings/queries.ts';
import { listSites, listSitesUnder } from '../../api/units/service.ts';
import { meetingFacts, type MeetingFacts } from '../../web/conference/routes.tsx';
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
  // As server/main.ts: placement counts this node's sites live.
  t.services.nodes.attachLocal(t.ctx.config.sfu.node.id, () => live.sfu.signaling.siteCount());
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

/** A commune invited to a meeting, with the path of its join link (/join/<token>). */
export interface CommuneInvite {
  siteId: string;
  siteName: string;
  path: string;
}

/**
 * A meeting of the Quảng Trị hall with its first `communeCount` communes, starting in five
 * minutes, scheduled through the API as a secretariat would, and each commune's join path.
 */
export async function scheduleLiveMeeting(
  live: LiveTestServer,
  title: string,
  communeCount: number,
): Promise<{ meeting: MeetingFacts; invites: CommuneInvite[] }> {
  const { t } = live;
  const [hall] = await listSites(t.ctx.db, { kind: 'hall', q: 'Quảng Trị', limit: 1 });
  const communes = (await listSitesUnder(t.ctx.db, '44', { activeOnly: true })).filter((s) => s.kind === 'commune').slice(0, communeCount);
  const startsAt = new Date(Date.now() + 5 * 60_000);
  const endsAt = new Date(startsAt.getTime() + 2 * 3600_000);
  const created = await t.request('POST', '/api/meetings', {
    cookie: t.cookies.secretariat,
    body: {
      title,
      hostSiteId: hall!.id,
      startsAt: startsAt.toISOString(),
      endsAt: endsAt.toISOString(),
      siteIds: communes.map((c) => c.id),
      allowConflicts: true,
    },
  });
  if (created.status !== 201) throw new Error(`scheduling the test meeting failed: ${created.status} ${JSON.stringify(created.body)}`);
  const meeting = meetingFacts(await getMeeting(t.ctx.db, created.body.id));
  const invites: CommuneInvite[] = [];
  for (const c of communes) invites.push({ siteId: c.id, siteName: c.name, path: new URL(await live.joinLink(meeting.meetingId, c.id, endsAt)).pathname });
  return { meeting, invites };
}
