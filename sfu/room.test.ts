/**
 * Rooms on real mediasoup workers: cleanup on close, the media policy, and spreading a large
 * meeting over workers with pipeToRouter.
 */
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LeaveCause } from '../db/attendance-event.ts';
import type { Peer } from './peer.ts';
import type { ServerNotification } from './protocol.ts';
import { Room, type RoomEvents } from './room.ts';
import { opusParameters, silentLog, testConfig, vp8SimulcastParameters } from './test-fixtures.ts';
import { WorkerPool } from './worker-pool.ts';

let pool: WorkerPool;
beforeAll(async () => {
  pool = await WorkerPool.create(testConfig(20000), silentLog);
});
afterAll(() => pool.close());

/** Records what the room reports, as the signaling server would receive it. */
function roomEvents() {
  const closedPeers: { siteId: string; cause: LeaveCause }[] = [];
  const floor: { kind: string; siteId: string; eventId: string }[] = [];
  const events: RoomEvents = {
    peerConnected: () => {},
    peerClosed: (peer, cause) => closedPeers.push({ siteId: peer.siteId, cause }),
    floorChanged: (kind, siteId, eventId) => floor.push({ kind, siteId, eventId }),
    closed: () => {},
  };
  return { events, closedPeers, floor };
}

async function openRoom(limit?: number, on = pool, portBase = 20000) {
  const config = testConfig(portBase, limit ? { SFU_MAX_CONSUMERS_PER_WORKER: String(limit) } : {});
  const rec = roomEvents();
  const room = await Room.create({ meetingId: randomUUID(), pool: on, config, events: rec.events, log: silentLog });
  return { room, ...rec };
}

let ssrc = 1000;
async function addPeer(room: Room, role: 'host' | 'participant', siteName: string, publish: boolean) {
  const inbox: ServerNotification[] = [];
  const peer = await room.join({ connectionId: randomUUID(), meetingId: room.meetingId, siteId: randomUUID(), siteName, role }, (n) => inbox.push(n));
  const send = await room.createTransport(peer, 'send');
  await room.createTransport(peer, 'recv');
  await room.setRtpCapabilities(peer, room.rtpCapabilities as never);
  if (publish) {
    await room.produce(peer, { transportId: send.id, kind: 'audio', source: 'microphone', rtpParameters: opusParameters(ssrc++) });
    await room.produce(peer, {
      transportId: send.id,
      kind: 'video',
      source: 'camera',
      rtpParameters: vp8SimulcastParameters((ssrc += 3)),
    });
  }
  return { peer, inbox };
}

const consumedSources = (peer: Peer) =>
  [...peer.consumers()].map((c) => `${(c.appData as { siteId: string }).siteId}:${(c.appData as { source: string }).source}`).sort();

