/**
 * The cascade between processes: the main server (pages, API, and the media node "main") and
 * two media nodes (`SERVER_ROLE=media`), each `node --import tsx server/main.ts`, against one
 * throwaway PostgreSQL, with the same SFU_CASCADE_SECRET. Sites speak the browser protocol over
 * real WebSockets, placed by the API as the pages are (`/api/join/node`,
 * `/api/meetings/:id/console/node`), on nodes the operator mapped their provinces to.
 *
 * Proven: the host's console is placed on main, which becomes the meeting's origin (found in the
 * database by each edge); communes placed on the two edges receive the host's camera and
 * microphone piped across; the floor given to a commune on one edge reaches a commune on the
 * other; SIGKILL of an edge: its communes, asking the API again as their pages do, are placed on
 * a live node and receive the host there within the 10 s the product promises.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintMeetingTokens } from '../../api/invites/site-tokens.ts';
import type { TestClient } from '../../sfu/test-fixtures.ts';
import { openTestDatabase, type TestDatabase } from '../support/database.ts';
import { NodeCluster } from '../support/node-cluster.ts';

const SECRET = 'a-cascade-secret-for-the-process-test-0123';
const RECONNECT_DEADLINE_MS = 10_000;

describe('a meeting across three processes', () => {
  let db: TestDatabase;
  let cluster: NodeCluster;

  const consumes = (c: TestClient, siteId: string, source: string) => c.note('newConsumer', (n) => n.data.siteId === siteId && n.data.source === source);

  let meetingId: string;
  let hostSiteId: string;
  const tokens: { province: string; token: string }[] = [];

  beforeAll(async () => {
    db = await openTestDatabase('postgres');
    cluster = await NodeCluster.start({
      databaseUrl: db.url!,
      secret: SECRET,
      env: { SFU_NODE_HEARTBEAT_MS: '300', SFU_NODE_DEAD_AFTER_MS: '1500', SFU_CASCADE_POLL_MS: '300' },
    });
    // smaller than main's: the host hall, placed where there is the most room, goes to main
    await cluster.startNode('edge-a', { SFU_MAX_SITES: '250' });
    await cluster.startNode('edge-b', { SFU_MAX_SITES: '250' });
    // Two provinces, each mapped to its edge; the national hall hosts.
    const provinces = (await cluster.api('GET', '/api/units?level=province')).body.units.slice(0, 2) as { code: string }[];
    await cluster.mapProvince(provinces[0]!.code, 'edge-a');
    await cluster.mapProvince(provinces[1]!.code, 'edge-b');
    const hall = (await cluster.api('GET', '/api/sites?kind=hall&q=Chính phủ')).body.sites[0] as { id: string };
    hostSiteId = hall.id;
    const communes: { id: string; province: string }[] = [];
    for (const p of provinces) {
      const sites = (await cluster.api('GET', `/api/units/${p.code}/sites`)).body.sites as { id: string; kind: string }[];
      for (const s of sites.filter((x) => x.kind === 'commune').slice(0, 2)) communes.push({ id: s.id, province: p.code });
    }
    const startsAt = new Date(Date.now() + 2 * 60_000);
    const created = await cluster.api('POST', '/api/meetings', {
      title: 'Hội nghị trực tuyến qua ba máy chủ',
      hostSiteId,
      startsAt: startsAt.toISOString(),
      endsAt: new Date(startsAt.getTime() + 3_600_000).toISOString(),
      siteIds: communes.map((c) => c.id),
      allowConflicts: true,
    });
    expect(created.status).toBe(201);
    meetingId = created.body.id;
    for (const commune of communes) {
      const { join } = await mintMeetingTokens(db.db, { meetingId, siteId: commune.id, expiresAt: new Date(Date.now() + 3_600_000), purposes: ['join'] });
      tokens.push({ province: commune.province, token: join });
    }
  }, 300_000);

  afterAll(async () => {
    await cluster?.dispose();
    await db?.close();
  });

  it('carries the host to communes on two edges, the floor from one edge to the other, and moves an edge’s communes when it is killed', async () => {
    const { c: host, nodeId: hostNode } = await cluster.joinConsole(meetingId);
    expect(hostNode).toBe('main');

    const communes = [];
    for (const { token } of tokens) communes.push({ token, ...(await cluster.joinSite(token)) });
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
