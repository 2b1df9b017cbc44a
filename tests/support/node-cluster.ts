/**
 * Several server processes cascading one meeting, for fault tests and benches: the main server
 * (pages, API, and the media node "main") and media nodes (`SERVER_ROLE=media`), each
 * `node --import tsx server/main.ts`, against one PostgreSQL database, with the same
 * SFU_CASCADE_SECRET. Sites are placed through the API as the pages are (`/api/join/node`,
 * `/api/meetings/:id/console/node`) and speak the browser protocol over real WebSockets.
 *
 * Each node gets its own slice of SFU_RTC_MIN_PORT..MAX (pipe transports) and a free
 * SFU_WEBRTC_PORT_BASE, so nodes on one machine never race for a port.
 */
import { eq } from 'drizzle-orm';
import type { Database } from '../../db/client.ts';
import { meetingParticipants } from '../../db/schema.ts';
import { mintMessageLinkTokens } from '../../api/invites/site-tokens.ts';
import { TestClient, opusParameters, vp8SimulcastParameters } from '../../sfu/test-fixtures.ts';
import { freePort } from './postgres-server.ts';
import { ADMIN, api, signIn, startServerProcess, type ServerProcess } from './server-process.ts';

/** The RTC port range handed out to nodes, one slice each (kept below the ephemeral range). */
const RTC_PORTS = { min: 30_000, max: 32_599, slice: 200 };

/** Short enough for the tests' deadlines, long enough that a loaded machine's late heartbeat is no death. */
export const NODE_TIMING = {
  SFU_NODE_HEARTBEAT_MS: '500',
  SFU_NODE_DEAD_AFTER_MS: '2500',
  SFU_CASCADE_POLL_MS: '300',
};

/** SFU_RTC_MIN_PORT..MAX of slice `slice`. */
function rtcPorts(slice: number): Record<string, string> {
  const min = RTC_PORTS.min + slice * RTC_PORTS.slice;
  if (min + RTC_PORTS.slice - 1 > RTC_PORTS.max) throw new Error(`no RTC port slice ${slice} left in ${RTC_PORTS.min}..${RTC_PORTS.max}`);
  return { SFU_RTC_MIN_PORT: String(min), SFU_RTC_MAX_PORT: String(min + RTC_PORTS.slice - 1) };
}

/**
 * A media node process (`SERVER_ROLE=media`) registered as `id`, accepting the pages of
 * `pagesUrl`, on its own RTC port slice (NodeCluster starts its nodes with it; a test whose main
 * server runs in-process starts its edges with it directly).
 */
export async function startMediaNode(opts: {
  id: string;
  databaseUrl: string;
  pagesUrl: string;
  secret: string;
  slice: number;
  env?: Record<string, string>;
}): Promise<ServerProcess> {
  const port = await freePort();
  return startServerProcess(
    {
      ...rtcPorts(opts.slice),
      SFU_WEBRTC_PORT_BASE: String(await freePort()),
      SFU_CASCADE_SECRET: opts.secret,
      SERVER_ROLE: 'media',
      DATABASE_URL: opts.databaseUrl,
      SFU_NODE_ID: opts.id,
      SFU_NODE_URL: `ws://127.0.0.1:${port}/ws`,
      PUBLIC_URL: opts.pagesUrl,
      ...opts.env,
    },
    { port },
  );
}

export interface ClusterOptions {
  /** postgres:// URL every node shares. */
  databaseUrl: string;
  secret: string;
  /** Environment for every node (heartbeats, poll intervals, limits). */
  env?: Record<string, string>;
  /** Environment for the main server only. */
  mainEnv?: Record<string, string>;
  /** First RTC port slice to use (two clusters on one machine take different ones). */
  firstSlice?: number;
}

export interface Placed {
  status: number;
  body: { nodeId: string; signalingUrl: string };
}

export class NodeCluster {
  readonly nodes = new Map<string, ServerProcess>();
  readonly #clients = new Set<TestClient>();
  #slice: number;
  cookie = '';

  private constructor(
    readonly main: ServerProcess,
    private readonly opts: ClusterOptions,
    slice: number,
  ) {
    this.#slice = slice;
    this.nodes.set('main', main);
  }

