/**
 * The cascade between processes: the main server (pages, API, and the media node "main") and
 * media nodes (`SERVER_ROLE=media`), each `node --import tsx server/main.ts`, against one
 * throwaway PostgreSQL, with the same SFU_CASCADE_SECRET (tests/support/node-cluster.ts). Sites
 * speak the browser protocol over real WebSockets, placed by the API as the pages are
 * (`/api/join/node`, `/api/meetings/:id/console/node`), on nodes the operator mapped their
 * provinces to.
 *
 * Proven: the host's console is placed on main, which becomes the meeting's origin (found in the
 * database by each edge); communes placed on the two edges receive the host's camera and
 * microphone piped across; the floor given to a commune on one edge reaches a commune on the
 * other; SIGKILL of an edge: its communes, asking the API again as their pages do, are placed on
 * a live node and receive the host there within the 10 s the product promises. Then the origin
 * killed, and a node's sites moved away by the operator.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, type TestDatabase } from '../support/database.ts';
import { NODE_TIMING, NodeCluster, consumes } from '../support/node-cluster.ts';

const SECRET = 'a-cascade-secret-for-the-process-test-0123';
const RECONNECT_DEADLINE_MS = 10_000;

describe('a meeting across three processes', () => {
  let db: TestDatabase;
  let cluster: NodeCluster;

  beforeAll(async () => {
    db = await openTestDatabase('postgres');
    cluster = await NodeCluster.start({ databaseUrl: db.url!, secret: SECRET, env: NODE_TIMING, firstSlice: 0 });
    // smaller than main's: the host hall, placed where there is the most room, goes to main
    await cluster.startNode('edge-a', { SFU_MAX_SITES: '250' });
    await cluster.startNode('edge-b', { SFU_MAX_SITES: '250' });
  }, 300_000);

  afterAll(async () => {
    await cluster?.dispose();
    await db?.close();
  });

  it('carries the host to communes on two edges, the floor from one edge to the other, and moves an edge’s communes when it is killed', async () => {
    const { meetingId, hostSiteId, communes: invited } = await cluster.scheduleAcrossNodes(db.db, ['edge-a', 'edge-b'], 2);
    const { c: host, nodeId: origin } = await cluster.joinConsole(meetingId);
    expect(origin).toBe('main');

    const communes = [];
    for (const { token } of invited) communes.push({ token, ...(await cluster.joinSite(token)) });
    expect(communes.map((c) => c.nodeId)).toEqual(['edge-a', 'edge-a', 'edge-b', 'edge-b']);
    for (const commune of communes) {
      await consumes(commune.c, hostSiteId, 'camera');
      await consumes(commune.c, hostSiteId, 'microphone');
    }
    for (const commune of communes) await host.note('siteState', (n) => n.data.siteId === commune.siteId && n.data.online);

    const [a1, a2, b1] = communes;
    await host.ok('giveFloor', { siteId: a1!.siteId });
    await consumes(b1!.c, a1!.siteId, 'microphone');
    await consumes(b1!.c, a1!.siteId, 'camera');
    await host.ok('revokeFloor', {});

    // SIGKILL of edge A: its communes' sockets drop; asked again, the API places them on a live node.
    const killedAt = Date.now();
    const seenBefore = host.notes.length;
    cluster.nodes.get('edge-a')!.child.kill('SIGKILL');
    await Promise.all([a1!.c.closed, a2!.c.closed]);
    const moved = await Promise.all(
      [a1!, a2!].map(async ({ token }) => {
        for (;;) {
          const again = await cluster.placeSite(token);
          if (again.status === 200 && again.body.nodeId !== 'edge-a') break;
          if (Date.now() - killedAt > RECONNECT_DEADLINE_MS) throw new Error('still placed on the dead node');
          await new Promise((r) => setTimeout(r, 200));
        }
        const rejoined = await cluster.joinSite(token);
        await consumes(rejoined.c, hostSiteId, 'camera');
        return { ...rejoined, at: Date.now() };
      }),
    );
    for (const m of moved) expect(m.nodeId).not.toBe('edge-a');
    for (const m of moved) expect(m.at - killedAt).toBeLessThan(RECONNECT_DEADLINE_MS);
    // The host saw them go and come back.
    const since = (n: unknown) => host.notes.indexOf(n as never) >= seenBefore;
    for (const m of moved) {
      await host.note('siteState', (n) => since(n) && n.data.siteId === m.siteId && !n.data.online);
      await host.note('siteState', (n) => since(n) && n.data.siteId === m.siteId && n.data.online);
    }
  }, 180_000);
});

/**
 * The origin killed, with the API and pages in a process apart (main, drained: it takes no
 * site): the host console was on node "n1"; communes on "n2" and on the edge "e". After SIGKILL
 * of n1 the console, asking the API again as its page does, is placed on n2, which becomes the
 * origin; e links to it by itself and its communes get the host's media back.
 */
