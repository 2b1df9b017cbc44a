/**
 * Several SFU nodes as processes, for the cascade's fault tests: the main server (pages, API,
 * its own media node) and media nodes (`SERVER_ROLE=media`) on one PostgreSQL with one cascade
 * secret, and sites that are placed through the API and join with the browser protocol, as the
 * pages do (without media: consumers are what these tests look at).
 */
import { mintMeetingTokens } from '../../api/invites/site-tokens.ts';
import { TestClient, opusParameters, vp8SimulcastParameters } from '../../sfu/test-fixtures.ts';
import type { TestDatabase } from './database.ts';
import { freePort } from './postgres-server.ts';
import { api, startServerProcess, type ServerProcess } from './server-process.ts';

/** Short enough for the tests' deadlines, long enough that a loaded machine's late heartbeat is no death. */
export const CASCADE_ENV = {
  SFU_NODE_HEARTBEAT_MS: '500',
  SFU_NODE_DEAD_AFTER_MS: '2500',
  SFU_CASCADE_SECRET: 'a-cascade-secret-for-the-node-tests-0123',
  SFU_CASCADE_POLL_MS: '300',
};

/** A media node process registered as `id`, accepting the pages of `pagesUrl`. */
export async function startMediaNode(id: string, databaseUrl: string, pagesUrl: string, env: Record<string, string> = {}): Promise<ServerProcess> {
  const port = await freePort();
  return startServerProcess(
    {
      ...CASCADE_ENV,
      SERVER_ROLE: 'media',
      DATABASE_URL: databaseUrl,
      SFU_NODE_ID: id,
      SFU_NODE_URL: `ws://127.0.0.1:${port}/ws`,
      PUBLIC_URL: pagesUrl,
      ...env,
    },
    { port },
  );
}

/** Sites joining through the API's placement, as their pages do. */
export class PlacedSites {
  readonly clients: TestClient[] = [];
  #ssrc = 7000;

  constructor(private readonly pagesUrl: string) {}

  /** A page's socket: to the node it was placed on, from the pages' origin. */
  async connect(signalingUrl: string, cookie?: string): Promise<TestClient> {
    const c = await TestClient.connect(signalingUrl, { headers: { origin: this.pagesUrl, ...(cookie ? { cookie } : {}) } });
    this.clients.push(c);
    return c;
  }

  /** A receive transport and the router's capabilities; with `publish`, a microphone and a camera too. */
  async receiveAndPublish(c: TestClient, joined: { routerRtpCapabilities: unknown }, publish: boolean): Promise<void> {
    await c.ok('createTransport', { direction: 'recv' });
    await c.ok('setRtpCapabilities', { rtpCapabilities: joined.routerRtpCapabilities as never });
    if (!publish) return;
    const send = await c.ok('createTransport', { direction: 'send' });
    await c.ok('produce', { transportId: send.transportId, kind: 'audio', source: 'microphone', rtpParameters: opusParameters((this.#ssrc += 10)) });
    await c.ok('produce', { transportId: send.transportId, kind: 'video', source: 'camera', rtpParameters: vp8SimulcastParameters((this.#ssrc += 10)) });
  }

  /** `POST /api/join/node` as the commune's page asks it. */
  async place(joinToken: string): Promise<{ status: number; body: { nodeId: string; signalingUrl: string } }> {
    const response = await fetch(`${this.pagesUrl}/api/join/node`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: this.pagesUrl },
      body: JSON.stringify({ joinToken }),
    });
    return { status: response.status, body: (await response.json()) as { nodeId: string; signalingUrl: string } };
  }

  /** Placed, connected, joined, publishing. */
  async joinCommune(joinToken: string): Promise<{ c: TestClient; nodeId: string; siteId: string }> {
    const placed = await this.place(joinToken);
    if (placed.status !== 200) throw new Error(`placement refused: ${placed.status} ${JSON.stringify(placed.body)}`);
    const c = await this.connect(placed.body.signalingUrl);
    const joined = await c.ok('join', { joinToken });
    await this.receiveAndPublish(c, joined, true);
    return { c, nodeId: placed.body.nodeId, siteId: joined.siteId as string };
  }

  /** The host console: placed (the meeting's origin), joined with the sign-in cookie, publishing. */
  async joinHost(meetingId: string, cookie: string, place: () => Promise<{ nodeId: string; signalingUrl: string }>) {
    const placed = await place();
    const c = await this.connect(placed.signalingUrl, cookie);
    const joined = await c.ok('join', { meetingId, takeOver: true });
    await this.receiveAndPublish(c, joined, true);
    return { c, nodeId: placed.nodeId, siteId: joined.siteId as string };
  }

  close(): void {
    for (const c of this.clients) c.ws.terminate();
  }
}

/** Resolves once `c` has a consumer of `siteId`'s `source` (after notification index `since`). */
export function consumes(c: TestClient, siteId: string, source: string, since = 0) {
  return c.note('newConsumer', (n) => c.notes.indexOf(n) >= since && n.data.siteId === siteId && n.data.source === source);
}

/**
 * A meeting of the national hall with `perProvince` communes from each of the first provinces,
 * the i-th province mapped by the operator to `nodes[i]`, scheduled through the API; each
 * commune's join token minted as the dispatcher mints it.
 */
export async function scheduleAcrossNodes(pagesUrl: string, cookie: string, db: TestDatabase, nodes: readonly string[], perProvince: number) {
  const provinces = (await api(pagesUrl, cookie, 'GET', '/api/units?level=province')).body.units.slice(0, nodes.length) as { code: string }[];
  const communes: { id: string; nodeId: string }[] = [];
  for (const [i, province] of provinces.entries()) {
    const nodeId = nodes[i]!;
    const mapped = await api(pagesUrl, cookie, 'PUT', `/api/nodes/provinces/${province.code}`, { nodeId });
    if (mapped.status !== 200) throw new Error(`mapping ${province.code} to ${nodeId}: ${mapped.status}`);
    const sites = (await api(pagesUrl, cookie, 'GET', `/api/units/${province.code}/sites`)).body.sites as { id: string; kind: string }[];
    for (const s of sites.filter((x) => x.kind === 'commune').slice(0, perProvince)) communes.push({ id: s.id, nodeId });
  }
  const hall = (await api(pagesUrl, cookie, 'GET', '/api/sites?kind=hall&q=Chính phủ')).body.sites[0] as { id: string };
  const startsAt = new Date(Date.now() + 2 * 60_000);
  const created = await api(pagesUrl, cookie, 'POST', '/api/meetings', {
    title: 'Hội nghị trực tuyến qua nhiều máy chủ',
    hostSiteId: hall.id,
    startsAt: startsAt.toISOString(),
    endsAt: new Date(startsAt.getTime() + 3_600_000).toISOString(),
    siteIds: communes.map((c) => c.id),
    allowConflicts: true,
  });
  if (created.status !== 201) throw new Error(`scheduling: ${created.status} ${JSON.stringify(created.body)}`);
  const meetingId = created.body.id as string;
  const tokens: { nodeId: string; token: string }[] = [];
  for (const commune of communes) {
    const { join } = await mintMeetingTokens(db.db, { meetingId, siteId: commune.id, expiresAt: new Date(Date.now() + 3_600_000), purposes: ['join'] });
    tokens.push({ nodeId: commune.nodeId, token: join });
  }
  return { meetingId, hostSiteId: hall.id, tokens };
}
