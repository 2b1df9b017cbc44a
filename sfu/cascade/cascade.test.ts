/**
 * The cascade through its public surface: three SFU nodes (an origin and two edges), each with
 * its own mediasoup worker, HTTP server and signaling endpoint, linked over real cascade
 * sockets and real PipeTransports (SRTP, RTX) on loopback. Sites are WebSocket clients speaking
 * the browser protocol. The origin of the meeting is what `originOf` answers (in the app: the
 * host's placement in the database).
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSfu, type Sfu } from '../index.ts';
import type { OriginCascade } from './origin.ts';
import { signedHeaders } from './channel.ts';
import {
  MemoryAttendanceSink,
  TestClient,
  TokenTableAuthenticator,
  eventually,
  listen,
  opusParameters,
  silentLog,
  testConfig,
  vp8SimulcastParameters,
} from '../test-fixtures.ts';

const SECRET = 'cascade-test-secret-0123456789abcdef';
const auth = new TokenTableAuthenticator();
/** meetingId → the origin's node id */
const origins = new Map<string, string>();

interface Node {
  id: string;
  sfu: Sfu;
  server: http.Server;
  url: string;
  cascadeUrl: string;
  attendance: MemoryAttendanceSink;
}
const nodes = new Map<string, Node>();
const clients: TestClient[] = [];

async function startNode(id: string, portBase: number, secret: string | null = SECRET): Promise<Node> {
  const attendance = new MemoryAttendanceSink();
  const sfu = await createSfu({
    config: testConfig(portBase, {
      SFU_WORKERS: '1',
      SFU_RTC_MIN_PORT: String(portBase + 400),
      SFU_RTC_MAX_PORT: String(portBase + 499),
      SFU_NODE_ID: id,
      SFU_CASCADE_POLL_MS: '200',
      ...(secret ? { SFU_CASCADE_SECRET: secret } : {}),
    }),
    authenticator: auth,
    attendanceSink: attendance,
    logger: silentLog,
    originOf: async (meetingId) => {
      const originId = origins.get(meetingId);
      const origin = originId ? nodes.get(originId) : undefined;
      return origin && { nodeId: origin.id, url: origin.cascadeUrl };
    },
  });
  const server = http.createServer((_req, res) => res.writeHead(404).end());
  sfu.attach(server);
  const url = await listen(server);
  const node = { id, sfu, server, url, cascadeUrl: url.replace(/\/ws$/, '/cascade'), attendance };
  nodes.set(id, node);
  return node;
}

async function stopNode(node: Node): Promise<void> {
  nodes.delete(node.id);
  await node.sfu.close();
  node.server.closeAllConnections();
  await new Promise((r) => node.server.close(r));
}

beforeAll(async () => {
  await startNode('origin', 25000);
  await startNode('edge-a', 25100);
  await startNode('edge-b', 25200);
});
afterAll(async () => {
  for (const c of clients) c.ws.terminate();
  for (const node of [...nodes.values()]) await stopNode(node);
});

const node = (id: string) => nodes.get(id)!;

async function connect(on: Node, cookie?: string): Promise<TestClient> {
  const c = await TestClient.connect(on.url, cookie ? { headers: { cookie } } : {});
  clients.push(c);
  return c;
}

let ssrc = 5000;
async function publish(c: TestClient, joined: { routerRtpCapabilities: unknown }) {
  const send = await c.ok('createTransport', { direction: 'send' });
  await c.ok('createTransport', { direction: 'recv' });
  await c.ok('setRtpCapabilities', { rtpCapabilities: joined.routerRtpCapabilities as never });
  const mic = await c.ok('produce', { transportId: send.transportId, kind: 'audio', source: 'microphone', rtpParameters: opusParameters((ssrc += 10)) });
  const camera = await c.ok('produce', { transportId: send.transportId, kind: 'video', source: 'camera', rtpParameters: vp8SimulcastParameters((ssrc += 10)) });
  return { micId: mic.producerId as string, cameraId: camera.producerId as string };
}

