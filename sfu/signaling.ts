/**
 * The signaling server: the `/ws` WebSocket endpoint on the app's HTTP server, and the registry
 * of meeting rooms behind it.
 *
 * It owns the signaling connections (one per socket), the rooms (one per meeting, created on the first join,
 * closed when the last peer leaves), the heartbeat that drops dead sockets, the periodic line
 * quality samples, and the translation of room events into attendance events and socket ends.
 * The app injects who may join (SignalingAuthenticator) and where attendance goes
 * (AttendanceSink); it can revoke a site and shut everything down.
 *
 * It is the first code that sees a stranger's upgrade request, so nothing there may throw or
 * leave a socket behind: every upgrade is answered (101, or 400/403/404/503 and closed), and
 * WebSockets are capped per client address and in all (config.limits), and sites per node
 * (config.maxSites: the next site is refused with `capacity`).
 */
import { STATUS_CODES, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocketServer } from 'ws';
import type { AnnouncedAddress } from './announced-address.ts';
import { AttendanceReporter, type AttendanceSink } from './attendance-reporter.ts';
import { CASCADE_MAX_FRAME_BYTES, CASCADE_PATH, CascadeChannel, CascadeGate } from './cascade/channel.ts';
import { type CascadeOptions, RoomCoordinator } from './cascade/coordinator.ts';
import type { PipeListenInfo } from './cascade/pipe-link.ts';
import { CascadeCloseCode, EdgeFrame, type OriginFrame } from './cascade/protocol.ts';
import { rtcListenInfo, type SfuConfig } from './config.ts';
import { capacity } from './errors.ts';
import { Rehearsal } from './rehearsal.ts';
import { Room, type RoomEvents } from './room.ts';
import { turnIceServers } from './turn.ts';
import { SignalingConnection, type AuthRequest, type JoiningTab, type SiteIdentity } from './signaling-connection.ts';
import { CloseCode } from './protocol.ts';
import type { WorkerPool } from './worker-pool.ts';

export type { AttendanceSink } from './attendance-reporter.ts';
export type { AuthRequest, SiteIdentity } from './signaling-connection.ts';

/**
 * Implemented by the app. Resolve with who is joining, or throw a SignalingError
 * ('unauthorized' for an unknown/expired token or no sign-in, 'forbidden' for a valid credential
 * that does not admit to `meetingId`). Any other error is logged and answered as 'internal'.
 */
export interface SignalingAuthenticator {
  authenticate(req: AuthRequest): Promise<SiteIdentity>;
  /**
   * A rehearsal (device check) with a site's readiness token: resolve with the site it speaks for
   * (any time from its invitation to the meeting's end), or throw a SignalingError like above.
   */
  authenticateRehearsal(readinessToken: string): Promise<SiteIdentity>;
}

export interface SignalingOptions {
  pool: WorkerPool;
  /** Puts the current announced IP into the ICE candidates sent to browsers. */
  announced?: AnnouncedAddress;
  config: SfuConfig;
  authenticator: SignalingAuthenticator;
  attendanceSink: AttendanceSink;
  log: Logger;
  /** URL path of the endpoint. */
  path?: string;
  /** If set, upgrades whose Origin header is not listed are refused (cookie-authenticated hosts). */
  allowedOrigins?: readonly string[];
  /**
   * Behind one reverse proxy (the app's TRUST_PROXY): the per-address cap counts the last
   * X-Forwarded-For entry, the one the proxy appended, not the proxy's own address.
   */
  trustProxy?: boolean;
  /** Several nodes: link this node's rooms to the other nodes' (sfu/cascade). Absent: a single node. */
  cascade?: CascadeOptions;
}

/** How long a node takes to send all its sites elsewhere when the operator moves them (moveSites). */
const MOVE_SPREAD_MS = 5000;

/** An edge that opened the cascade socket must ask for its link within this time. */
const CASCADE_LINK_WAIT_MS = 10_000;

const MAX_FRAME_BYTES = 256 * 1024;
/** A rehearsal's test connection lasts a few seconds; this is its ceiling, whatever the browser does. */
export const REHEARSAL_MAX_MS = 60_000;
/** A refused upgrade's socket is cut this long after the answer, whether or not the client closes. */
const REFUSE_LINGER_MS = 1000;

