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
import { TestClient, opusParameters, vp8SimulcastParameters } from '../../sfu/test-fixtures.ts';
import { openTestDatabase, type TestDatabase } from '../support/database.ts';
import { freePort } from '../support/postgres-server.ts';
import { ADMIN, api, signIn, startServerProcess, type ServerProcess } from '../support/server-process.ts';

const HEARTBEAT_MS = 300;
const DEAD_AFTER_MS = 1500;
const SECRET = 'a-cascade-secret-for-the-process-test-0123';
const RECONNECT_DEADLINE_MS = 10_000;

describe('a meeting across three processes', () => {
  let db: TestDatabase;
  let main: ServerProcess;
  const edges = new Map<string, ServerProcess>();
  const clients: TestClient[] = [];
  const nodeEnv = {
    SFU_NODE_HEARTBEAT_MS: String(HEARTBEAT_MS),
    SFU_NODE_DEAD_AFTER_MS: String(DEAD_AFTER_MS),
    SFU_CASCADE_SECRET: SECRET,
    SFU_CASCADE_POLL_MS: '300',
  };

  const startEdge = async (id: string) => {
    const port = await freePort();
    const edge = await startServerProcess(
      {
        ...nodeEnv,
        SERVER_ROLE: 'media',
        DATABASE_URL: db.url!,
        SFU_NODE_ID: id,
        SFU_NODE_URL: `ws://127.0.0.1:${port}/ws`,
        PUBLIC_URL: main.url,
        // smaller than main's: the host hall, placed where there is the most room, goes to main
        SFU_MAX_SITES: '250',
      },
      { port },
    );
    edges.set(id, edge);
  };

  /** A page's socket: to the node it was placed on, from the pages' origin. */
  const connect = async (signalingUrl: string, cookie?: string) => {
    const c = await TestClient.connect(signalingUrl, { headers: { origin: main.url, ...(cookie ? { cookie } : {}) } });
    clients.push(c);
    return c;
  };

  let ssrc = 7000;
  const receiveAndPublish = async (c: TestClient, joined: { routerRtpCapabilities: unknown }, publish: boolean) => {
    await c.ok('createTransport', { direction: 'recv' });
    await c.ok('setRtpCapabilities', { rtpCapabilities: joined.routerRtpCapabilities as never });
    if (!publish) return;
    const send = await c.ok('createTransport', { direction: 'send' });
    await c.ok('produce', { transportId: send.transportId, kind: 'audio', source: 'microphone', rtpParameters: opusParameters((ssrc += 10)) });
    await c.ok('produce', { transportId: send.transportId, kind: 'video', source: 'camera', rtpParameters: vp8SimulcastParameters((ssrc += 10)) });
  };

  const placeCommune = async (joinToken: string) => {
    const response = await fetch(`${main.url}/api/join/node`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: main.url },
      body: JSON.stringify({ joinToken }),
    });
    return { status: response.status, body: (await response.json()) as { nodeId: string; signalingUrl: string } };
  };

  const joinCommune = async (joinToken: string) => {
    const placed = await placeCommune(joinToken);
    expect(placed.status).toBe(200);
    const c = await connect(placed.body.signalingUrl);
    const joined = await c.ok('join', { joinToken });
    await receiveAndPublish(c, joined, true);
    return { c, nodeId: placed.body.nodeId, siteId: joined.siteId as string };
  };

  const consumes = (c: TestClient, siteId: string, source: string) => c.note('newConsumer', (n) => n.data.siteId === siteId && n.data.source === source);

  let cookie: string;
  let meetingId: string;
  let hostSiteId: string;
  const tokens: { province: string; token: string }[] = [];

  beforeAll(async () => {
    db = await openTestDatabase('postgres');
    main = await startServerProcess({ ...nodeEnv, DATABASE_URL: db.url!, SFU_NODE_ID: 'main' });
    await startEdge('edge-a');
    await startEdge('edge-b');
    cookie = await signIn(main.url, ADMIN.email, ADMIN.password);
    // Two provinces, each mapped to its edge; the national hall hosts.
    const provinces = (await api(main.url, cookie, 'GET', '/api/units?level=province')).body.units.slice(0, 2) as { code: string }[];
    expect((await api(main.url, cookie, 'PUT', `/api/nodes/provinces/${provinces[0]!.code}`, { nodeId: 'edge-a' })).status).toBe(200);
    expect((await api(main.url, cookie, 'PUT', `/api/nodes/provinces/${provinces[1]!.code}`, { nodeId: 'edge-b' })).status).toBe(200);
    const hall = (await api(main.url, cookie, 'GET', '/api/sites?kind=hall&q=Chính phủ')).body.sites[0] as { id: string };
    hostSiteId = hall.id;
    const communes: { id: string; province: string }[] = [];
    for (const p of provinces) {
      const sites = (await api(main.url, cookie, 'GET', `/api/units/${p.code}/sites`)).body.sites as { id: string; kind: string }[];
      for (const s of sites.filter((x) => x.kind === 'commune').slice(0, 2)) communes.push({ id: s.id, province: p.code });
    }
    const startsAt = new Date(Date.now() + 2 * 60_000);
    const created = await api(main.url, cookie, 'POST', '/api/meetings', {
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
    for (const c of clients) c.ws.terminate();
    for (const edge of edges.values()) await edge.dispose();
    await main?.dispose();
    await db?.close();
  });

  it('carries the host to communes on two edges, the floor from one edge to the other, and moves an edge’s communes when it is killed', async () => {
    const placed = await api(main.url, cookie, 'POST', `/api/meetings/${meetingId}/console/node`, {});
    expect(placed.body.nodeId).toBe('main');
    const host = await connect(placed.body.signalingUrl, cookie);
    const hostJoined = await host.ok('join', { meetingId });
    await receiveAndPublish(host, hostJoined, true);

    const communes = [];
    for (const { token } of tokens) communes.push({ token, ...(await joinCommune(token)) });
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
    edges.get('edge-a')!.child.kill('SIGKILL');
    await Promise.all([a1!.c.closed, a2!.c.closed]);
    const moved = await Promise.all(
      [a1!, a2!].map(async ({ token }) => {
        for (;;) {
          const again = await placeCommune(token);
          if (again.status === 200 && again.body.nodeId !== 'edge-a') break;
          if (Date.now() - killedAt > RECONNECT_DEADLINE_MS) throw new Error('still placed on the dead node');
          await new Promise((r) => setTimeout(r, 200));
        }
        const rejoined = await joinCommune(token);
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
