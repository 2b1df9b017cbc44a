/**
 * The signaling server: the `/ws` WebSocket endpoint on the app's HTTP server, and the registry
 * of meeting rooms behind it.
 *
 * It owns the signaling connections (one per socket), the rooms (one per meeting, created on the first join,
 * closed when the last peer leaves), the heartbeat that drops dead sockets, the periodic line
 * quality samples, and the translation of room events into attendance events and socket ends.
 * The app injects who may join (SignalingAuthenticator) and where attendance goes
 * (AttendanceSink); it can revoke a site and shut everything down.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocketServer } from 'ws';
import { AttendanceReporter, type AttendanceSink } from './attendance-reporter.ts';
import type { SfuConfig } from './config.ts';
import { Room, type RoomEvents } from './room.ts';
import { SignalingConnection, type AuthRequest, type SiteIdentity } from './signaling-connection.ts';
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
}

export interface SignalingOptions {
  pool: WorkerPool;
  config: SfuConfig;
  authenticator: SignalingAuthenticator;
  attendanceSink: AttendanceSink;
  log: Logger;
  /** URL path of the endpoint. */
  path?: string;
  /** If set, upgrades whose Origin header is not listed are refused (cookie-authenticated hosts). */
  allowedOrigins?: readonly string[];
}

/** A socket that has not joined by then is closed. */
const JOIN_TIMEOUT_MS = 15_000;
const MAX_FRAME_BYTES = 256 * 1024;

interface RoomEntry {
  opening: Promise<Room>;
  room?: Room;
}

export class SignalingServer {
  readonly #wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
  readonly #connections = new Map<string, SignalingConnection>();
  readonly #rooms = new Map<string, RoomEntry>();
  readonly #attendance: AttendanceReporter;
  readonly #timers: NodeJS.Timeout[] = [];
  readonly #unsubscribe: () => void;
  readonly #log: Logger;
  readonly #path: string;
  #closed = false;

  constructor(private readonly opts: SignalingOptions) {
    this.#log = opts.log.child({ component: 'signaling' });
    this.#path = opts.path ?? '/ws';
    this.#attendance = new AttendanceReporter(opts.attendanceSink, this.#log);
    this.#unsubscribe = opts.pool.onWorkerDied(({ pid }) => {
      for (const { room } of this.#rooms.values()) room?.workerDied(pid);
    });
    this.#timers.push(
      setInterval(() => this.#heartbeat(), opts.config.heartbeatIntervalMs),
      setInterval(() => this.#sampleQuality(), opts.config.qualityIntervalMs),
    );
    for (const t of this.#timers) t.unref();
  }

  /** Serves the endpoint on `server`'s upgrade requests for our path; others are left alone. */
  attach(server: Server): void {
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (url.pathname !== this.#path) return;
      this.handleUpgrade(req, socket, head);
    });
  }

  /** For apps that route upgrades themselves. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const refuse = (status: string) => {
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if (this.#closed) return refuse('503 Service Unavailable');
    const origin = req.headers.origin;
    if (this.opts.allowedOrigins && (!origin || !this.opts.allowedOrigins.includes(origin))) {
      return refuse('403 Forbidden');
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    const meetingId = url.searchParams.get('meetingId') ?? undefined;
    const cookieHeader = req.headers.cookie;
    this.#wss.handleUpgrade(req, socket, head, (ws) => {
      const connection = new SignalingConnection(
        ws,
        { ...(cookieHeader !== undefined ? { cookieHeader } : {}), ...(meetingId !== undefined ? { meetingId } : {}) },
        {
          authenticate: (r) => this.opts.authenticator.authenticate(r),
          join: (identity, s) => this.#join(identity, s),
          onClosed: (s) => this.#connections.delete(s.connectionId),
          log: this.#log,
        },
      );
      this.#connections.set(connection.connectionId, connection);
      setTimeout(() => {
        if (!connection.joined) connection.close(CloseCode.unauthorized, 'join timeout');
      }, JOIN_TIMEOUT_MS).unref();
    });
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
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
  }

  async #join(identity: SiteIdentity, connection: SignalingConnection) {
    // A room can close (emptied, failed) between being looked up and being joined: retry once or twice.
    for (let attempt = 0; ; attempt++) {
      const room = await this.#openRoom(identity.meetingId);
      try {
        const peer = await room.join(
          { ...identity, connectionId: connection.connectionId },
          (note) => connection.notify(note),
        );
        return { room, peer };
      } catch (err) {
        if (!room.closed || attempt >= 2) throw err;
      }
    }
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
      (room) => (entry.room = room),
      () => {
        if (this.#rooms.get(meetingId) === entry) this.#rooms.delete(meetingId);
      },
    );
    return entry.opening;
  }

  #roomEvents(meetingId: string): RoomEvents {
    return {
      peerConnected: (peer) =>
        this.#attendance.joined({ connectionId: peer.connectionId, meetingId, siteId: peer.siteId }),
      peerClosed: (peer, cause) => {
        this.#attendance.left(peer.connectionId, cause);
        this.#connections.get(peer.connectionId)?.detach(cause);
      },
      floorChanged: (kind, siteId, eventId) => this.#attendance.floor(kind, meetingId, siteId, eventId),
      closed: (room) => {
        const entry = this.#rooms.get(meetingId);
        if (entry?.room === room) this.#rooms.delete(meetingId);
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
