/**
 * The SFU inside the app, over a real WebSocket and real mediasoup workers: join links from
 * the invitation tokens, the host's session cookie, and the schedule's changes reaching live
 * connections (a removed site is disconnected within 2 s).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { eq } from 'drizzle-orm';
import { meetings, sfuNodes, sitePlacements } from '../../db/schema.ts';
import { registerNode } from '../nodes/registry.ts';
import { CloseCode } from '../../sfu/protocol.ts';
import { siteEvents } from '../../tests/support/attendance.ts';
import { startLiveTestServer, type LiveTestServer } from '../../tests/support/live.ts';
import { noteMeetingStartOrEnd } from './service.ts';
import { closedWithin, TestSocket } from '../../tests/support/signaling-client.ts';

describe('live sessions in the app', () => {
  let live: LiveTestServer;
  let meeting: { id: string; endsAt: string; participants: { siteId: string; role: string; name: string }[] };
  let otherMeetingId: string;
  const sockets: TestSocket[] = [];
  const open = async (headers?: Record<string, string>) => {
    const socket = await TestSocket.open(live.url, headers);
    sockets.push(socket);
    return socket;
  };

  beforeAll(async () => {
    live = await startLiveTestServer('pglite', { provinces: ['44'] });
    const communes = (await live.t.request('GET', '/api/units/44/sites', { cookie: live.t.cookies.secretariat })).body.sites as { id: string; kind: string }[];
    const hall = communes.find((s) => s.kind === 'hall')!.id;
    const sites = communes.filter((s) => s.kind === 'commune').map((s) => s.id);
    const start = new Date(Date.now() + 60_000);
    const body = (title: string, siteIds: string[], offsetHours: number) => ({
      title,
      hostSiteId: hall,
      startsAt: new Date(start.getTime() + offsetHours * 3600_000).toISOString(),
      endsAt: new Date(start.getTime() + (offsetHours + 2) * 3600_000).toISOString(),
      siteIds,
    });
    meeting = (await live.t.request('POST', '/api/meetings', { cookie: live.t.cookies.secretariat, body: body('Họp trực tuyến', sites.slice(0, 3), 0) })).body;
    otherMeetingId = (await live.t.request('POST', '/api/meetings', { cookie: live.t.cookies.secretariat, body: body('Họp khác', sites.slice(3, 5), 3) })).body
      .id;
  });
  afterAll(async () => {
    for (const s of sockets) s.ws.terminate();
    await live?.close();
  });

  const commune = (i: number) => meeting.participants.filter((p) => p.role === 'participant')[i]!;

  it('lets a commune join with the join link from its invitation', async () => {
    const link = await live.joinLink(meeting.id, commune(0).siteId, new Date(meeting.endsAt));
    const socket = await open();
    const reply = await socket.request('join', { joinToken: link.split('/join/')[1] });
    expect(reply.ok).toBe(true);
    expect(reply.data).toMatchObject({ meetingId: meeting.id, siteId: commune(0).siteId, siteName: commune(0).name, role: 'participant' });
  });

  it('refuses unknown, tampered, expired and other-meeting links with typed errors', async () => {
    const link = await live.joinLink(meeting.id, commune(1).siteId, new Date(meeting.endsAt));
    const token = link.split('/join/')[1]!;
    const socket = await open();
    const tampered = await socket.request('join', { joinToken: `${token.slice(0, -2)}${token.endsWith('AA') ? 'BB' : 'AA'}` });
    expect(tampered.ok).toBe(false);
    expect(tampered.error!.code).toBe('unauthorized');
    const otherMeeting = await socket.request('join', { joinToken: token, meetingId: otherMeetingId });
    expect(otherMeeting.error!.code).toBe('forbidden');
    const expired = (await live.joinLink(meeting.id, commune(1).siteId, new Date(Date.now() - 1000))).split('/join/')[1];
    const expiredReply = await socket.request('join', { joinToken: expired });
    expect(expiredReply.error).toMatchObject({ code: 'unauthorized', message: expect.stringMatching(/expired/) });
    // After the refusals the same socket can still join with the right link.
    expect((await socket.request('join', { joinToken: token })).ok).toBe(true);
  });

  it('lets a signed-in secretariat join as the host site, and refuses a leader', async () => {
    const host = await open({ cookie: live.t.cookies.secretariat });
    const reply = await host.request('join', { meetingId: meeting.id });
    expect(reply.ok).toBe(true);
    expect(reply.data.role).toBe('host');
    expect(reply.data.siteId).toBe(meeting.participants.find((p) => p.role === 'host')!.siteId);

    const leader = await open({ cookie: live.t.cookies.leader });
    expect((await leader.request('join', { meetingId: meeting.id })).error!.code).toBe('forbidden');
    const nobody = await open();
    expect((await nobody.request('join', { meetingId: meeting.id })).error!.code).toBe('unauthorized');
  });

  it('refuses a WebSocket from another origin', async () => {
    const ws = new WebSocket(`${live.url.replace(/^http/, 'ws')}/ws`, { headers: { origin: 'https://evil.example' } });
    const status = await new Promise<number | undefined>((resolve) =>
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode)).on('open', () => resolve(undefined)),
    );
    expect(status).toBe(403);
  });

  it('sends a site placed on another live node there, and admits it once placed here or once that node is dead', async () => {
    const db = live.t.database.db;
    const here = live.t.ctx.config.sfu.node.id;
    const siteId = commune(2).siteId;
    const hostSiteId = meeting.participants.find((p) => p.role === 'host')!.siteId;
    const token = (await live.joinLink(meeting.id, siteId, new Date(meeting.endsAt))).split('/join/')[1]!;
    await registerNode(db, { id: 'mien-nam', signalingUrl: 'ws://mien-nam.test:3000/ws', mediaAddress: '127.0.0.1', capacity: 100 }, new Date());
    const placeOn = (site: string, nodeId: string) =>
      db
        .insert(sitePlacements)
        .values({ meetingId: meeting.id, siteId: site, nodeId, at: new Date() })
        .onConflictDoUpdate({ target: [sitePlacements.meetingId, sitePlacements.siteId], set: { nodeId } });
    try {
      await placeOn(siteId, 'mien-nam');
      const refused = await (await open()).request('join', { joinToken: token });
      expect(refused.error).toMatchObject({ code: 'wrong-node', message: expect.stringContaining('ws://mien-nam.test:3000/ws') });
      // The console likewise: it joins where the host hall is placed (the meeting's origin).
      await placeOn(hostSiteId, 'mien-nam');
      const hostJoin = await (await open({ cookie: live.t.cookies.secretariat })).request('join', { meetingId: meeting.id });
      expect(hostJoin.error?.code).toBe('wrong-node');

      await placeOn(siteId, here);
      expect((await (await open()).request('join', { joinToken: token })).ok).toBe(true);
      // A placement on a node that stopped answering holds nobody back.
      await placeOn(siteId, 'mien-nam');
      await db
        .update(sfuNodes)
        .set({ heartbeatAt: new Date(Date.now() - 10 * live.t.ctx.config.sfu.node.deadAfterMs) })
        .where(eq(sfuNodes.id, 'mien-nam'));
      expect((await (await open()).request('join', { joinToken: token })).ok).toBe(true);
    } finally {
      await db.delete(sitePlacements).where(eq(sitePlacements.meetingId, meeting.id));
      await db.delete(sfuNodes).where(eq(sfuNodes.id, 'mien-nam'));
    }
  });

  it('disconnects a site within 2 s when the secretariat removes it from the meeting', async () => {
    const site = commune(2);
    const link = await live.joinLink(meeting.id, site.siteId, new Date(meeting.endsAt));
    const socket = await open();
    expect((await socket.request('join', { joinToken: link.split('/join/')[1] })).ok).toBe(true);
    const removed = await live.t.request('PATCH', `/api/meetings/${meeting.id}`, {
      cookie: live.t.cookies.secretariat,
      body: { removeSiteIds: [site.siteId] },
    });
    expect(removed.status).toBe(200);
    const closed = await closedWithin(socket, 2000);
    expect(closed).toEqual({ code: CloseCode.kicked });
    // Its link no longer opens anything.
    const again = await open();
    expect((await again.request('join', { joinToken: link.split('/join/')[1] })).error!.code).toBe('unauthorized');
  });

  it("keeps the earliest join and end as the meeting's actual start and end, whatever order they are stored in", async () => {
    // Ending a meeting stamps each site's leave in turn; the writer may store a later one first.
    const [host, first, second] = [meeting.participants.find((p) => p.role === 'host')!, commune(0), commune(1)].map((p) =>
      siteEvents(otherMeetingId, p.siteId),
    );
    const at = (seconds: number) => new Date(Date.parse('2026-12-01T08:00:00+07:00') + seconds * 1000);
    const stored = async () =>
      (await live.t.ctx.db.select({ startedAt: meetings.startedAt, endedAt: meetings.endedAt }).from(meetings).where(eq(meetings.id, otherMeetingId)))[0];
    for (const event of [second!.join('c2', at(5)), first!.join('c1', at(2)), second!.join('c2', at(5))]) await noteMeetingStartOrEnd(live.t.ctx, event);
    for (const event of [
      first!.leave('c1', at(60.04), 'meeting-ended'),
      host!.leave('h', at(60), 'meeting-ended'),
      second!.leave('c2', at(60.05), 'meeting-ended'),
    ]) {
      await noteMeetingStartOrEnd(live.t.ctx, event);
    }
    // A leave of another cause is not an end.
    await noteMeetingStartOrEnd(live.t.ctx, first!.leave('c0', at(30), 'left'));
    expect(await stored()).toEqual({ startedAt: at(2), endedAt: at(60) });
  });
});
