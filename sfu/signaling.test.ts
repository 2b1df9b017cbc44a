/**
 * The signaling endpoint through its public surface: a real HTTP server, real WebSockets,
 * real mediasoup workers, an authenticator with real token rules.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AttendanceReporter } from './attendance-reporter.ts';
import { createSfu, type Sfu } from './index.ts';
import { CloseCode } from './protocol.ts';
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
} from './test-fixtures.ts';
import type { WorkerSlot } from './worker-pool.ts';

const auth = new TokenTableAuthenticator();
const attendanceSink = new MemoryAttendanceSink();
let sfu: Sfu;
let server: http.Server;
let url: string;
const clients: TestClient[] = [];

beforeAll(async () => {
  sfu = await createSfu({
    config: testConfig(20200, { SFU_HEARTBEAT_INTERVAL_MS: '300', SFU_QUALITY_INTERVAL_MS: '500' }),
    authenticator: auth,
    attendanceSink,
    logger: silentLog,
  });
  server = http.createServer((_req, res) => res.writeHead(404).end());
  sfu.attach(server);
  url = await listen(server);
});
afterAll(async () => {
  for (const c of clients) c.ws.terminate();
  await sfu.close();
  await new Promise((r) => server.close(r));
});

async function connect(opts: { cookie?: string; query?: string } = {}) {
  const c = await TestClient.connect(url + (opts.query ?? ''), opts.cookie ? { headers: { cookie: opts.cookie } } : {});
  clients.push(c);
  return c;
}

/** A host that publishes camera and microphone (no ICE/DTLS needed for the server to accept it). */
async function joinHost(meetingId: string) {
  const { cookie, siteId } = auth.issueHostSession(meetingId);
  const c = await connect({ cookie });
  const joined = await c.ok('join', { meetingId });
  const send = await c.ok('createTransport', { direction: 'send' });
  await c.ok('createTransport', { direction: 'recv' });
  await c.ok('setRtpCapabilities', { rtpCapabilities: joined.routerRtpCapabilities });
  const ssrc = Math.floor(Math.random() * 1e6);
  await c.ok('produce', { transportId: send.transportId, kind: 'audio', source: 'microphone', rtpParameters: opusParameters(ssrc) });
  await c.ok('produce', { transportId: send.transportId, kind: 'video', source: 'camera', rtpParameters: vp8SimulcastParameters(ssrc + 10) });
  return { c, siteId, joined };
}

async function joinSite(meetingId: string, name: string, publish = true) {
  const { token, siteId } = auth.issueJoinToken(meetingId, name);
  const c = await connect();
  const joined = await c.ok('join', { joinToken: token });
  await c.ok('createTransport', { direction: 'recv' });
  await c.ok('setRtpCapabilities', { rtpCapabilities: joined.routerRtpCapabilities });
  let micId: string | undefined;
  let sendId: string | undefined;
  if (publish) {
    const send = await c.ok('createTransport', { direction: 'send' });
    sendId = send.transportId;
    const ssrc = Math.floor(Math.random() * 1e6);
    const mic = await c.ok('produce', { transportId: send.transportId, kind: 'audio', source: 'microphone', rtpParameters: opusParameters(ssrc) });
    expect(mic.paused).toBe(true); // muted until given the floor
    micId = mic.producerId;
    await c.ok('produce', { transportId: send.transportId, kind: 'video', source: 'camera', rtpParameters: vp8SimulcastParameters(ssrc + 10) });
  }
  return { c, siteId, token, micId: micId!, sendId: sendId! };
}

