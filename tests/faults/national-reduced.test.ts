/**
 * A national meeting, reduced to fit the test run: 300 communes of three provinces over three
 * processes (main, the origin with the host's console, and two media nodes), the provinces mapped
 * unevenly — one to edge A (100 communes), two to edge B (200). Every commune is placed through
 * the API and joins with its token over a real WebSocket; it opens a receive transport and sends
 * its RTP capabilities, as a page does before any media flows. The full size and the timings are
 * `npm run bench:national`'s; this proves the shape of the cascade only.
 *
 * Proven: every commune receives the host's camera and microphone; the host's console sees every
 * commune online; what crosses to an edge is the host's two producers, whatever the number of
 * sites there (measured from outside: the distinct producers of other nodes' sites that the
 * edge's sites are given, as piped producers keep their ids); the floor given to a commune on
 * edge A reaches every commune on edge B, and then edge B is given exactly the floor holder's two
 * producers more, edge A none.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestClient } from '../../sfu/test-fixtures.ts';
import { openTestDatabase, type TestDatabase } from '../support/database.ts';
import { mintJoinTokens, NodeCluster, publish } from '../support/node-cluster.ts';
import { inBatches } from '../support/synthetic-site.ts';

const SECRET = 'a-cascade-secret-for-the-national-test-0123';
const PER_PROVINCE = 100;
const JOINS_IN_FLIGHT = 8;
/** Notes for a whole roster can take a while on a shared machine: generous, and no figure is asserted. */
const NOTE_WAIT_MS = 60_000;