  /** Starts the main server (node "main") and signs in as the admin. */
  static async start(opts: ClusterOptions): Promise<NodeCluster> {
    const slice = opts.firstSlice ?? 0;
    const main = await startServerProcess({
      ...opts.env,
      ...rtcPorts(slice),
      SFU_WEBRTC_PORT_BASE: String(await freePort()),
      SFU_CASCADE_SECRET: opts.secret,
      DATABASE_URL: opts.databaseUrl,
      SFU_NODE_ID: 'main',
      ...opts.mainEnv,
    });
    const cluster = new NodeCluster(main, opts, slice + 1);
    cluster.cookie = await signIn(main.url, ADMIN.email, ADMIN.password);
    return cluster;
  }

  /** Starts a media node (`SERVER_ROLE=media`) whose pages are main's. */
  async startNode(id: string, env: Record<string, string> = {}): Promise<ServerProcess> {
    const node = await startMediaNode({
      id,
      databaseUrl: this.opts.databaseUrl,
      pagesUrl: this.main.url,
      secret: this.opts.secret,
      slice: this.#slice++,
      env: { ...this.opts.env, ...env },
    });
    this.nodes.set(id, node);
    return node;
  }

  /** JSON over HTTP to main as the signed-in admin. */
  api(method: string, pathname: string, body?: unknown) {
    return api(this.main.url, this.cookie, method, pathname, body);
  }

  /** Maps a province's sites to a node, as the operator does on the nodes page. */
  async mapProvince(provinceCode: string, nodeId: string): Promise<void> {
    const mapped = await this.api('PUT', `/api/nodes/provinces/${provinceCode}`, { nodeId });
    if (mapped.status !== 200) throw new Error(`mapping ${provinceCode} to ${nodeId}: ${mapped.status} ${JSON.stringify(mapped.body)}`);
  }