describe('Room', () => {
  it('closing a room leaves no routers, transports, producers or consumers on any worker', async () => {
    const { room, closedPeers } = await openRoom();
    const host = await addPeer(room, 'host', 'Tỉnh', true);
    const a = await addPeer(room, 'participant', 'Xã A', true);
    const b = await addPeer(room, 'participant', 'Xã B', true);
    await room.settled();

    const dump = await room.routers[0]!.dump();
    expect(dump.transportIds.length).toBe(6);
    expect(dump.mapProducerIdConsumerIds.length).toBe(6);
    expect([...a.peer.consumers()].length).toBe(2); // the host's camera and microphone
    expect([...host.peer.consumers()].length).toBe(2); // both sites' cameras on the grid page
    expect(b.inbox.some((n) => n.type === 'newConsumer')).toBe(true);

    room.close('meeting-ended');
    expect(room.closed).toBe(true);
    expect(closedPeers.map((p) => p.cause)).toEqual(['meeting-ended', 'meeting-ended', 'meeting-ended']);
    for (const slot of pool.slots()) {
      const w = (await slot.worker.dump()) as { routerIds: string[] };
      expect(w.routerIds).toEqual([]);
      const s = (await slot.webRtcServer.dump()) as { webRtcTransportIds: string[] };
      expect(s.webRtcTransportIds).toEqual([]);
    }
    room.close('meeting-ended'); // idempotent
  });

  it('mutes sites until the host gives the floor, then forwards the floor holder to everyone', async () => {
    const { room, floor } = await openRoom();
    const host = await addPeer(room, 'host', 'Tỉnh', true);
    const a = await addPeer(room, 'participant', 'Xã A', true);
    const b = await addPeer(room, 'participant', 'Xã B', true);
    await room.settled();
    expect(a.peer.producerOf('microphone')!.paused).toBe(true);
    expect(consumedSources(b.peer)).toEqual([`${host.peer.siteId}:camera`, `${host.peer.siteId}:microphone`].sort());

    expect(room.raiseHand(b.peer)).toBe(1);
    expect(room.raiseHand(a.peer)).toBe(2);
    expect(room.handQueue).toEqual([b.peer.siteId, a.peer.siteId]);
    await expect(room.setProducerPaused(a.peer, a.peer.producerOf('microphone')!.id, false)).rejects.toMatchObject({ code: 'forbidden' });
    await expect(room.giveFloor(a.peer, b.peer.siteId)).rejects.toMatchObject({ code: 'forbidden' });

    await room.giveFloor(host.peer, b.peer.siteId);
    await room.settled();
    expect(room.handQueue).toEqual([a.peer.siteId]);
    expect(b.peer.producerOf('microphone')!.paused).toBe(false);
    expect(consumedSources(a.peer)).toContain(`${b.peer.siteId}:microphone`);
    expect(consumedSources(a.peer)).toContain(`${b.peer.siteId}:camera`);
    expect(consumedSources(host.peer)).toContain(`${b.peer.siteId}:microphone`);
    expect(a.inbox).toContainEqual({ type: 'floorChanged', data: { siteId: b.peer.siteId } });

    room.revokeFloor(host.peer);
    await room.settled();
    await expect.poll(() => b.peer.producerOf('microphone')!.paused).toBe(true);
    expect(consumedSources(a.peer)).not.toContain(`${b.peer.siteId}:microphone`);
    expect(floor.map((f) => f.kind)).toEqual(['floor-given', 'floor-taken']);
    expect(new Set(floor.map((f) => f.eventId)).size).toBe(2);

    // The host's grid: one site per page, at the lowest layer.
    const page = room.setPage(host.peer, 1, 1);
    expect(page).toEqual({ siteIds: [b.peer.siteId], total: 2 });
    await room.settled();
    const grid = [...host.peer.consumers()].filter((c) => c.kind === 'video');
    expect(grid.map((c) => (c.appData as { siteId: string }).siteId)).toEqual([b.peer.siteId]);
    expect(grid[0]!.preferredLayers?.spatialLayer).toBe(0);

    room.spotlight(host.peer, a.peer.siteId);
    await room.settled();
    expect(consumedSources(b.peer)).toContain(`${a.peer.siteId}:camera`);

    room.kick(host.peer, a.peer.siteId);
    expect(a.inbox).toContainEqual({ type: 'kicked', data: { reason: 'host' } });
    expect(a.peer.closed).toBe(true);
    room.close('meeting-ended');
  });

  it('keeps every peer of a 60-site room at exactly the consumers the policy wants, after every kind of change', async () => {
    const { room } = await openRoom();
    // The policy, restated from the room's public state (the old whole-room computation).
    const collator = new Intl.Collator('vi');
    const grid = () =>
      [...room.peers()]
        .filter((p) => p.role === 'participant')
        .sort((a, b) => collator.compare(a.identity.siteName, b.identity.siteName) || collator.compare(a.siteId, b.siteId));
    const expected = (peer: Peer): string[] => {
      const out = new Set<string>();
      const add = (p: Peer | undefined, source: 'camera' | 'microphone' | 'screen') => {
        if (p && p !== peer && p.producerOf(source)) out.add(`${p.siteId}:${source}`);
      };
      const all = [...room.peers()];
      const sites = grid();
      for (const h of all.filter((p) => p.role === 'host')) for (const s of ['camera', 'microphone', 'screen'] as const) add(h, s);
      const bySite = (id: string | null) => (id ? room.peerBySite(id) : undefined);
      add(bySite(room.floorHolder), 'camera');
      add(bySite(room.floorHolder), 'microphone');
      add(bySite(room.spotlightSite), 'camera');
      if (peer.role === 'host') {
        const start = peer.page.page * peer.page.pageSize;
        for (const p of sites.slice(start, start + peer.page.pageSize)) add(p, 'camera');
        add(bySite(room.activeSpeakerSite), 'camera'); // the observer may name one even in silence
      }
      return [...out].sort();
    };
    const check = async (after: string) => {
      // the observer may name a new speaker while we wait: settle until it holds still
      let speaker;
      do {
        speaker = room.activeSpeakerSite;
        await room.settled();
      } while (speaker !== room.activeSpeakerSite);
      for (const peer of room.peers()) {
        expect(consumedSources(peer), `${after}: ${peer.identity.siteName}`).toEqual(expected(peer));
      }
    };

    const host = await addPeer(room, 'host', 'Tỉnh', true);
    // Names out of order, with Vietnamese letters, so the grid's order matters.
    const names = Array.from({ length: 59 }, (_, i) => `${['Đông', 'An', 'Ân', 'Bình', 'Ea'][i % 5]} ${String(59 - i).padStart(2, '0')}`);
    const sites = [];
    for (const name of names) sites.push(await addPeer(room, 'participant', `Xã ${name}`, true));
    await check('joins');

    expect(room.setPage(host.peer, 0, 16)).toEqual({
      siteIds: grid()
        .slice(0, 16)
        .map((p) => p.siteId),
      total: 59,
    });
    const onPage = () => grid().slice(0, 16);
    const first = onPage()[0]!;
    room.leave(first);
    await check('a site on the page left');
    await addPeer(room, 'participant', 'Xã A Lưới', true); // sorts onto page 0
    await check('a site joined onto the page');

    const camera = onPage()[3]!.producerOf('camera')!;
    room.closeProducer(onPage()[3]!, camera.id);
    await check('a camera on the page closed');

    const [a, b, c] = [sites[10]!.peer, sites[20]!.peer, sites[30]!.peer];
    await room.giveFloor(host.peer, a.siteId);
    await check('floor given');
    await room.giveFloor(host.peer, b.siteId);
    await check('floor moved');
    room.spotlight(host.peer, c.siteId);
    await check('spotlight');
    room.setPage(host.peer, 2, 16);
    await check('page 3');
    room.spotlight(host.peer, null);
    await check('spotlight off');
    room.leave(b);
    await check('the floor holder left');
    expect(room.floorHolder).toBe(null);

    // A second hall joins and publishes: everyone receives it; then the first host leaves.
    const second = await addPeer(room, 'host', 'Bộ', true);
    await check('a second host published');
    room.leave(host.peer);
    await check('the first host left');
    await room.giveFloor(second.peer, c.siteId);
    await check('floor given by the second host');
    room.revokeFloor(second.peer);
    await check('floor revoked');
    room.close('meeting-ended');
  });

  it('spreads consumers to another worker with pipeToRouter when a worker is over the limit', async () => {
    // Each site consumes the host's camera and microphone: two consumers per site.
    const { room } = await openRoom(4);
    const host = await addPeer(room, 'host', 'Tỉnh', true);
    const sites = [];
    for (let i = 0; i < 4; i++) sites.push(await addPeer(room, 'participant', `Xã ${i}`, false));
    await room.settled();

    expect(room.routers.length).toBe(2);
    const [primary, extra] = room.routers;
    const routersUsed = new Set(sites.map((s) => s.peer.router));
    expect(routersUsed.size).toBe(2);
    // Sites on the extra router receive the host through pipe producers with the same ids.
    const onExtra = sites.filter((s) => s.peer.router === extra);
    expect(onExtra.length).toBeGreaterThan(0);
    const extraDump = await extra!.dump();
    const hostProducers = [...host.peer.producers()].map((p) => p.producer.id).sort();
    expect(extraDump.mapProducerIdConsumerIds.map((e) => e.key).sort()).toEqual(hostProducers);
    for (const s of onExtra) expect([...s.peer.consumers()].length).toBe(2);
    // ...and the load really is on two worker processes.
    const loaded = pool.slots().filter((s) => s.consumerCount > 0);
    expect(loaded.length).toBe(2);
    expect(primary).not.toBe(extra);

    room.close('meeting-ended');
    for (const slot of pool.slots()) expect(((await slot.worker.dump()) as { routerIds: string[] }).routerIds).toEqual([]);
    await expect.poll(() => pool.slots().map((s) => s.consumerCount)).toEqual([0, 0]);
  });

  it('uses the current mediasoup API: mediasoup and its workers log no warning through a spread room', async () => {
    // mediasoup's log lines go to the pool's logger (worker-pool.ts); capture them.
    const lines: { level: number; component?: string; msg: string }[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line) as (typeof lines)[number]);
        done();
      },
    });
    const own = await WorkerPool.create(testConfig(20300), pino({ level: 'warn' }, sink));
    try {
      const { room } = await openRoom(2, own, 20300);
      await addPeer(room, 'host', 'Tỉnh', true);
      for (let i = 0; i < 3; i++) await addPeer(room, 'participant', `Xã ${i}`, true);
      await room.settled();
      expect(room.routers.length).toBe(2); // pipeToRouter with a listenInfo was used
      room.close('meeting-ended');
    } finally {
      own.close();
    }
    expect(lines.filter((l) => l.component === 'mediasoup')).toEqual([]);
  });
});