async function joinHost(meetingId: string, on: Node) {
  const { cookie, siteId } = auth.issueHostSession(meetingId, 'Hội trường Chính phủ');
  const c = await connect(on, cookie);
  const joined = await c.ok('join', { meetingId });
  return { c, siteId, ...(await publish(c, joined)) };
}

async function joinSite(meetingId: string, on: Node, name: string) {
  const { token, siteId } = auth.issueJoinToken(meetingId, name);
  const c = await connect(on);
  const joined = await c.ok('join', { joinToken: token });
  return { c, siteId, ...(await publish(c, joined)) };
}

const originCascade = (meetingId: string) => node('origin').sfu.signaling.room(meetingId)?.cascade as OriginCascade | undefined;
const consumesFrom = (c: TestClient, siteId: string, source: string) =>
  c.notes.some((n) => n.type === 'newConsumer' && n.data.siteId === siteId && n.data.source === source);

describe('a meeting across three nodes', () => {
  const meetingId = randomUUID();
  let host: Awaited<ReturnType<typeof joinHost>>;
  let a1: Awaited<ReturnType<typeof joinSite>>;
  let a2: Awaited<ReturnType<typeof joinSite>>;
  let b1: Awaited<ReturnType<typeof joinSite>>;
  let b2: Awaited<ReturnType<typeof joinSite>>;

  beforeAll(async () => {
    origins.set(meetingId, 'origin');
    host = await joinHost(meetingId, node('origin'));
    a1 = await joinSite(meetingId, node('edge-a'), 'Xã An Bình');
    a2 = await joinSite(meetingId, node('edge-a'), 'Xã An Phú');
    b1 = await joinSite(meetingId, node('edge-b'), 'Xã Bình Minh');
    b2 = await joinSite(meetingId, node('edge-b'), 'Xã Bình Yên');
  });

  it('every commune on an edge receives the host, and each edge gets the host streams once, whatever its number of sites', async () => {
    for (const site of [a1, a2, b1, b2]) {
      await eventually(() => consumesFrom(site.c, host.siteId, 'camera') && consumesFrom(site.c, host.siteId, 'microphone'));
    }
    await eventually(() => originCascade(meetingId)?.sentTo('edge-a').length === 2 && originCascade(meetingId)?.sentTo('edge-b').length === 2);
    expect(new Set(originCascade(meetingId)!.sentTo('edge-a'))).toEqual(new Set([host.micId, host.cameraId]));
    // a third site on edge A: nothing more crosses
    const a3 = await joinSite(meetingId, node('edge-a'), 'Xã An Lạc');
    await eventually(() => consumesFrom(a3.c, host.siteId, 'camera'));
    expect(originCascade(meetingId)!.sentTo('edge-a')).toHaveLength(2);
    // the pipe is encrypted and resends what it loses
    const pipe = originCascade(meetingId)!.pipeTo('edge-a')!;
    const dump = (await pipe.transport.dump()) as unknown as { rtx: boolean; srtpParameters?: { cryptoSuite: string } };
    expect(dump.rtx).toBe(true);
    expect(dump.srtpParameters?.cryptoSuite).toMatch(/AES/);
    a3.c.close();
  });

  it('the host sees the sites of every node, as online, and hears when one leaves', async () => {
    for (const site of [a1, a2, b1, b2]) {
      await host.c.note('siteState', (n) => n.data.siteId === site.siteId && n.data.online);
    }
    const room = node('origin').sfu.signaling.room(meetingId)!;
    // remote sites are the edges' load, not the origin's
    expect(room.size).toBe(1);
  });

  it('the floor given to a commune on edge A reaches a commune on edge B (its microphone opens on A)', async () => {
    await host.c.ok('giveFloor', { siteId: a1.siteId });
    await eventually(() => consumesFrom(b1.c, a1.siteId, 'microphone') && consumesFrom(b1.c, a1.siteId, 'camera'));
    await eventually(() => consumesFrom(host.c, a1.siteId, 'microphone'));
    // the holder's real microphone, on edge A, is open
    const holder = node('edge-a').sfu.signaling.room(meetingId)!.peerBySite(a1.siteId)!;
    await eventually(() => holder.producerOf('microphone')?.paused === false);
    await a1.c.note('floorChanged', (n) => n.data.siteId === a1.siteId);
    await b2.c.note('floorChanged', (n) => n.data.siteId === a1.siteId);
    // edge B gets the host's two streams and the holder's two; edge A, where the holder is, only the host's
    await eventually(() => originCascade(meetingId)!.sentTo('edge-b').length === 4);
    expect(originCascade(meetingId)!.sentTo('edge-a')).toHaveLength(2);

    await host.c.ok('revokeFloor', {});
    await eventually(() => holder.producerOf('microphone')?.paused === true);
    await eventually(() => originCascade(meetingId)!.sentTo('edge-b').length === 2);
  });

  it('a site spotlighted on edge B is seen on edge A, and no longer once the spotlight goes', async () => {
    await host.c.ok('spotlight', { siteId: b1.siteId });
    await a2.c.note('spotlightChanged', (n) => n.data.siteId === b1.siteId);
    await eventually(() => consumesFrom(a2.c, b1.siteId, 'camera'));
    const consumer = a2.c.notes.find((n) => n.type === 'newConsumer' && n.data.siteId === b1.siteId && n.data.source === 'camera');
    await host.c.ok('spotlight', { siteId: null });
    await a2.c.note('consumerClosed', (n) => consumer?.type === 'newConsumer' && n.data.consumerId === consumer.data.consumerId);
  });

  it('a hand raised on edge B joins the origin’s queue, which every node shows', async () => {
    await b2.c.ok('raiseHand', {});
    await host.c.note('handQueue', (n) => n.data.siteIds.includes(b2.siteId));
    await a2.c.note('handQueue', (n) => n.data.siteIds.includes(b2.siteId));
    await b2.c.note('siteState', (n) => n.data.siteId === b2.siteId && n.data.handRaised);
    await b2.c.ok('lowerHand', {});
    await host.c.note(
      'handQueue',
      (n) => !n.data.siteIds.includes(b2.siteId) && host.c.notes.some((m) => m.type === 'handQueue' && m.data.siteIds.includes(b2.siteId)),
    );
  });

  it('the host mutes and removes a commune on another node', async () => {
    await host.c.ok('giveFloor', { siteId: b1.siteId });
    const peer = node('edge-b').sfu.signaling.room(meetingId)!.peerBySite(b1.siteId)!;
    await eventually(() => peer.producerOf('microphone')?.paused === false);
    await host.c.ok('muteSite', { siteId: b1.siteId });
    await eventually(() => peer.producerOf('microphone')?.paused === true);

    await host.c.ok('kick', { siteId: b2.siteId });
    await b2.c.note('kicked');
    expect((await b2.c.closed).code).toBeGreaterThanOrEqual(4000);
    await host.c.note('siteState', (n) => n.data.siteId === b2.siteId && !n.data.online);
    // gone from its own node's room, and the origin records nothing for a site that is not its own
    expect(node('edge-b').sfu.signaling.room(meetingId)!.peerBySite(b2.siteId)).toBeUndefined();
    expect(node('origin').attendance.events.some((e) => e.siteId === b2.siteId)).toBe(false);
  });

  it('the host ends the meeting on every node', async () => {
    await host.c.ok('endMeeting', {});
    for (const site of [a1, a2, b1]) await site.c.note('meetingEnded');
    await eventually(() => !node('edge-a').sfu.signaling.room(meetingId) && !node('edge-b').sfu.signaling.room(meetingId));
  });
});

