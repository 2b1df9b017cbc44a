/**
 * The node registry and placement on both drivers: capacity is never passed (also by placements
 * racing each other), a node whose heartbeat stopped is skipped within the dead-after window
 * and declared dead once, a province's sites go to its mapped node, a drained node takes no new
 * site but keeps its own, when every node is full the site gets the typed refusal, which
 * the secretariat then sees, and a node's death closes its sites' connections in the ledger once.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { provinceNodes, sfuNodes, sitePlacements } from '../../db/schema.ts';
import { createTestApp, type TestApp } from '../../tests/support/app.ts';
import { DRIVERS } from '../../tests/support/database.ts';
import { NoNodeAvailableError } from '../errors.ts';
import { loadEvents, recordAttendanceEvents } from '../attendance/store.ts';
import { closeAttendanceOfDeadNode, sweepDeadNodes } from './dead-node-attendance.ts';
import { placeSite, refusedSites } from './placement.ts';
import { availableCapacity, declareDeadNodes, heartbeat, listNodes, mapProvince, registerNode, setDraining } from './registry.ts';

const DEAD_AFTER_MS = 6000;

describe.each(DRIVERS)('SFU nodes and placement on %s', (driver) => {
  let t: TestApp;
  let meetingId: string;
  let hostSiteId: string;
  /** Communes of Quảng Trị (44) and of Hà Nội (01) invited to the meeting. */
  let qt: string[];
  let hn: string[];

  const at = () => t.clock.now;
  const later = (ms: number) => (t.clock.now = new Date(t.clock.now.getTime() + ms));
  const node = (id: string, capacity: number) =>
    registerNode(t.ctx.db, { id, signalingUrl: `ws://${id}.test:3000/ws`, mediaAddress: '127.0.0.1', capacity }, at());
  const place = (siteId: string, meeting = meetingId) => placeSite(t.ctx.db, { meetingId: meeting, siteId, at: at(), deadAfterMs: DEAD_AFTER_MS });
  const refusal = (siteId: string) =>
    place(siteId).then(
      () => undefined,
      (error: unknown) => error,
    );

  beforeAll(async () => {
    t = await createTestApp(driver, { provinces: ['44', '01'] });
    const sitesOf = async (code: string) =>
      (await t.request('GET', `/api/units/${code}/sites`, { cookie: t.cookies.secretariat })).body.sites as { id: string; kind: string }[];
    const qtSites = await sitesOf('44');
    const hnSites = await sitesOf('01');
    hostSiteId = qtSites.find((s) => s.kind === 'hall')!.id;
    qt = qtSites
      .filter((s) => s.kind === 'commune')
      .slice(0, 12)
      .map((s) => s.id);
    hn = hnSites
      .filter((s) => s.kind === 'commune')
      .slice(0, 4)
      .map((s) => s.id);
    const created = await t.request('POST', '/api/meetings', {
      cookie: t.cookies.secretariat,
      body: { title: 'Hội nghị hai tỉnh', hostSiteId, siteIds: [...qt, ...hn], startsAt: '2026-12-05T09:00:00+07:00', endsAt: '2026-12-05T11:00:00+07:00' },
    });
    expect(created.status).toBe(201);
    meetingId = created.body.id;
  });
  afterAll(() => t?.close());
  beforeEach(async () => {
    t.clock.now = new Date('2026-12-05T08:30:00+07:00');
    await t.ctx.db.delete(sitePlacements);
    await t.ctx.db.delete(provinceNodes);
    await t.ctx.db.delete(sfuNodes);
  });

  it('spreads sites to the least loaded node, never above capacity, and refuses the next with a typed error the secretariat sees', async () => {
    await node('a', 3);
    await node('b', 3);
    const placed = [];
    for (const site of qt.slice(0, 6)) placed.push((await place(site)).nodeId);
    expect(placed.filter((id) => id === 'a')).toHaveLength(3);
    expect(placed.filter((id) => id === 'b')).toHaveLength(3);
    // A site asking again (a reload) keeps its node and takes no second place.
    expect((await place(qt[0]!)).nodeId).toBe(placed[0]);

    const error = await refusal(qt[6]!);
    expect(error).toBeInstanceOf(NoNodeAvailableError);
    expect(error).toMatchObject({ status: 503, code: 'no_node_available', reason: 'full' });
    expect((await refusedSites(t.ctx.db, meetingId)).map((r) => r.siteId)).toEqual([qt[6]]);

    const nodes = await listNodes(t.ctx.db, at(), DEAD_AFTER_MS);
    expect(nodes.map((n) => [n.id, n.placed, n.state])).toEqual([
      ['a', 3, 'alive'],
      ['b', 3, 'alive'],
    ]);
    expect(nodes[0]!.meetings).toEqual([{ meetingId, title: 'Hội nghị hai tỉnh', sites: 3, origin: false }]);

    // A place freed elsewhere (a new node) lets the refused site in; it is no longer listed as refused.
    await node('c', 1);
    expect((await place(qt[6]!)).nodeId).toBe('c');
    expect(await refusedSites(t.ctx.db, meetingId)).toEqual([]);
  });

  it('counts a node’s connected sites and the ones placed since, so a site that left frees its place', async () => {
    await node('a', 2);
    await place(qt[0]!);
    await place(qt[1]!);
    expect(await refusal(qt[2]!)).toBeInstanceOf(NoNodeAvailableError);
    // Both connected: the heartbeat counts them, the placements are no longer pending.
    later(4000);
    await heartbeat(t.ctx.db, 'a', 2, at());
    expect(await refusal(qt[2]!)).toBeInstanceOf(NoNodeAvailableError);
    // One left.
    later(2000);
    await heartbeat(t.ctx.db, 'a', 1, at());
    expect((await place(qt[2]!)).nodeId).toBe('a');
    expect(await refusal(qt[3]!)).toBeInstanceOf(NoNodeAvailableError);
    // This process's own node is counted live, not at its last heartbeat.
    later(4000);
    const local = (n: number) =>
      placeSite(t.ctx.db, { meetingId, siteId: qt[3]!, at: at(), deadAfterMs: DEAD_AFTER_MS, local: { nodeId: 'a', load: () => n } });
    await expect(local(2)).rejects.toBeInstanceOf(NoNodeAvailableError);
    expect((await local(1)).nodeId).toBe('a');
  });

  it('never passes a capacity when placements race', async () => {
    await node('a', 2);
    await node('b', 3);
    const results = await Promise.allSettled(qt.slice(0, 9).map((site) => place(site)));
    const ok = results.filter((r) => r.status === 'fulfilled').map((r) => r.value.nodeId);
    expect(ok.filter((id) => id === 'a')).toHaveLength(2);
    expect(ok.filter((id) => id === 'b')).toHaveLength(3);
    expect(results.filter((r) => r.status === 'rejected').map((r) => r.reason)).toEqual(Array(4).fill(expect.any(NoNodeAvailableError)));
  });

  it('skips a node whose heartbeat stopped within the dead-after window, declares it dead once, and takes it back on its next heartbeat', async () => {
    await node('a', 100);
    await node('b', 100);
    expect((await place(qt[0]!)).nodeId).toBe('a');
    expect((await place(qt[1]!)).nodeId).toBe('b');
    // Only a heartbeats from here on.
    for (let i = 0; i < 3; i++) {
      later(2000);
      await heartbeat(t.ctx.db, 'a', 1, at());
    }
    later(500);
    // b's last heartbeat is 6.5 s old: out of placement before anyone declared it dead.
    for (const site of qt.slice(2, 6)) expect((await place(site)).nodeId).toBe('a');
    // b's own site moves too: its node is gone.
    expect((await place(qt[1]!)).nodeId).toBe('a');
    expect((await declareDeadNodes(t.ctx.db, at(), DEAD_AFTER_MS)).map((n) => n.id)).toEqual(['b']);
    expect(await declareDeadNodes(t.ctx.db, at(), DEAD_AFTER_MS)).toEqual([]);
    expect((await listNodes(t.ctx.db, at(), DEAD_AFTER_MS)).map((n) => [n.id, n.state])).toEqual([
      ['a', 'alive'],
      ['b', 'dead'],
    ]);
    expect(await availableCapacity(t.ctx.db, at(), DEAD_AFTER_MS)).toEqual({ registered: 2, nodes: 1, capacity: 100 });

    // A node that was only late comes back with its heartbeat.
    expect(await heartbeat(t.ctx.db, 'b', 0, at())).toEqual({ sitesMovedAt: null });
    expect((await place(qt[6]!)).nodeId).toBe('b');

    // With no node alive the refusal says so.
    later(DEAD_AFTER_MS + 1);
    expect(await refusal(qt[7]!)).toMatchObject({ reason: 'none-alive' });
  });

  it('sends a province’s sites to its mapped node, and the others to the least loaded', async () => {
    await node('a', 100);
    await node('hanoi', 100);
    await mapProvince(t.ctx.db, '01', 'hanoi');
    // hanoi fills up with Hà Nội's communes although a is emptier.
    for (const site of hn) expect((await place(site)).nodeId).toBe('hanoi');
    // Quảng Trị's go to the least loaded node: a, until it holds as many.
    for (const site of qt.slice(0, 4)) expect((await place(site)).nodeId).toBe('a');
    expect((await listNodes(t.ctx.db, at(), DEAD_AFTER_MS)).find((n) => n.id === 'hanoi')!.provinces).toEqual(['01']);
    await expect(mapProvince(t.ctx.db, '19165', 'a')).rejects.toMatchObject({ status: 422 });
    await expect(mapProvince(t.ctx.db, '44', 'nowhere')).rejects.toMatchObject({ status: 404 });
  });

  it('gives a mapped province’s sites to another node when its node is full or dead', async () => {
    await node('a', 100);
    await node('hanoi', 1);
    await mapProvince(t.ctx.db, '01', 'hanoi');
    expect((await place(hn[0]!)).nodeId).toBe('hanoi');
    expect((await place(hn[1]!)).nodeId).toBe('a');
  });

  it('gives a drained node no new site, keeps the ones it has, and takes it back when undrained', async () => {
    await node('a', 100);
    await node('b', 100);
    expect((await place(qt[0]!)).nodeId).toBe('a');
    await setDraining(t.ctx.db, 'a', true);
    for (const site of qt.slice(1, 5)) expect((await place(site)).nodeId).toBe('b');
    expect((await place(qt[0]!)).nodeId).toBe('a');
    expect((await listNodes(t.ctx.db, at(), DEAD_AFTER_MS)).map((n) => n.state)).toEqual(['draining', 'alive']);
    expect(await availableCapacity(t.ctx.db, at(), DEAD_AFTER_MS)).toEqual({ registered: 2, nodes: 1, capacity: 100 });
    // Draining every node refuses the next site.
    await setDraining(t.ctx.db, 'b', true);
    expect(await refusal(qt[5]!)).toBeInstanceOf(NoNodeAvailableError);
    await setDraining(t.ctx.db, 'a', false);
    expect((await place(qt[5]!)).nodeId).toBe('a');
    await expect(setDraining(t.ctx.db, 'nowhere', true)).rejects.toMatchObject({ status: 404 });
    // A restart keeps the operator's draining.
    await node('b', 100);
    expect((await listNodes(t.ctx.db, at(), DEAD_AFTER_MS)).find((n) => n.id === 'b')!.draining).toBe(true);
  });

  it('places the host hall even on a full node, and marks its node as the meeting’s origin', async () => {
    await node('a', 1);
    expect((await place(qt[0]!)).nodeId).toBe('a');
    expect(await refusal(qt[1]!)).toBeInstanceOf(NoNodeAvailableError);
    expect((await place(hostSiteId)).nodeId).toBe('a');
    expect((await listNodes(t.ctx.db, at(), DEAD_AFTER_MS))[0]!.meetings).toEqual([expect.objectContaining({ meetingId, sites: 2, origin: true })]);
  });

  it('closes the open connections of a node that died, once, as a server failure at its last heartbeat', async () => {
    await node('a', 10);
    await node('b', 10);
    const joinedAt = at();
    const ev = (kind: 'join' | 'leave', i: number, extra: Record<string, unknown> = {}) => ({
      kind,
      eventId: `${kind}-${i}-${meetingId}`,
      meetingId,
      siteId: qt[i]!,
      connectionId: `conn-${i}`,
      at: joinedAt,
      ...extra,
    });
    // three connections on b: two still open, one that left cleanly; one on a, open
    await recordAttendanceEvents(t.ctx.db, [
      ev('join', 0, { nodeId: 'b' }),
      ev('join', 1, { nodeId: 'b' }),
      ev('join', 2, { nodeId: 'b' }),
      ev('leave', 2, { cause: 'left', at: new Date(joinedAt.getTime() + 1000) }),
      ev('join', 3, { nodeId: 'a' }),
    ] as never);
    later(1500);
    await heartbeat(t.ctx.db, 'b', 3, at());
    const lastHeartbeat = at();
    for (let i = 0; i < 4; i++) {
      later(2000);
      await heartbeat(t.ctx.db, 'a', 0, at());
    }
    expect(await sweepDeadNodes(t.ctx.db, at(), DEAD_AFTER_MS)).toEqual([{ id: 'b', connectionsClosed: 2 }]);
    expect(await sweepDeadNodes(t.ctx.db, at(), DEAD_AFTER_MS)).toEqual([]);
    // a second sweeper racing the first (it read b as stale too) writes nothing new
    expect(await closeAttendanceOfDeadNode(t.ctx.db, 'b', lastHeartbeat, at())).toBe(0);
    const leaves = (await loadEvents(t.ctx.db, meetingId)).filter((e) => e.kind === 'leave');
    expect(leaves.map((e) => [e.siteId, e.kind === 'leave' && e.cause, e.at.getTime()]).sort()).toEqual(
      [
        [qt[0], 'server-failure', lastHeartbeat.getTime()],
        [qt[1], 'server-failure', lastHeartbeat.getTime()],
        [qt[2], 'left', joinedAt.getTime() + 1000],
      ].sort(),
    );
  });

  it('frees the places of a meeting once it can no longer be joined', async () => {
    await node('a', 2);
    await place(qt[0]!);
    await place(qt[1]!);
    expect((await listNodes(t.ctx.db, at(), DEAD_AFTER_MS))[0]!.placed).toBe(2);
    // 11:00 is the scheduled end; sites may stay an hour over it.
    t.clock.now = new Date('2026-12-05T12:00:01+07:00');
    await heartbeat(t.ctx.db, 'a', 0, at());
    expect((await listNodes(t.ctx.db, at(), DEAD_AFTER_MS))[0]).toMatchObject({ placed: 0, meetings: [] });
  });
});