  /** Where a commune's page is told to connect. */
  async placeSite(joinToken: string): Promise<Placed> {
    const response = await fetch(`${this.main.url}/api/join/node`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: this.main.url },
      body: JSON.stringify({ joinToken }),
    });
    return { status: response.status, body: (await response.json()) as Placed['body'] };
  }

  /** Where the host console is told to connect (the meeting's origin). */
  async placeConsole(meetingId: string): Promise<Placed> {
    return this.api('POST', `/api/meetings/${meetingId}/console/node`, {});
  }

  /** A page's socket: to the node it was placed on, from the pages' origin. Closed by dispose(). */
  async connect(signalingUrl: string, cookie?: string): Promise<TestClient> {
    const c = await TestClient.connect(signalingUrl, { headers: { origin: this.main.url, ...(cookie ? { cookie } : {}) } });
    this.#clients.add(c);
    void c.closed.then(() => this.#clients.delete(c));
    return c;
  }

  /**
   * The host hall's console: placed (or where `placed` says), joined, receiving, and publishing
   * microphone and camera. It takes over a console left open, as a secretariat who confirmed would.
   */
  async joinConsole(meetingId: string, placed?: Placed): Promise<{ c: TestClient; nodeId: string; siteId: string }> {
    placed ??= await this.placeConsole(meetingId);
    if (placed.status !== 200) throw new Error(`console placement: ${placed.status} ${JSON.stringify(placed.body)}`);
    const c = await this.connect(placed.body.signalingUrl, this.cookie);
    const joined = await c.ok('join', { meetingId, takeOver: true });
    await receive(c, joined);
    await publish(c);
    return { c, nodeId: placed.body.nodeId, siteId: joined.siteId as string };
  }

  /** A commune's page: placed through the API, joined with its token, receiving; publishing if asked. */
  async joinSite(joinToken: string, options: { publish?: boolean } = {}): Promise<{ c: TestClient; nodeId: string; siteId: string }> {
    const placed = await this.placeSite(joinToken);
    if (placed.status !== 200) throw new Error(`placement: ${placed.status} ${JSON.stringify(placed.body)}`);
    const c = await this.connect(placed.body.signalingUrl);
    const joined = await c.ok('join', { joinToken });
    await receive(c, joined);
    if (options.publish !== false) await publish(c);
    return { c, nodeId: placed.body.nodeId, siteId: joined.siteId as string };
  }

  /**
   * A meeting of the national hall with `perProvince` communes from each of the first provinces,
   * the i-th province mapped to `nodeIds[i]`, scheduled through the API; each commune's join
   * token as the dispatcher mints it.
   */
  async scheduleAcrossNodes(db: Database, nodeIds: readonly string[], perProvince: number) {
    const provinces = (await this.api('GET', '/api/units?level=province')).body.units.slice(0, nodeIds.length) as { code: string }[];
    const communes: { siteId: string; nodeId: string }[] = [];
    for (const [i, province] of provinces.entries()) {
      await this.mapProvince(province.code, nodeIds[i]!);
      const sites = (await this.api('GET', `/api/units/${province.code}/sites`)).body.sites as { id: string; kind: string }[];
      for (const s of sites.filter((x) => x.kind === 'commune').slice(0, perProvince)) communes.push({ siteId: s.id, nodeId: nodeIds[i]! });
    }
    const hall = (await this.api('GET', '/api/sites?kind=hall&q=Chính phủ')).body.sites[0] as { id: string };
    const startsAt = new Date(Date.now() + 2 * 60_000);
    const created = await this.api('POST', '/api/meetings', {
      title: 'Hội nghị trực tuyến qua nhiều máy chủ',
      hostSiteId: hall.id,
      startsAt: startsAt.toISOString(),
      endsAt: new Date(startsAt.getTime() + 3_600_000).toISOString(),
      siteIds: communes.map((c) => c.siteId),
      allowConflicts: true,
    });
    if (created.status !== 201) throw new Error(`scheduling: ${created.status} ${JSON.stringify(created.body)}`);
    const meetingId = created.body.id as string;
    const tokens = new Map((await mintJoinTokens(db, meetingId, hall.id, new Date(Date.now() + 3_600_000))).map((t) => [t.siteId, t.token]));
    return { meetingId, hostSiteId: hall.id, communes: communes.map((c) => ({ ...c, token: tokens.get(c.siteId)! })) };
  }

  /** Closes every socket and stops every node. Idempotent. */
  async dispose(): Promise<void> {
    for (const c of this.#clients) c.ws.terminate();
    this.#clients.clear();
    for (const [id, node] of [...this.nodes].reverse()) {
      this.nodes.delete(id);
      await node.dispose();
    }
  }
}

/** Resolves once `c` has a consumer of `siteId`'s `source` among its notes from index `since` on. */
export function consumes(c: TestClient, siteId: string, source: string, since = 0) {
  return c.note('newConsumer', (n) => c.notes.indexOf(n) >= since && n.data.siteId === siteId && n.data.source === source);
}

/** A receive transport and the browser's RTP capabilities (here: the router's own). */
export async function receive(c: TestClient, joined: { routerRtpCapabilities: unknown }): Promise<void> {
  await c.ok('createTransport', { direction: 'recv' });
  await c.ok('setRtpCapabilities', { rtpCapabilities: joined.routerRtpCapabilities as never });
}

let ssrc = 7000;
/** A send transport with a microphone and a simulcast camera, as a browser publishes them. */
export async function publish(c: TestClient): Promise<{ microphone: string; camera: string }> {
  const send = await c.ok('createTransport', { direction: 'send' });
  const microphone = await c.ok('produce', { transportId: send.transportId, kind: 'audio', source: 'microphone', rtpParameters: opusParameters((ssrc += 10)) });
  const camera = await c.ok('produce', { transportId: send.transportId, kind: 'video', source: 'camera', rtpParameters: vp8SimulcastParameters((ssrc += 10)) });
  return { microphone: microphone.producerId as string, camera: camera.producerId as string };
}

/** A join token for each of a meeting's participants but its host, in a few inserts. */
export async function mintJoinTokens(db: Database, meetingId: string, hostSiteId: string, expiresAt: Date): Promise<{ siteId: string; token: string }[]> {
  const rows = await db.select({ siteId: meetingParticipants.siteId }).from(meetingParticipants).where(eq(meetingParticipants.meetingId, meetingId));
  const siteIds = rows.map((r) => r.siteId).filter((id) => id !== hostSiteId);
  const tokens = await mintMessageLinkTokens(
    db,
    siteIds.map((siteId) => ({ meetingId, siteId, expiresAt })),
  );
  return siteIds.map((siteId, i) => ({ siteId, token: tokens[i]!.join }));
}