describe('the floor to a commune whose media the origin does not have yet', () => {
  it('reaches the other edge once its media arrive at the origin', async () => {
    // The host's grid shows one site, so the speaker's media is not piped to the origin until
    // the floor makes the origin want it; what arrives then must go on to edge B.
    const meetingId = randomUUID();
    origins.set(meetingId, 'origin');
    const host = await joinHost(meetingId, node('origin'));
    await host.c.ok('setPage', { page: 0, pageSize: 1 });
    const shown = await joinSite(meetingId, node('edge-a'), 'Xã An Khánh');
    const speaker = await joinSite(meetingId, node('edge-a'), 'Xã Vĩnh Thạnh');
    const listener = await joinSite(meetingId, node('edge-b'), 'Xã Bình Thạnh');
    await eventually(() => consumesFrom(host.c, shown.siteId, 'camera'));
    await eventually(() => consumesFrom(listener.c, host.siteId, 'microphone'));
    expect(consumesFrom(host.c, speaker.siteId, 'camera')).toBe(false);

    await host.c.ok('giveFloor', { siteId: speaker.siteId });
    await eventually(() => consumesFrom(listener.c, speaker.siteId, 'microphone') && consumesFrom(listener.c, speaker.siteId, 'camera'));
    expect(new Set(originCascade(meetingId)!.sentTo('edge-b'))).toEqual(new Set([host.micId, host.cameraId, speaker.micId, speaker.cameraId]));
    await host.c.ok('endMeeting', {});
  });
});