describe('the origin node killed', () => {
  const FAILOVER_DEADLINE_MS = 15_000;
  let db: TestDatabase;
  let cluster: NodeCluster;
  let meeting: Awaited<ReturnType<NodeCluster['scheduleAcrossNodes']>>;
  const communes: (Awaited<ReturnType<NodeCluster['joinSite']>> & { token: string })[] = [];

  beforeAll(async () => {
    db = await openTestDatabase('postgres');
    cluster = await NodeCluster.start({ databaseUrl: db.url!, secret: SECRET, env: NODE_TIMING, firstSlice: 3 });
    // n1 has the most room: the host hall goes there; n2 next.
    await cluster.startNode('n1', { SFU_MAX_SITES: '300' });
    await cluster.startNode('n2', { SFU_MAX_SITES: '200' });
    await cluster.startNode('e', { SFU_MAX_SITES: '100' });
  }, 300_000);

  afterAll(async () => {
    await cluster?.dispose();
    await db?.close();
  });

  it('moves the console to another node, which becomes the origin, and the edge’s communes get the host back within 15 s', async () => {
    expect((await cluster.api('POST', '/api/nodes/main/drain', { draining: true })).status).toBe(200);
    meeting = await cluster.scheduleAcrossNodes(db.db, ['n2', 'e'], 2);
    const { meetingId, hostSiteId } = meeting;
    const host = await cluster.joinConsole(meetingId);
    expect(host.nodeId).toBe('n1');
    for (const { token } of meeting.communes) communes.push({ token, ...(await cluster.joinSite(token)) });
    expect(communes.map((c) => c.nodeId)).toEqual(['n2', 'n2', 'e', 'e']);
    for (const commune of communes) await consumes(commune.c, hostSiteId, 'camera');

    const killedAt = Date.now();
    const seen = new Map(communes.map((c) => [c, c.c.notes.length]));
    cluster.nodes.get('n1')!.child.kill('SIGKILL');
    await host.c.closed;
    // The console asks again until it is placed on a live node, as its page does.
    let moved: Awaited<ReturnType<NodeCluster['joinConsole']>> | undefined;
    while (!moved) {
      if (Date.now() - killedAt > FAILOVER_DEADLINE_MS) throw new Error('the console found no live node in time');
      const placed = await cluster.placeConsole(meetingId);
      if (placed.status === 200 && placed.body.nodeId !== 'n1') moved = await cluster.joinConsole(meetingId, placed);
      else await new Promise((r) => setTimeout(r, 200));
    }
    expect(moved.nodeId).toBe('n2');
    for (const commune of communes) {
      await consumes(commune.c, hostSiteId, 'camera', seen.get(commune));
      await consumes(commune.c, hostSiteId, 'microphone', seen.get(commune));
    }
    const backMs = Date.now() - killedAt;
    process.stdout.write(`origin killed: every commune had the host's media again after ${backMs} ms\n`);
    expect(backMs).toBeLessThan(FAILOVER_DEADLINE_MS);
    // The communes stayed connected throughout: none of their sockets closed.
    for (const commune of communes) expect(commune.c.ws.readyState).toBe(commune.c.ws.OPEN);
    // The console sees the sites of both nodes.
    for (const commune of communes) await moved.c.note('siteState', (n) => n.data.siteId === commune.siteId && n.data.online);
  }, 180_000);

  it('moves a node’s sites to another node when the operator says so (before maintenance)', async () => {
    const onEdge = communes.filter((c) => c.nodeId === 'e');
    expect(onEdge).toHaveLength(2);
    const answer = await cluster.api('POST', '/api/nodes/e/move-sites', {});
    expect(answer).toMatchObject({ status: 200, body: { nodeId: 'e', draining: true, sitesUnplaced: 2 } });
    // The node hears it at its next heartbeat and tells its sites, which rejoin where the API sends them.
    for (const commune of onEdge) {
      await commune.c.note('rejoin', (n) => n.data.reason === 'maintenance');
      await commune.c.closed;
      const back = await cluster.joinSite(commune.token);
      expect(back.nodeId).toBe('n2');
      await consumes(back.c, meeting.hostSiteId, 'camera');
    }
    const listed = (await cluster.api('GET', '/api/nodes')).body.nodes as { id: string; state: string; placed: number }[];
    expect(listed.find((n) => n.id === 'e')).toMatchObject({ state: 'draining', placed: 0 });
  }, 120_000);
});