/**
 * The path of an origin-form request target (`/ws?meetingId=…`), or undefined for anything a
 * browser would not send: `//host/…` (which URL would read as a host), absolute-form, `*`,
 * or a target URL cannot parse.
 */
export function requestPath(target: string | undefined): { pathname: string; searchParams: URLSearchParams } | undefined {
  if (target?.[0] !== '/' || target[1] === '/' || target[1] === '\\') return undefined;
  try {
    const url = new URL(target, 'http://localhost');
    return { pathname: url.pathname, searchParams: url.searchParams };
  } catch {
    return undefined;
  }
}

/** Answers an upgrade request that will not be served, and makes sure its socket ends. */
function refuseUpgrade(socket: Duplex, status: 400 | 403 | 404 | 503, headers: Record<string, string> = {}): void {
  if (socket.destroyed) return;
  const lines = [`HTTP/1.1 ${status} ${STATUS_CODES[status]}`, 'Connection: close', 'Content-Length: 0'];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  socket.end(`${lines.join('\r\n')}\r\n\r\n`);
  // end() only half-closes, and the HTTP server allows half-open sockets: drain what the client
  // still sends and cut the socket if it does not close its side.
  socket.resume();
  setTimeout(() => socket.destroy(), REFUSE_LINGER_MS).unref();
}

/** The upgrade socket has lost the HTTP server's error listener: a reset must not become an uncaught error. */
function ignoreSocketError(): void {}

interface RoomEntry {
  opening: Promise<Room>;
  room?: Room;
  coordinator?: RoomCoordinator;
}

export class SignalingServer {
  // autoPong off: the connection answers ping frames itself, within its frame budget.
  readonly #wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES, autoPong: false });
  /** Other nodes' cascade sockets (sfu/cascade): authenticated by the shared secret, never by a browser's credentials. */
  readonly #cascadeWss = new WebSocketServer({ noServer: true, maxPayload: CASCADE_MAX_FRAME_BYTES });
  readonly #cascadeGate: CascadeGate;
  readonly #connections = new Map<string, SignalingConnection>();
  readonly #rooms = new Map<string, RoomEntry>();
  /** Rehearsals under way: outside every room, but they load the node like a site. */
  readonly #rehearsals = new Set<Rehearsal>();
  /** Upgraded (or upgrading) sockets, in all and per client address, for the caps. */
  #sockets = 0;
  readonly #socketsByAddress = new Map<string, number>();
  readonly #attendance: AttendanceReporter;
  readonly #timers: NodeJS.Timeout[] = [];
  readonly #unsubscribe: () => void;
  readonly #log: Logger;
  readonly #path: string;
  #closed = false;

  constructor(private readonly opts: SignalingOptions) {
    this.#log = opts.log.child({ component: 'signaling' });
    this.#path = opts.path ?? '/ws';
    this.#attendance = new AttendanceReporter(opts.attendanceSink, this.#log, opts.config.node.id);
    this.#cascadeGate = new CascadeGate(opts.cascade?.secret);
    this.#unsubscribe = opts.pool.onWorkerDied(({ pid }) => {
      for (const { room } of this.#rooms.values()) room?.workerDied(pid);
    });
    this.#timers.push(
      setInterval(() => this.#heartbeat(), opts.config.heartbeatIntervalMs),
      setInterval(() => this.#sampleQuality(), opts.config.qualityIntervalMs),
    );
    for (const t of this.#timers) t.unref();
  }

  /**
   * Takes every upgrade request of `server`: our path is served, any other path gets 404 and a
   * malformed target 400 (the app has no other WebSocket endpoint; an upgrade nobody answers
   * would hold its socket forever, since Node drops the HTTP timeouts once it hands it over).
   */
  attach(server: Server): void {
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      socket.on('error', ignoreSocketError);
      const target = requestPath(req.url);
      if (!target) return refuseUpgrade(socket, 400);
      if (target.pathname === CASCADE_PATH) return this.handleCascadeUpgrade(req, socket, head);
      if (target.pathname !== this.#path) return refuseUpgrade(socket, 404);
      this.handleUpgrade(req, socket, head);
    });
  }