/** Waits for a condition over many sites' notes; the assertion after it says which sites fell short. */
async function until(cond: () => boolean): Promise<void> {
  const deadline = Date.now() + NOTE_WAIT_MS;
  while (!cond() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
}

interface Site {
  c: TestClient;
  nodeId: string;
  siteId: string;
}

describe('a national meeting, reduced: 300 communes over three nodes', () => {
  let db: TestDatabase;
  let cluster: NodeCluster;
  let meetingId: string;
  let hostSiteId: string;
  let tokens: { siteId: string; token: string }[] = [];

  beforeAll(async () => {
    db = await openTestDatabase('postgres');
    cluster = await NodeCluster.start({
      databaseUrl: db.url!,
      secret: SECRET,
      env: { SFU_WORKERS: '1', SFU_CASCADE_POLL_MS: '500', SFU_LOG_LEVEL: 'warn' },
      // more room than the edges': the host hall, which belongs to no province, is placed on main
      mainEnv: { SFU_MAX_SITES: '1000' },
      // clear of cascade-nodes.test.ts's slices (0–6), which may run at the same time
      firstSlice: 7,
    });
    await cluster.startNode('edge-a', { SFU_MAX_SITES: '400' });
    await cluster.startNode('edge-b', { SFU_MAX_SITES: '400' });
    // Three provinces of at least PER_PROVINCE communes each: one mapped to edge A, two to edge B.
    const provinces: string[] = [];
    const siteIds: string[] = [];
    for (const { code } of (await cluster.api('GET', '/api/units?level=province')).body.units as { code: string }[]) {
      if (provinces.length === 3) break;
      const sites = (await cluster.api('GET', `/api/units/${code}/sites`)).body.sites as { id: string; kind: string }[];
      const communes = sites.filter((s) => s.kind === 'commune');
      if (communes.length < PER_PROVINCE) continue;
      provinces.push(code);
      siteIds.push(...communes.slice(0, PER_PROVINCE).map((s) => s.id));
    }
    expect(provinces).toHaveLength(3);
    await cluster.mapProvince(provinces[0]!, 'edge-a');
    await cluster.mapProvince(provinces[1]!, 'edge-b');
    await cluster.mapProvince(provinces[2]!, 'edge-b');
    hostSiteId = ((await cluster.api('GET', '/api/sites?kind=hall&q=Chính phủ')).body.sites[0] as { id: string }).id;
    const startsAt = new Date(Date.now() + 2 * 60_000);
    const created = await cluster.api('POST', '/api/meetings', {
      title: 'Hội nghị trực tuyến toàn quốc (rút gọn)',
      hostSiteId,
      startsAt: startsAt.toISOString(),
      endsAt: new Date(startsAt.getTime() + 3_600_000).toISOString(),
      siteIds,
      allowConflicts: true,
    });
    expect(created.status).toBe(201);
    meetingId = created.body.id;
    tokens = await mintJoinTokens(db.db, meetingId, hostSiteId, new Date(Date.now() + 3_600_000));
    expect(tokens).toHaveLength(3 * PER_PROVINCE);
  }, 180_000);

  afterAll(async () => {
    await cluster?.dispose();
    await db?.close();
  });

  it('carries the host to every commune, each site’s state to the host, and the floor across edges, piping only what each edge needs', async () => {
    const host = await cluster.joinConsole(meetingId);
    expect(host.nodeId).toBe('main');
    const sites: Site[] = await inBatches(tokens, JOINS_IN_FLIGHT, ({ token }) => cluster.joinSite(token, { publish: false }));
    const byNode = new Map<string, Site[]>();
    for (const s of sites) byNode.set(s.nodeId, [...(byNode.get(s.nodeId) ?? []), s]);
    expect(byNode.get('edge-a')).toHaveLength(PER_PROVINCE);
    expect(byNode.get('edge-b')).toHaveLength(2 * PER_PROVINCE);

    const hasHost = (s: Site, source: string) => s.c.notes.some((n) => n.type === 'newConsumer' && n.data.siteId === host.siteId && n.data.source === source);
    await until(() => sites.every((s) => hasHost(s, 'camera') && hasHost(s, 'microphone')));
    expect(sites.filter((s) => !hasHost(s, 'camera') || !hasHost(s, 'microphone')).map((s) => `${s.nodeId} ${s.siteId}`)).toEqual([]);
    const online = new Set<string>();
    await until(() => {
      for (const n of host.c.notes) if (n.type === 'siteState' && n.data.online) online.add(n.data.siteId);
      return online.size >= sites.length;
    });
    expect(sites.filter((s) => !online.has(s.siteId)).map((s) => s.siteId)).toEqual([]);

    const nodeOf = new Map<string, string>([[host.siteId, 'main'], ...sites.map((s) => [s.siteId, s.nodeId] as const)]);
    /** The producers of other nodes' sites an edge's sites were given: what crossed to that edge. */
    const crossedTo = (nodeId: string) =>
      new Set(
        byNode
          .get(nodeId)!
          .flatMap((s) => s.c.notes)
          .flatMap((n) => (n.type === 'newConsumer' && nodeOf.get(n.data.siteId) !== nodeId ? [n.data.producerId] : [])),
      );
    const hostProducers = new Set(sites[0]!.c.notes.flatMap((n) => (n.type === 'newConsumer' && n.data.siteId === host.siteId ? [n.data.producerId] : [])));
    expect(hostProducers.size).toBe(2);
    expect(crossedTo('edge-a')).toEqual(hostProducers);
    expect(crossedTo('edge-b')).toEqual(hostProducers);

    // The floor to a commune of edge A: its microphone and camera reach every commune of edge B.
    const speaker = byNode.get('edge-a')![0]!;
    const speakerMedia = await publish(speaker.c);
    await host.c.ok('giveFloor', { siteId: speaker.siteId });
    const given = (s: Site, producerId: string) => s.c.notes.some((n) => n.type === 'newConsumer' && n.data.producerId === producerId);
    const edgeB = byNode.get('edge-b')!;
    await until(() => edgeB.every((s) => given(s, speakerMedia.microphone) && given(s, speakerMedia.camera)));
    expect(edgeB.filter((s) => !given(s, speakerMedia.microphone) || !given(s, speakerMedia.camera)).map((s) => s.siteId)).toEqual([]);
    expect(crossedTo('edge-b')).toEqual(new Set([...hostProducers, speakerMedia.microphone, speakerMedia.camera]));
    // Edge A's own sites take the floor holder's media where it is; nothing more crossed to A.
    const edgeA = byNode.get('edge-a')!.slice(1);
    await until(() => edgeA.every((s) => given(s, speakerMedia.microphone)));
    expect(edgeA.filter((s) => !given(s, speakerMedia.microphone)).map((s) => s.siteId)).toEqual([]);
    expect(crossedTo('edge-a')).toEqual(hostProducers);
  }, 150_000);
});