describe('an edge node that goes away', () => {
  it('takes its sites off the host’s list; the other edge keeps the host', async () => {
    const meetingId = randomUUID();
    origins.set(meetingId, 'origin');
    const extra = await startNode('edge-c', 25300);
    const host = await joinHost(meetingId, node('origin'));
    const c1 = await joinSite(meetingId, extra, 'Xã Cẩm Lệ');
    const a1 = await joinSite(meetingId, node('edge-a'), 'Xã An Hòa');
    await host.c.note('siteState', (n) => n.data.siteId === c1.siteId && n.data.online);
    await eventually(() => consumesFrom(a1.c, host.siteId, 'camera'));
    await stopNode(extra);
    await host.c.note('siteState', (n) => n.data.siteId === c1.siteId && !n.data.online);
    expect(originCascade(meetingId)!.edges).toEqual(['edge-a']);
    expect(a1.c.notes.some((n) => n.type === 'consumerClosed')).toBe(false);
  });
});

describe('the cascade socket admits only nodes of ours', () => {
  const upgrade = (url: string, headers: Record<string, string>) =>
    new Promise<number>((resolve) => {
      const ws = new WebSocket(url, { headers });
      ws.once('open', () => {
        resolve(101);
        ws.close();
      });
      ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.once('error', () => resolve(-1));
    });

  it('refuses a wrong secret, no signature, a stale time, a replay, and any node when it has no secret', async () => {
    const origin = node('origin');
    expect(await upgrade(origin.cascadeUrl, {})).toBe(403);
    expect(await upgrade(origin.cascadeUrl, signedHeaders('another-secret-0123456789abcdefgh', 'edge-x'))).toBe(403);
    expect(await upgrade(origin.cascadeUrl, signedHeaders(SECRET, 'edge-x', Date.now() - 120_000))).toBe(403);
    const once = signedHeaders(SECRET, 'edge-x');
    expect(await upgrade(origin.cascadeUrl, once)).toBe(101);
    expect(await upgrade(origin.cascadeUrl, once)).toBe(403);

    const lone = await startNode('lone', 25400, null);
    expect(await upgrade(lone.cascadeUrl, signedHeaders(SECRET, 'edge-x'))).toBe(403);
    await stopNode(lone);
  });

  it('closes a signed socket that sends anything but a link request, and survives it', async () => {
    const origin = node('origin');
    const ws = new WebSocket(origin.cascadeUrl, { headers: signedHeaders(SECRET, 'edge-y') });
    await new Promise((r) => ws.once('open', r));
    ws.send(JSON.stringify({ type: 'produce', data: { nonsense: true } }));
    const code = await new Promise<number>((resolve) => ws.once('close', (c) => resolve(c)));
    expect(code).toBe(4400);
    // still serving
    const meetingId = randomUUID();
    origins.set(meetingId, 'origin');
    const host = await joinHost(meetingId, origin);
    expect(host.micId).toBeTruthy();
  });
});