describe('signaling: frames', () => {
  it('answers malformed frames with typed errors and keeps serving', async () => {
    const c = await connect();
    expect(await c.raw('{nope')).toMatchObject({ id: null, ok: false, error: { code: 'bad-request' } });
    expect(await c.raw(JSON.stringify({ id: 7, type: 'fly', data: {} }))).toMatchObject({ id: 7, ok: false, error: { code: 'bad-request' } });
    expect(await c.raw(JSON.stringify({ id: 8, type: 'giveFloor', data: { siteId: 42 } }))).toMatchObject({ id: 8, ok: false, error: { code: 'bad-request' } });
    expect(await c.raw(Buffer.from([1, 2, 3]), true)).toMatchObject({ id: null, ok: false, error: { code: 'bad-request' } });
    expect(await c.raw('null')).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    expect(await c.request('createTransport', { direction: 'send' })).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
    expect(await c.request('ping', {})).toMatchObject({ ok: true });
    // the same socket can still join
    const meetingId = randomUUID();
    const { token } = auth.issueJoinToken(meetingId, 'Xã Sau Lỗi');
    expect(await c.request('join', { joinToken: token })).toMatchObject({ ok: true, data: { meetingId } });
  });

  it('refuses wrong, expired and other-meeting credentials with typed errors', async () => {
    const meetingId = randomUUID();
    const c = await connect();
    expect(await c.request('join', { joinToken: 'made-up' })).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
    const expired = auth.issueJoinToken(meetingId, 'Xã Hết Hạn', -1000);
    expect(await c.request('join', { joinToken: expired.token })).toMatchObject({ ok: false, error: { code: 'unauthorized', message: 'join token expired' } });
    const other = auth.issueJoinToken(randomUUID(), 'Xã Khác');
    expect(await c.request('join', { joinToken: other.token, meetingId })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    // a host cookie for another meeting
    const host = auth.issueHostSession(randomUUID());
    const h = await connect({ cookie: host.cookie });
    expect(await h.request('join', { meetingId })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(await (await connect()).request('join', { meetingId })).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
  });

  it('closes a socket after repeated failed joins', async () => {
    const c = await connect();
    for (let i = 0; i < 5; i++) await c.request('join', { joinToken: `guess-${i}` });
    expect((await c.closed).code).toBe(CloseCode.unauthorized);
  });

  it('keeps host controls from sites', async () => {
    const meetingId = randomUUID();
    await joinHost(meetingId);
    const a = await joinSite(meetingId, 'Xã A');
    expect(await a.c.request('endMeeting', {})).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(await a.c.request('giveFloor', { siteId: a.siteId })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(await a.c.request('setProducerPaused', { producerId: a.micId, paused: false })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(await a.c.request('resumeConsumer', { consumerId: 'nope' })).toMatchObject({ ok: false, error: { code: 'not-found' } });
    expect(await a.c.request('join', {})).toMatchObject({ ok: false, error: { code: 'invalid-state' } });
  });
});

describe('signaling: a meeting', () => {
  it('delivers the host to sites as paused consumers, and the floor holder once given the floor', async () => {
    const meetingId = randomUUID();
    const host = await joinHost(meetingId);
    const a = await joinSite(meetingId, 'Xã A');
    const b = await joinSite(meetingId, 'Xã B');

    const fromHost = await a.c.note('newConsumer', (n) => n.data.siteId === host.siteId && n.data.kind === 'video');
    expect(fromHost.data.source).toBe('camera');
    expect(await a.c.request('resumeConsumer', { consumerId: fromHost.data.consumerId })).toMatchObject({ ok: true });
    await host.c.note('siteState', (n) => n.data.siteId === b.siteId && n.data.online);

    expect(await b.c.ok('raiseHand', {})).toEqual({ position: 1 });
    expect(await a.c.ok('raiseHand', {})).toEqual({ position: 2 });
    await host.c.note('handQueue', (n) => n.data.siteIds.length === 2 && n.data.siteIds[0] === b.siteId);

    await host.c.ok('giveFloor', { siteId: b.siteId });
    await a.c.note('floorChanged', (n) => n.data.siteId === b.siteId);
    await a.c.note('newConsumer', (n) => n.data.siteId === b.siteId && n.data.source === 'microphone');
    await b.c.note('siteState', (n) => n.data.siteId === b.siteId && n.data.hasFloor && !n.data.micMuted);
    await eventually(() => attendanceSink.events.some((e) => e.kind === 'floor-given' && e.siteId === b.siteId));

    await host.c.ok('muteSite', { siteId: b.siteId });
    await b.c.note('siteState', (n) => n.data.siteId === b.siteId && n.data.hasFloor && n.data.micMuted);
    await host.c.ok('revokeFloor', {});
    await a.c.note('floorChanged', (n) => n.data.siteId === null);
    await eventually(() => attendanceSink.events.some((e) => e.kind === 'floor-taken' && e.siteId === b.siteId));

    await host.c.ok('kick', { siteId: a.siteId });
    await a.c.note('kicked', (n) => n.data.reason === 'host');
    expect((await a.c.closed).code).toBe(CloseCode.kicked);

    await host.c.ok('endMeeting', {});
    await b.c.note('meetingEnded');
    expect((await b.c.closed).code).toBe(CloseCode.meetingEnded);
    expect((await host.c.closed).code).toBe(CloseCode.meetingEnded);
    await eventually(() => sfu.signaling.room(meetingId) === undefined);
  });

  it('lets a site on a weak line go audio only and back: no video either way, sound kept, the host told', async () => {
    const meetingId = randomUUID();
    const host = await joinHost(meetingId);
    const a = await joinSite(meetingId, 'Xã Đường Yếu');
    const b = await joinSite(meetingId, 'Xã Bên Cạnh');
    const isHostVideo = (n: { data: { siteId: string; kind: string } }) => n.data.siteId === host.siteId && n.data.kind === 'video';
    const hostVideoAtA = await a.c.note('newConsumer', isHostVideo);
    const hostMicAtA = await a.c.note('newConsumer', (n) => n.data.siteId === host.siteId && n.data.kind === 'audio');
    const hostVideoAtB = await b.c.note('newConsumer', isHostVideo);
    const aCameraAtHost = await host.c.note('newConsumer', (n) => n.data.siteId === a.siteId && n.data.kind === 'video');
    const lastStateAtHost = () => host.c.notes.filter((n) => n.type === 'siteState' && n.data.siteId === a.siteId).at(-1);
    expect(lastStateAtHost()).toMatchObject({ data: { online: true, audioOnly: false } });

    // Only sites have a line to spare: the host is refused.
    expect(await host.c.request('setAudioOnly', { audioOnly: true })).toMatchObject({ ok: false, error: { code: 'invalid-state' } });

    await a.c.ok('setAudioOnly', { audioOnly: true });
    // A receives no video (the host's camera consumer closes), the host no longer gets A's camera.
    await a.c.note('consumerClosed', (n) => n.data.consumerId === hostVideoAtA.data.consumerId);
    await host.c.note('consumerClosed', (n) => n.data.consumerId === aCameraAtHost.data.consumerId);
    await host.c.note('siteState', (n) => n.data.siteId === a.siteId && n.data.audioOnly);
    await a.c.note('siteState', (n) => n.data.siteId === a.siteId && n.data.audioOnly);
    await sfu.signaling.room(meetingId)!.settled();
    // Sound stays; B is untouched; a new camera from A is refused while it is audio only.
    const closedAt = (c: TestClient) => c.notes.flatMap((n) => (n.type === 'consumerClosed' ? [n.data.consumerId] : []));
    expect(closedAt(a.c)).not.toContain(hostMicAtA.data.consumerId);
    expect(closedAt(b.c)).not.toContain(hostVideoAtB.data.consumerId);
    const camera = { transportId: a.sendId, kind: 'video', source: 'camera', rtpParameters: vp8SimulcastParameters(7777) } as const;
    expect(await a.c.request('produce', camera)).toMatchObject({ ok: false, error: { code: 'invalid-state' } });

    // And back: the host's camera returns to A, A's new camera reaches the host.
    await a.c.ok('setAudioOnly', { audioOnly: false });
    await a.c.note('newConsumer', (n) => isHostVideo(n) && n.data.consumerId !== hostVideoAtA.data.consumerId);
    await eventually(() => {
      const last = lastStateAtHost();
      return last?.type === 'siteState' && !last.data.audioOnly;
    });
    const produced = await a.c.ok('produce', camera);
    await host.c.note('newConsumer', (n) => n.data.producerId === produced.producerId);
  });

  it('refuses a second console until it confirms the take-over, but lets the same tab rejoin and a site reconnect without asking', async () => {
    const meetingId = randomUUID();
    const first = auth.issueHostSession(meetingId);
    const open = await connect({ cookie: first.cookie });
    await open.ok('join', { meetingId, clientId: 'tab-one-0000' });

    // Another machine signed in to the same hall: asked, and the open console stays.
    const other = await connect({ cookie: auth.issueHostSession(meetingId, 'Văn phòng UBND tỉnh', first.siteId).cookie });
    const refused = await other.request('join', { meetingId, clientId: 'tab-two-0000' });
    expect(refused.ok ? null : refused.error.code).toBe('console-open');
    const refusedWithoutId = await other.request('join', { meetingId });
    expect(refusedWithoutId.ok ? null : refusedWithoutId.error.code).toBe('console-open');
    expect((await open.request('ping', {})).ok).toBe(true);
    expect(open.notes.filter((n) => n.type === 'kicked')).toEqual([]);

    // The same tab rejoining on a new socket (its old one not yet noticed as dead) is not asked.
    const again = await connect({ cookie: first.cookie });
    await again.ok('join', { meetingId, clientId: 'tab-one-0000' });
    await open.note('kicked', (n) => n.data.reason === 'replaced');

    // Confirmed: the take-over replaces the open console.
    await other.ok('join', { meetingId, clientId: 'tab-two-0000', takeOver: true });
    await again.note('kicked', (n) => n.data.reason === 'replaced');
    await again.closed; // the replaced socket is closed, not left open

    // A commune reopening its page simply replaces its earlier connection.
    const site = await joinSite(meetingId, 'Xã Mở Lại', false);
    const reopened = await connect();
    await reopened.ok('join', { joinToken: site.token });
    await site.c.note('kicked', (n) => n.data.reason === 'replaced');
  });

  it('disconnects a revoked site within 2 seconds', async () => {
    const meetingId = randomUUID();
    await joinHost(meetingId);
    const a = await joinSite(meetingId, 'Xã Bị Thu Hồi', false);
    auth.revoke(a.token);
    const t0 = Date.now();
    expect(sfu.revokeSite(meetingId, a.siteId)).toBe(1);
    await a.c.note('kicked', (n) => n.data.reason === 'revoked');
    expect((await a.c.closed).code).toBe(CloseCode.kicked);
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it('drops a socket that stops answering the heartbeat', async () => {
    const meetingId = randomUUID();
    const { token } = auth.issueJoinToken(meetingId, 'Xã Mất Sóng');
    const c = await TestClient.connect(url, { autoPong: false });
    clients.push(c);
    await c.ok('join', { joinToken: token });
    const { code } = await c.closed;
    expect(code).toBe(1006); // terminated without a close frame
    await eventually(() => sfu.signaling.room(meetingId) === undefined);
  });

  it('sends the sites of a killed worker a rejoin, replaces the worker, and lets them back in', async () => {
    const meetingId = randomUUID();
    const host = await joinHost(meetingId);
    const a = await joinSite(meetingId, 'Xã A');
    const room = sfu.signaling.room(meetingId)!;
    const routerId = room.routers[0]!.id;
    let victim: WorkerSlot | undefined;
    for (const slot of sfu.pool.slots()) {
      if (((await slot.worker.dump()) as { routerIds: string[] }).routerIds.includes(routerId)) victim = slot;
    }
    const oldPid = victim!.worker.pid;
    process.kill(oldPid, 'SIGKILL');

    await a.c.note('rejoin', (n) => n.data.reason === 'server-failure');
    await host.c.note('rejoin');
    expect((await a.c.closed).code).toBe(CloseCode.serviceRestart);
    await sfu.pool.ready();
    expect(sfu.pool.slots().length).toBe(2);
    expect(sfu.pool.slots().map((s) => s.worker.pid)).not.toContain(oldPid);

    // the sites reconnect and join again
    await joinHost(meetingId);
    const again = await joinSite(meetingId, 'Xã A lại');
    await again.c.note('newConsumer', (n) => n.data.source === 'camera');
  });
});

describe('attendance', () => {
  const ref = { connectionId: randomUUID(), meetingId: randomUUID(), siteId: randomUUID() };

  it('reports join, quality and leave once per connection, with ids derived from the fact', async () => {
    const mem = new MemoryAttendanceSink();
    const rep = new AttendanceReporter(mem, silentLog);
    rep.left(ref.connectionId, 'left'); // never joined: nothing to close
    rep.joined(ref);
    rep.joined(ref);
    rep.quality(ref.connectionId, { bitrateKbps: 812.345, lossPercent: 1.5, rttMs: 40, jitterMs: 3 });
    rep.left(ref.connectionId, 'network');
    rep.left(ref.connectionId, 'left');
    await rep.flush();
    expect(mem.events.map((e) => [e.kind, e.eventId])).toEqual([
      ['join', `j:${ref.connectionId}`],
      ['quality', `q:${ref.connectionId}:1`],
      ['leave', `l:${ref.connectionId}`],
    ]);
    expect(mem.events[2]).toMatchObject({ cause: 'network' });
    for (const e of mem.events) expect(e.eventId.length).toBeLessThanOrEqual(100);
  });

  it('retries a failed record with the same event id', async () => {
    const mem = new MemoryAttendanceSink();
    mem.failNext = 2;
    const rep = new AttendanceReporter(mem, silentLog);
    rep.joined({ ...ref, connectionId: randomUUID() });
    await rep.flush();
    expect(mem.events.length).toBe(1);
    expect(mem.failNext).toBe(0);
  });
});

describe('shutdown', () => {
  it('tells every socket and closes them, and close() is idempotent', async () => {
    const own = await createSfu({ config: testConfig(20250), authenticator: auth, attendanceSink: new MemoryAttendanceSink(), logger: silentLog });
    const srv = http.createServer();
    own.attach(srv);
    const u = await listen(srv);
    const meetingId = randomUUID();
    const { token } = auth.issueJoinToken(meetingId, 'Xã Cuối');
    const c = await TestClient.connect(u);
    await c.ok('join', { joinToken: token });
    await Promise.all([own.close(), own.close()]);
    await c.note('shutdown');
    expect((await c.closed).code).toBe(CloseCode.serviceRestart);
    expect(own.pool.closed).toBe(true);
    await new Promise((r) => srv.close(r));
  });
});

describe('signaling: limits', () => {
  // Small limits so the tests reach them quickly; the defaults are in sfu/config.ts.
  const limited = {
    SFU_WORKERS: '1',
    SFU_WS_MAX_CONNECTIONS_PER_ADDRESS: '3',
    SFU_WS_MESSAGES_PER_SECOND: '20',
    SFU_WS_MESSAGE_BURST: '20',
    SFU_WS_QUEUE_LIMIT: '20',
    SFU_WS_JOIN_TIMEOUT_MS: '1500',
    SFU_HAND_CHANGES_PER_MINUTE: '20',
  };
  let own: Sfu;
  let srv: http.Server;
  let u: string;
  const mine: TestClient[] = [];
  beforeAll(async () => {
    own = await createSfu({ config: testConfig(20350, limited), authenticator: auth, attendanceSink: new MemoryAttendanceSink(), logger: silentLog });
    srv = http.createServer((_req, res) => res.writeHead(404).end());
    own.attach(srv);
    u = await listen(srv);
  });
  afterAll(async () => {
    for (const c of mine) c.ws.terminate();
    await own.close();
    await new Promise((r) => srv.close(r));
  });
  const open = async () => {
    const c = await TestClient.connect(u);
    mine.push(c);
    return c;
  };
  /** The HTTP status of a refused upgrade (or 101). */
  const upgradeStatus = (url: string) =>
    new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(url);
      ws.on('unexpected-response', (_req, res) => {
        resolve(res.statusCode ?? 0);
        ws.terminate();
      });
      ws.on('open', () => {
        resolve(101);
        ws.terminate();
      });
      ws.on('error', (err) => (err.message.includes('Unexpected server response') ? undefined : reject(err)));
    });
  /** Raw bytes to the HTTP server: the answer's status and whether the server closed the socket. */
  const rawUpgrade = (target: string) =>
    new Promise<{ status: number; closed: boolean }>((resolve) => {
      const { port } = srv.address() as AddressInfo;
      const socket = net.connect(port, '127.0.0.1', () =>
        socket.write(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n`),
      );
      let text = '';
      const timer = setTimeout(() => finish(false), 3000);
      const finish = (closed: boolean) => {
        clearTimeout(timer);
        socket.destroy();
        resolve({ status: Number(/^HTTP\/1\.1 (\d+)/.exec(text)?.[1] ?? 0), closed });
      };
      socket.on('data', (d) => (text += d.toString()));
      socket.on('end', () => finish(true));
      socket.on('error', () => finish(true));
    });

  // First: no other socket of this server may hold a place yet.
  it('caps WebSockets per client address, and frees a place when one closes', async () => {
    const held = [await open(), await open(), await open()];
    expect(await upgradeStatus(u)).toBe(503);
    held[0]!.close();
    await held[0]!.closed;
    await eventually(async () => (await upgradeStatus(u)) === 101);
    for (const c of held) c.close();
  });

  it('answers upgrades to other paths with 404 and malformed targets with 400, closing both, and keeps serving', async () => {
    expect(await rawUpgrade('/api/meetings')).toEqual({ status: 404, closed: true });
    for (const target of ['//', '//[', '//:99999', '//host/ws']) expect(await rawUpgrade(target)).toEqual({ status: 400, closed: true });
    const c = await open();
    expect(await c.request('ping', {})).toMatchObject({ ok: true });
    c.close();
  });

  it('serves nothing but join and ping before join', async () => {
    const c = await open();
    for (const [type, data] of [
      ['raiseHand', {}],
      ['setRtpCapabilities', { rtpCapabilities: {} }],
      ['kick', { siteId: randomUUID() }],
    ] as const) {
      expect(await c.request(type as 'raiseHand', data as never)).toMatchObject({ ok: false, error: { code: 'unauthorized', message: 'join first' } });
    }
    expect(await c.request('ping', {})).toMatchObject({ ok: true });
    c.close();
  });

  it('closes a socket that has not joined by the configured deadline', async () => {
    const c = await open();
    expect((await c.closed).code).toBe(CloseCode.unauthorized);
  });

  it('closes a socket that floods frames (pings included) with a rate-limited error and its close code', async () => {
    const c = await open();
    for (let i = 0; i < 5000; i++) c.ws.send(JSON.stringify({ id: i, type: 'ping', data: {} }));
    expect((await c.closed).code).toBe(CloseCode.rateLimited);
    expect(c.responses.filter((r) => r.ok).length).toBeLessThan(100);
    expect(c.responses.find((r) => !r.ok)).toMatchObject({ id: null, error: { code: 'rate-limited' } });
  });

  it('bounds the bytes waiting on a socket, not only the number of frames', async () => {
    const c = await open();
    // Use up the burst so that what follows has to wait in the queue (6 frames: far below its count limit).
    for (let i = 0; i < 20; i++) c.ws.send(JSON.stringify({ id: i, type: 'ping', data: {} }));
    await eventually(() => c.responses.length === 20);
    for (let i = 0; i < 6; i++) c.ws.send(JSON.stringify({ id: 100 + i, type: 'ping', data: {}, pad: 'x'.repeat(250_000) }));
    expect((await c.closed).code).toBe(CloseCode.rateLimited);
  });

  it('closes a socket that floods ping control frames', async () => {
    const c = await open();
    for (let i = 0; i < 5000; i++) c.ws.ping();
    expect((await c.closed).code).toBe(CloseCode.rateLimited);
  });

  it('queues a burst within the queue limit and answers all of it, in order', async () => {
    const c = await open();
    for (let i = 1; i <= 30; i++) c.ws.send(JSON.stringify({ id: i, type: 'ping', data: {} }));
    await eventually(() => c.responses.length === 30, 10_000);
    expect(c.responses.map((r) => [r.id, r.ok])).toEqual(Array.from({ length: 30 }, (_, i) => [i + 1, true]));
    c.close();
  });

  it("limits one site's hand raises and lowers, which every site receives, without closing it", async () => {
    const meetingId = randomUUID();
    const { token } = auth.issueJoinToken(meetingId, 'Xã Giơ Tay');
    const c = await open();
    await c.ok('join', { joinToken: token });
    const answers = [];
    for (let i = 0; i < 12; i++) answers.push(await c.request(i % 2 ? 'lowerHand' : 'raiseHand', {}));
    const refused = answers.filter((a) => !a.ok);
    expect(answers.slice(0, 5).every((a) => a.ok)).toBe(true); // the burst: a quarter of 20 a minute
    expect(refused.length).toBeGreaterThanOrEqual(6);
    expect(refused[0]).toMatchObject({ error: { code: 'rate-limited' } });
    expect(await c.request('ping', {})).toMatchObject({ ok: true });
    c.close();
  });
});

describe('signaling: the total cap', () => {
  it('refuses WebSockets beyond SFU_WS_MAX_CONNECTIONS with 503', async () => {
    const own = await createSfu({
      config: testConfig(20400, { SFU_WORKERS: '1', SFU_WS_MAX_CONNECTIONS: '2' }),
      authenticator: auth,
      attendanceSink: new MemoryAttendanceSink(),
      logger: silentLog,
    });
    const srv = http.createServer();
    own.attach(srv);
    const u = await listen(srv);
    const held = [await TestClient.connect(u), await TestClient.connect(u)];
    const third = new WebSocket(u);
    const status = await new Promise<number>((resolve) => {
      third.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      third.on('open', () => resolve(101));
      third.on('error', () => undefined);
    });
    third.terminate();
    expect(status).toBe(503);
    for (const c of held) c.ws.terminate();
    await own.close();
    await new Promise((r) => srv.close(r));
  });
});

describe('signaling: the node capacity', () => {
  it('refuses the site beyond SFU_MAX_SITES with `capacity`, admits the host and a reconnecting site, and frees a place on leave', async () => {
    const own = await createSfu({
      config: testConfig(20420, { SFU_WORKERS: '1', SFU_MAX_SITES: '2' }),
      authenticator: auth,
      attendanceSink: new MemoryAttendanceSink(),
      logger: silentLog,
    });
    const srv = http.createServer();
    own.attach(srv);
    const u = await listen(srv);
    const meetingId = randomUUID();
    const open: TestClient[] = [];
    const join = async (token: string) => {
      const c = await TestClient.connect(u);
      open.push(c);
      return { c, res: await c.request('join', { joinToken: token }) };
    };
    try {
      const a = auth.issueJoinToken(meetingId, 'Xã A');
      const b = auth.issueJoinToken(meetingId, 'Xã B');
      const c = auth.issueJoinToken(meetingId, 'Xã C');
      expect((await join(a.token)).res.ok).toBe(true);
      const second = await join(b.token);
      expect(second.res.ok).toBe(true);
      const refused = await join(c.token);
      expect(refused.res).toMatchObject({ ok: false, error: { code: 'capacity' } });
      // the refused socket stays open and may try again; the host hall is always admitted
      const { cookie } = auth.issueHostSession(meetingId);
      const host = await TestClient.connect(u, { headers: { cookie } });
      open.push(host);
      expect((await host.request('join', { meetingId })).ok).toBe(true);
      expect(own.signaling.siteCount()).toBe(3);
      // a site replacing its own connection is no new load
      expect((await join(a.token)).res.ok).toBe(true);
      expect(own.signaling.siteCount()).toBe(3);
      // places free up as sites leave; the refused socket may then try again
      second.c.close();
      host.close();
      await eventually(() => own.signaling.siteCount() === 1);
      expect((await refused.c.request('join', { joinToken: c.token })).ok).toBe(true);
    } finally {
      for (const x of open) x.ws.terminate();
      await own.close();
      await new Promise((r) => srv.close(r));
    }
  });
});

describe('signaling: behind a reverse proxy', () => {
  it('caps per X-Forwarded-For client (its last entry), not per proxy address', async () => {
    const own = await createSfu({
      config: testConfig(20450, { SFU_WORKERS: '1', SFU_WS_MAX_CONNECTIONS_PER_ADDRESS: '1' }),
      authenticator: auth,
      attendanceSink: new MemoryAttendanceSink(),
      logger: silentLog,
      trustProxy: true,
    });
    const srv = http.createServer();
    own.attach(srv);
    const u = await listen(srv);
    const status = (forwardedFor: string) =>
      new Promise<number>((resolve) => {
        const ws = new WebSocket(u, { headers: { 'x-forwarded-for': forwardedFor } });
        ws.on('unexpected-response', (_req, res) => {
          resolve(res.statusCode ?? 0);
          ws.terminate();
        });
        ws.on('open', () => resolve(101)); // kept open: it holds its place
        ws.on('error', () => undefined);
        opened.push(ws);
      });
    const opened: WebSocket[] = [];
    expect(await status('203.0.113.1')).toBe(101);
    expect(await status('203.0.113.2')).toBe(101);
    // A client's own claim in front of the proxy's entry changes nothing.
    expect(await status('198.51.100.7, 203.0.113.1')).toBe(503);
    for (const ws of opened) ws.terminate();
    await own.close();
    await new Promise((r) => srv.close(r));
  });
});

describe('signaling: a browser that does not read', () => {
  it('is closed once what waits for it exceeds SFU_WS_MAX_BUFFERED_BYTES, instead of being buffered without end', async () => {
    const own = await createSfu({
      // Frame limits out of the way: only the buffered amount may end this socket.
      config: testConfig(20500, {
        SFU_WORKERS: '1',
        SFU_WS_MESSAGES_PER_SECOND: '100000',
        SFU_WS_MESSAGE_BURST: '100000',
        SFU_WS_QUEUE_LIMIT: '100000',
        SFU_WS_MAX_BUFFERED_BYTES: String(64 * 1024),
      }),
      authenticator: auth,
      attendanceSink: new MemoryAttendanceSink(),
      logger: silentLog,
    });
    const srv = http.createServer();
    own.attach(srv);
    const u = await listen(srv);
    const { token } = auth.issueJoinToken(randomUUID(), 'Xã Không Đọc');
    const c = await TestClient.connect(u);
    await c.ok('join', { joinToken: token });
    // Stop reading, then ask for several megabytes of answers (each bad frame gets a long error).
    const socket = (c.ws as unknown as { _socket: net.Socket })._socket;
    socket.pause();
    const bad = JSON.stringify({ id: 1, type: 'produce', data: { kind: 'x', source: 'y', rtpParameters: { codecs: 'z' } } });
    for (let i = 0; i < 20_000; i++) c.ws.send(bad);
    await new Promise((r) => setTimeout(r, 2000));
    socket.resume();
    const closed = await Promise.race([c.closed, new Promise<{ code: string }>((r) => setTimeout(() => r({ code: 'still open' }), 15_000))]);
    // The close frame may be cut off with the rest of the unread data when the socket is ended.
    expect([CloseCode.tooSlow, 1006]).toContain(closed.code);
    c.ws.terminate();
    await own.close();
    await new Promise((r) => srv.close(r));
  });
});

describe('signaling: rehearsal', () => {
  it('tests the line outside the room: no host sees it, no attendance, only rehearsal requests, closed cleanly', async () => {
    const meetingId = randomUUID();
    const host = await joinHost(meetingId);
    const siteId = randomUUID();
    const readinessToken = auth.issueReadinessToken(meetingId, siteId, 'Xã Diễn Tập');
    const eventsBefore = attendanceSink.events.filter((e) => e.meetingId === meetingId).length;
    const c = await connect();
    // Before anything: only join, rehearse and ping are served.
    expect(await c.request('rehearsalStats', {})).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
    expect(await c.request('rehearse', { readinessToken: 'made-up' })).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
    const started = await c.ok('rehearse', { readinessToken });
    expect(started).toMatchObject({ meetingId, siteId, siteName: 'Xã Diễn Tập', maxDurationMs: expect.any(Number) });
    expect(sfu.signaling.rehearsalCount()).toBe(1);
    // Nothing of the meeting: not in the room, no second join, no receiving, no hand.
    expect(await c.request('join', { joinToken: 'x' })).toMatchObject({ ok: false, error: { code: 'invalid-state' } });
    expect(await c.request('createTransport', { direction: 'recv' })).toMatchObject({ ok: false, error: { code: 'invalid-state' } });
    expect(await c.request('raiseHand', {})).toMatchObject({ ok: false, error: { code: 'invalid-state' } });
    expect(await c.request('giveFloor', { siteId })).toMatchObject({ ok: false, error: { code: 'invalid-state' } });
    const send = await c.ok('createTransport', { direction: 'send' });
    const ssrc = Math.floor(Math.random() * 1e6);
    const mic = await c.ok('produce', { transportId: send.transportId, kind: 'audio', source: 'microphone', rtpParameters: opusParameters(ssrc) });
    expect(mic.paused).toBe(false); // nobody hears it: no floor needed
    await c.ok('produce', { transportId: send.transportId, kind: 'video', source: 'camera', rtpParameters: vp8SimulcastParameters(ssrc + 10) });
    expect(await c.ok('rehearsalStats', {})).toEqual({ packetsReceived: 0, packetsLost: 0, lossPercent: 0, rttMs: null });
    expect(await c.ok('ping', {})).toMatchObject({ serverTime: expect.any(Number) });

    const room = sfu.signaling.room(meetingId)!;
    expect(room.peerBySite(siteId)).toBeUndefined();
    expect(host.c.notes.some((n) => n.type === 'siteState' && n.data.siteId === siteId)).toBe(false);
    expect(host.c.notes.some((n) => n.type === 'newConsumer' && n.data.siteId === siteId)).toBe(false);

    const router = [...(await Promise.all(sfu.pool.slots().map(async (s: WorkerSlot) => (await s.worker.dump()) as { routerIds: string[] })))].flatMap(
      (d) => d.routerIds,
    );
    expect(router.length).toBeGreaterThanOrEqual(2); // the meeting's and the rehearsal's
    await c.ok('leave', {});
    expect(await c.closed).toMatchObject({ code: CloseCode.normal });
    await eventually(() => sfu.signaling.rehearsalCount() === 0);
    expect(attendanceSink.events.filter((e) => e.meetingId === meetingId).length).toBe(eventsBefore);
    expect(host.c.notes.some((n) => n.type === 'siteState' && n.data.siteId === siteId)).toBe(false);
    // The rehearsal's router is gone; the meeting's stays.
    const after = (await Promise.all(sfu.pool.slots().map(async (s: WorkerSlot) => (await s.worker.dump()) as { routerIds: string[] }))).flatMap(
      (d) => d.routerIds,
    );
    expect(after).toEqual(expect.arrayContaining(room.routers.map((r) => r.id)));
    expect(after.length).toBe(router.length - 1);
  });

  it('ends a rehearsal when its socket drops', async () => {
    const meetingId = randomUUID();
    const token = auth.issueReadinessToken(meetingId, randomUUID(), 'Xã Mất Mạng');
    const c = await connect();
    await c.ok('rehearse', { readinessToken: token });
    await c.ok('createTransport', { direction: 'send' });
    expect(sfu.signaling.rehearsalCount()).toBe(1);
    c.ws.terminate();
    await eventually(() => sfu.signaling.rehearsalCount() === 0);
    expect(sfu.signaling.room(meetingId)).toBeUndefined();
  });
});