  /** For apps that route upgrades themselves. Never throws; every request is answered. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', ignoreSocketError);
    if (this.#closed) return refuseUpgrade(socket, 503);
    const target = requestPath(req.url);
    if (!target) return refuseUpgrade(socket, 400);
    const origin = req.headers.origin;
    if (this.opts.allowedOrigins && (!origin || !this.opts.allowedOrigins.includes(origin))) {
      return refuseUpgrade(socket, 403);
    }
    const address = this.#clientAddress(req);
    if (!address) return refuseUpgrade(socket, 400);
    const { maxConnections, maxConnectionsPerAddress, joinTimeoutMs } = this.opts.config.limits;
    const fromAddress = this.#socketsByAddress.get(address) ?? 0;
    if (this.#sockets >= maxConnections || fromAddress >= maxConnectionsPerAddress) {
      this.#log.warn({ address, fromAddress, sockets: this.#sockets }, 'websocket refused: connection cap reached');
      return refuseUpgrade(socket, 503, { 'Retry-After': '30' });
    }
    // Counted from here until the socket closes, whether or not the handshake succeeds.
    this.#sockets++;
    this.#socketsByAddress.set(address, fromAddress + 1);
    socket.once('close', () => {
      this.#sockets--;
      const left = (this.#socketsByAddress.get(address) ?? 1) - 1;
      if (left > 0) this.#socketsByAddress.set(address, left);
      else this.#socketsByAddress.delete(address);
    });
    const meetingId = target.searchParams.get('meetingId') ?? undefined;
    const cookieHeader = req.headers.cookie;
    this.#wss.handleUpgrade(req, socket, head, (ws) => {
      const connection = new SignalingConnection(
        ws,
        { ...(cookieHeader !== undefined ? { cookieHeader } : {}), ...(meetingId !== undefined ? { meetingId } : {}) },
        {
          authenticate: (r) => this.opts.authenticator.authenticate(r),
          authenticateRehearsal: (token) => this.opts.authenticator.authenticateRehearsal(token),
          join: (identity, s, tab) => this.#join(identity, s, tab),
          rehearse: (identity, s, onEnded) => this.#rehearse(identity, s, onEnded),
          onClosed: (s) => {
            this.#connections.delete(s.connectionId);
            clearTimeout(joinTimer);
          },
          limits: this.opts.config.limits,
          iceServers: (siteId) => turnIceServers(this.opts.config.turn, siteId),
          announce: (candidates) => this.opts.announced?.rewrite(candidates) ?? [...candidates],
          log: this.#log,
        },
      );
      this.#connections.set(connection.connectionId, connection);
      const joinTimer = setTimeout(() => {
        if (!connection.admitted) connection.close(CloseCode.unauthorized, 'join timeout');
      }, joinTimeoutMs).unref();
    });
  }

  /**
   * Another node's cascade socket: admitted only with a valid signature of the shared secret
   * (403 otherwise, and always when this node has no secret); its first frame must ask for a link.
   */
  handleCascadeUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', ignoreSocketError);
    if (this.#closed) return refuseUpgrade(socket, 503);
    const nodeId = this.#cascadeGate.admit(req);
    if (!nodeId || nodeId === this.opts.cascade?.nodeId) {
      this.#log.warn({ address: req.socket.remoteAddress }, 'cascade upgrade refused: not signed by a node of ours');
      return refuseUpgrade(socket, 403);
    }
    this.#cascadeWss.handleUpgrade(req, socket, head, (ws) => {
      const log = this.#log.child({ edge: nodeId });
      const channel = new CascadeChannel<EdgeFrame, OriginFrame>(ws, EdgeFrame, log);
      const wait = setTimeout(() => channel.close(CascadeCloseCode.protocolError, 'no link request'), CASCADE_LINK_WAIT_MS).unref();
      channel.onFrame((frame) => {
        if (frame.type !== 'link' || frame.data.nodeId !== nodeId) return channel.close(CascadeCloseCode.protocolError, 'link first');
        clearTimeout(wait);
        channel.onFrame(() => {}); // the origin's cascade takes the frames from here
        this.#acceptLink(channel, frame.id, nodeId, frame.data).catch((err: unknown) => {
          log.warn({ err, meetingId: frame.data.meetingId }, 'cascade link refused');
          channel.send({ id: frame.id, type: 'response', ok: false, error: 'link failed' });
          channel.close(CascadeCloseCode.protocolError, 'link failed');
        });
      });
    });
  }

  async #acceptLink(channel: CascadeChannel<EdgeFrame, OriginFrame>, requestId: number, nodeId: string, link: Extract<EdgeFrame, { type: 'link' }>['data']) {
    await this.#openRoom(link.meetingId);
    const entry = this.#rooms.get(link.meetingId);
    if (!entry?.coordinator) throw new Error('this node does not cascade');
    // the room's first look decides whether it is the origin
    await entry.coordinator.look();
    await entry.coordinator.accept(channel, requestId, nodeId, link.pipe);
  }

  /** How pipe transports to other nodes listen: the RTC port range, announced as browsers see this node. */
  #pipeListenInfo(): PipeListenInfo {
    const announced = this.opts.announced?.current ?? this.opts.config.announcedAddress;
    return { ...rtcListenInfo(this.opts.config), ...(announced ? { announcedAddress: announced } : {}) };
  }

  #clientAddress(req: IncomingMessage): string | undefined {
    if (this.opts.trustProxy) {
      const header = req.headers['x-forwarded-for'];
      const forwarded = (Array.isArray(header) ? header.at(-1) : header)?.split(',').at(-1)?.trim();
      if (forwarded) return forwarded;
    }
    return req.socket.remoteAddress;
  }

  /**
   * The app revoked a site's access (token withdrawn): its connections end now, reported as
   * `kicked`. Returns how many connections were closed.
   */
  revokeSite(meetingId: string, siteId: string): number {
    let n = 0;
    for (const connection of this.#connections.values()) {
      const id = connection.identity;
      if (id && id.meetingId === meetingId && id.siteId === siteId) {
        connection.kick('revoked');
        n++;
      }
    }
    return n;
  }

  /**
   * The operator moved this node's sites to other nodes (maintenance): each is told to rejoin,
   * which its page does by asking the API where to go, and leaves with cause `shutdown`. Spread
   * over `spreadMs` so that hundreds of sites do not ask for a place in the same instant.
   */
  moveSites(spreadMs = MOVE_SPREAD_MS): number {
    let n = 0;
    for (const { room } of this.#rooms.values()) {
      if (!room || room.closed) continue;
      for (const peer of [...room.peers()]) {
        if (peer.remote) continue;
        n++;
        setTimeout(() => {
          if (peer.closed || room.closed) return;
          peer.send({ type: 'rejoin', data: { reason: 'maintenance' } });
          room.leave(peer, 'shutdown');
        }, Math.random() * spreadMs).unref();
      }
    }
    this.#log.info({ sites: n, spreadMs }, 'sites told to move to other nodes');
    return n;
  }

  /** Sites in (or joining) every room of this node, the count SFU_MAX_SITES limits. */
  siteCount(): number {
    let n = 0;
    for (const { room } of this.#rooms.values()) if (room && !room.closed) n += room.size;
    return n + this.#rehearsals.size;
  }

  /** Rehearsals under way on this node (diagnostics and tests). */
  rehearsalCount(): number {
    return this.#rehearsals.size;
  }

  /** The live room of a meeting (diagnostics and tests). */
  room(meetingId: string): Room | undefined {
    return this.#rooms.get(meetingId)?.room;
  }

  /**
   * Shutdown: every open attendance interval is closed with cause `shutdown`, every socket is
   * told and closed, and the returned promise waits until the attendanceSink has everything.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const t of this.#timers) clearInterval(t);
    this.#unsubscribe();
    const rooms = await Promise.allSettled([...this.#rooms.values()].map((e) => e.opening));
    for (const r of rooms) {
      if (r.status !== 'fulfilled') continue;
      for (const peer of r.value.peers()) peer.send({ type: 'shutdown', data: {} });
      r.value.close('shutdown');
    }
    for (const connection of this.#connections.values()) connection.close(CloseCode.serviceRestart, 'shutdown');
    await this.#attendance.flush();
    for (const ws of this.#cascadeWss.clients) ws.close(CascadeCloseCode.shutdown, 'shutdown');
    await new Promise<void>((resolve) => this.#cascadeWss.close(() => resolve()));
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
  }

  async #join(identity: SiteIdentity, connection: SignalingConnection, tab: JoiningTab) {
    // A room can close (emptied, failed) between being looked up and being joined: retry once or twice.
    for (let attempt = 0; ; attempt++) {
      const room = await this.#openRoom(identity.meetingId);
      // Checked and counted in one tick: room.join counts the site as pending before it awaits.
      // A site replacing its own connection is no new load.
      if (identity.role !== 'host' && !room.peerBySite(identity.siteId) && this.siteCount() >= this.opts.config.maxSites) {
        this.#log.warn({ meetingId: identity.meetingId, maxSites: this.opts.config.maxSites }, 'site refused: node at capacity');
        throw capacity('this conference server is full');
      }
      try {
        const peer = await room.join({ ...identity, ...tab, connectionId: connection.connectionId }, (note) => connection.notify(note));
        return { room, peer };
      } catch (err) {
        if (!room.closed || attempt >= 2) throw err;
      }
    }
  }

  async #rehearse(identity: SiteIdentity, connection: SignalingConnection, onEnded: (reason: 'time-up' | 'server-failure') => void): Promise<Rehearsal> {
    if (this.siteCount() >= this.opts.config.maxSites) {
      this.#log.warn({ meetingId: identity.meetingId, maxSites: this.opts.config.maxSites }, 'rehearsal refused: node at capacity');
      throw capacity('this conference server is full');
    }
    const rehearsal = await Rehearsal.create({
      identity,
      connectionId: connection.connectionId,
      pool: this.opts.pool,
      maxDurationMs: REHEARSAL_MAX_MS,
      onEnded,
      log: this.#log,
    });
    this.#rehearsals.add(rehearsal);
    rehearsal.router.observer.once('close', () => this.#rehearsals.delete(rehearsal));
    return rehearsal;
  }

  #openRoom(meetingId: string): Promise<Room> {
    const existing = this.#rooms.get(meetingId);
    if (existing && !existing.room?.closed) return existing.opening;
    const entry: RoomEntry = {
      opening: Room.create({
        meetingId,
        pool: this.opts.pool,
        config: this.opts.config,
        events: this.#roomEvents(meetingId),
        log: this.#log,
      }),
    };
    this.#rooms.set(meetingId, entry);
    entry.opening.then(
      (room) => {
        entry.room = room;
        const cascade = this.opts.cascade;
        if (cascade) {
          entry.coordinator = new RoomCoordinator(room, cascade, () => this.#pipeListenInfo(), this.#log.child({ meetingId }));
          void entry.coordinator.start();
        }
      },
      () => {
        if (this.#rooms.get(meetingId) === entry) this.#rooms.delete(meetingId);
      },
    );
    return entry.opening;
  }

  #roomEvents(meetingId: string): RoomEvents {
    return {
      peerConnected: (peer) => this.#attendance.joined({ connectionId: peer.connectionId, meetingId, siteId: peer.siteId }),
      peerClosed: (peer, cause) => {
        this.#attendance.left(peer.connectionId, cause);
        this.#connections.get(peer.connectionId)?.detach(cause);
      },
      floorChanged: (kind, siteId, eventId) => this.#attendance.floor(kind, meetingId, siteId, eventId),
      closed: (room) => {
        const entry = this.#rooms.get(meetingId);
        if (entry?.room === room) {
          entry.coordinator?.close();
          this.#rooms.delete(meetingId);
        }
      },
    };
  }

  #heartbeat(): void {
    for (const connection of this.#connections.values()) {
      if (!connection.alive) {
        connection.heartbeatLost();
        continue;
      }
      connection.alive = false;
      connection.ping();
    }
  }

  #sampleQuality(): void {
    for (const connection of this.#connections.values()) {
      const peer = connection.peer;
      if (!peer || !this.#attendance.isOpen(peer.connectionId)) continue;
      peer.sampleQuality().then(
        (sample) => this.#attendance.quality(peer.connectionId, sample),
        (err: unknown) => {
          if (!peer.closed) this.#log.warn({ err, connectionId: peer.connectionId }, 'quality sample failed');
        },
      );
    }
  }
}
