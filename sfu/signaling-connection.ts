/**
 * A signaling connection: one browser's WebSocket. It parses every frame against the protocol, answers
 * malformed ones with a typed error (never throwing), authenticates on `join`, and dispatches
 * requests, one at a time and in order, to its room and peer.
 *
 * It also keeps one browser from costing the server more than its share: frames are admitted
 * at a steady rate into a bounded queue (one too many: a `rate-limited` error, then the socket
 * is closed with CloseCode.rateLimited), nothing but `join`, `rehearse` and `ping` is served
 * before join,
 * hand raises and lowers (each broadcast to every site) have their own budget, and a browser
 * that stops reading is closed instead of buffering without end.
 *
 * A connection may instead `rehearse` (the device check from a site's readiness link): it then
 * holds a Rehearsal, outside any room, and serves only the rehearsal's few requests.
 *
 * Sessions do not know the server that owns them: it passes in `join` (authenticate and enter
 * a room) and `rehearse`, and learns of the socket's end through `onClosed`.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { WebSocket, type RawData } from 'ws';
import type { types as ms } from 'mediasoup';
import { z } from 'zod';
import type { LeaveCause } from '../db/attendance-event.ts';
import type { SignalingLimits } from './config.ts';
import { SignalingError, forbidden, invalidState, unauthorized } from './errors.ts';
import type { Peer } from './peer.ts';
import {
  ClientRequest,
  CloseCode,
  RequestId,
  Role,
  assertNever,
  hostOnlyRequests,
  rehearsalRequests,
  type ErrorCode,
  type IceServer,
  type RequestData,
  type ResponseDataOf,
  type RtpCapabilities,
  type ServerMessage,
  type ServerNotification,
} from './protocol.ts';
import type { Rehearsal } from './rehearsal.ts';
import type { Room } from './room.ts';

/** What the app's authenticator must establish about a connection. */
export const SiteIdentity = z.object({
  meetingId: z.uuid(),
  siteId: z.uuid(),
  siteName: z.string().min(1).max(300),
  role: Role,
  /** The connection is closed (kicked, reason `expired`) at this time. */
  validUntil: z.date(),
});
export type SiteIdentity = z.infer<typeof SiteIdentity>;

/** What the joining browser tab says about itself (see the `join` request). */
export interface JoiningTab {
  clientId?: string | undefined;
  takeOver?: boolean | undefined;
}

export interface AuthRequest {
  /** A commune's join token from its invite link (sent in the `join` message). */
  joinToken?: string;
  /** The Cookie header of the WebSocket upgrade request (the secretariat's sign-in cookie). */
  cookieHeader?: string;
  /** The meeting the client asks to join (from `join`, else the `?meetingId=` of the URL). */
  meetingId?: string;
}

export interface SignalingConnectionDeps {
  authenticate(req: AuthRequest): Promise<SiteIdentity>;
  /** Who a readiness token speaks for (a rehearsal); refuses like `authenticate`. */
  authenticateRehearsal(readinessToken: string): Promise<SiteIdentity>;
  /** Starts a rehearsal for this connection; `onEnded` when it ends by itself. */
  rehearse(identity: SiteIdentity, connection: SignalingConnection, onEnded: (reason: 'time-up' | 'server-failure') => void): Promise<Rehearsal>;
  join(identity: SiteIdentity, connection: SignalingConnection, tab: JoiningTab): Promise<{ room: Room; peer: Peer }>;
  onClosed(connection: SignalingConnection): void;
  limits: SignalingLimits;
  /** TURN servers (with fresh credentials) for a site's join reply. */
  iceServers(siteId: string): IceServer[];
  /** The transport's ICE candidates as the browser gets them (the announced address resolved). */
  announce<C extends { ip: string; address?: string }>(candidates: readonly C[]): C[];
  log: Logger;
}

const MAX_FAILED_JOINS = 5;
/** setTimeout's limit; a longer validity is re-armed when it fires. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** After the server sends its close frame, how long the browser has to answer before the socket is cut. */
const CLOSE_GRACE_MS = 3000;
/** Bytes of frames waiting on one connection (frames may be up to 256 KiB each). */
const MAX_QUEUED_BYTES = 512 * 1024;

/**
 * A token bucket. Hand-written rather than rate-limiter-flexible: admission is checked on every
 * frame of a flood, so it must be synchronous and allocate nothing.
 */
class TokenBucket {
  #tokens: number;
  #at = performance.now();
  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
  ) {
    this.#tokens = burst;
  }
  /** Takes one token if there is one. */
  take(): boolean {
    this.#refill();
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
  /** Milliseconds until a token is there (0: now). */
  waitMs(): number {
    this.#refill();
    return this.#tokens >= 1 ? 0 : Math.ceil(((1 - this.#tokens) / this.perSecond) * 1000);
  }
  #refill(): void {
    const now = performance.now();
    this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#at) / 1000) * this.perSecond);
    this.#at = now;
  }
}

const closeCodeFor: Record<LeaveCause, number> = {
  left: CloseCode.normal,
  network: CloseCode.heartbeatTimeout,
  kicked: CloseCode.kicked,
  'meeting-ended': CloseCode.meetingEnded,
  'server-failure': CloseCode.serviceRestart,
  shutdown: CloseCode.serviceRestart,
};

function rawLength(data: RawData): number {
  return Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : data instanceof ArrayBuffer ? data.byteLength : data.length;
}

export class SignalingConnection {
  readonly connectionId = randomUUID();
  /** Cleared by each heartbeat tick, set by any sign of life from the browser. */
  alive = true;
  #identity: SiteIdentity | undefined;
  #room: Room | undefined;
  #peer: Peer | undefined;
  #rehearsal: Rehearsal | undefined;
  #state: 'new' | 'joining' | 'joined' | 'rehearsing' | 'closed' = 'new';
  #failedJoins = 0;
  #queue: Promise<void> = Promise.resolve();
  /** Frames received and not yet handled. */
  #pending = 0;
  #pendingBytes = 0;
  readonly #frames: TokenBucket;
  readonly #handChanges: TokenBucket;
  #expiry: NodeJS.Timeout | undefined;
  #heartbeatLost = false;
  readonly log: Logger;

  constructor(
    private readonly ws: WebSocket,
    private readonly upgrade: { cookieHeader?: string; meetingId?: string },
    private readonly deps: SignalingConnectionDeps,
  ) {
    this.log = deps.log.child({ connectionId: this.connectionId });
    const { limits } = deps;
    this.#frames = new TokenBucket(limits.messagesPerSecond, limits.messageBurst);
    const handsPerMinute = limits.handChangesPerMinute;
    this.#handChanges = new TokenBucket(handsPerMinute / 60, Math.max(2, Math.floor(handsPerMinute / 4)));
    ws.on('message', (data, isBinary) => {
      this.alive = true;
      if (this.#state === 'closed') return;
      const bytes = rawLength(data);
      if (this.#pending >= limits.queueLimit || this.#pendingBytes + bytes > MAX_QUEUED_BYTES) return this.#flooded();
      this.#pending++;
      this.#pendingBytes += bytes;
      this.#queue = this.#queue
        .then(() => this.#admitted())
        .then(() => this.#onFrame(data, isBinary))
        .catch((err: unknown) => this.log.error({ err }, 'frame handling failed'))
        .finally(() => {
          this.#pending--;
          this.#pendingBytes -= bytes;
        });
    });
    // ws answers ping frames itself (autoPong is off in signaling.ts): only within the budget.
    ws.on('ping', (data) => {
      this.alive = true;
      if (this.#state === 'closed') return;
      if (!this.#frames.take()) return this.#flooded();
      if (ws.readyState === WebSocket.OPEN) ws.pong(data);
    });
    ws.on('pong', () => (this.alive = true));
    ws.on('close', (code) => this.#onSocketClosed(code));
    ws.on('error', (err) => this.log.warn({ err }, 'websocket error'));
  }

  get identity(): SiteIdentity | undefined {
    return this.#identity;
  }
  get peer(): Peer | undefined {
    return this.#peer;
  }
  get joined(): boolean {
    return this.#state === 'joined';
  }
  /** Joined a meeting or rehearsing: past the join deadline. */
  get admitted(): boolean {
    return this.#state === 'joined' || this.#state === 'rehearsing';
  }

  notify(note: ServerNotification): void {
    this.#send(note);
  }

  ping(): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.ping();
  }

  /** The heartbeat found the socket silent: drop it as a network loss. */
  heartbeatLost(): void {
    this.#heartbeatLost = true;
    this.log.info('heartbeat lost');
    this.ws.terminate();
  }

  /** The app revoked this site's access (or its validity ran out). */
  kick(reason: 'revoked' | 'expired'): void {
    const room = this.#room;
    const peer = this.#peer;
    // a rehearsal (or a connection not yet in a room) just ends
    if (!room || !peer) return this.close(CloseCode.unauthorized, reason);
    peer.send({ type: 'kicked', data: { reason } });
    room.leave(peer, 'kicked');
  }

  /** The room let go of this connection's peer for `cause`: end the socket accordingly. */
  detach(cause: LeaveCause): void {
    this.#room = undefined;
    this.#peer = undefined;
    this.close(closeCodeFor[cause], cause);
  }

  close(code: number, reason: string): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    clearTimeout(this.#expiry);
    this.#endRehearsal();
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) {
      this.ws.close(code, reason);
      // ws waits 30 s for the browser's close frame; a client that floods or stops reading gets less.
      setTimeout(() => this.ws.terminate(), CLOSE_GRACE_MS).unref();
    }
  }

  /** Waits for the frame budget; frames queue behind each other, so one waits at a time. */
  #admitted(): Promise<void> | void {
    const ms = this.#frames.waitMs();
    if (ms === 0) {
      this.#frames.take();
      return;
    }
    return new Promise<void>((resolve) => setTimeout(resolve, ms).unref()).then(() => this.#admitted());
  }

  /** More frames than the rate and the queue allow: say so once, then close. */
  #flooded(): void {
    if (this.#state === 'closed') return;
    this.log.warn({ pending: this.#pending, meetingId: this.#identity?.meetingId, siteId: this.#identity?.siteId }, 'closing a flooding socket');
    this.#replyError(null, 'rate-limited', 'too many messages');
    this.close(CloseCode.rateLimited, 'too many messages');
  }

  #onSocketClosed(code: number): void {
    this.#state = 'closed';
    clearTimeout(this.#expiry);
    this.#endRehearsal();
    const room = this.#room;
    const peer = this.#peer;
    this.#room = undefined;
    this.#peer = undefined;
    // 1000/1001: the browser closed the page or said goodbye; anything else is a lost line.
    const clean = !this.#heartbeatLost && (code === 1000 || code === 1001);
    if (room && peer) room.leave(peer, clean ? 'left' : 'network');
    this.deps.onClosed(this);
  }

  #send(msg: ServerMessage): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    // A browser that stops reading would make us buffer every notification of the meeting.
    if (this.ws.bufferedAmount > this.deps.limits.maxBufferedBytes) {
      this.log.warn({ bufferedAmount: this.ws.bufferedAmount }, 'closing a socket that does not read');
      return this.close(CloseCode.tooSlow, 'not reading');
    }
    this.ws.send(JSON.stringify(msg));
  }

  #replyError(id: RequestId | null, code: ErrorCode, message: string): void {
    this.#send({ type: 'response', id, ok: false, error: { code, message } });
  }

  async #onFrame(data: RawData, isBinary: boolean): Promise<void> {
    if (this.#state === 'closed') return;
    if (isBinary) return this.#replyError(null, 'bad-request', 'binary frames are not part of the protocol');
    let json: unknown;
    try {
      json = JSON.parse(data.toString());
    } catch {
      return this.#replyError(null, 'bad-request', 'frame is not JSON');
    }
    const parsed = ClientRequest.safeParse(json);
    if (!parsed.success) {
      const id = RequestId.safeParse(typeof json === 'object' && json !== null ? (json as { id?: unknown }).id : undefined);
      const message = z.prettifyError(parsed.error).slice(0, 500);
      return this.#replyError(id.success ? id.data : null, 'bad-request', message);
    }
    const req = parsed.data;
    try {
      const data = await this.#handle(req);
      this.#send({ type: 'response', id: req.id, ok: true, data });
    } catch (err) {
      if (err instanceof SignalingError) {
        this.#replyError(req.id, err.code, err.message);
      } else {
        this.log.error({ err, requestType: req.type }, 'request failed');
        this.#replyError(req.id, 'internal', 'internal error');
      }
    }
  }

  /** What the browser needs of a new transport, with the candidates as the sites must see them. */
  #transportReply(t: ms.WebRtcTransport): ResponseDataOf<'createTransport'> {
    return { transportId: t.id, iceParameters: t.iceParameters, iceCandidates: this.deps.announce(t.iceCandidates), dtlsParameters: t.dtlsParameters };
  }

  #joinedPeer(): { room: Room; peer: Peer } {
    if (this.#state !== 'joined' || !this.#room || !this.#peer) throw unauthorized('join first');
    return { room: this.#room, peer: this.#peer };
  }

  #endRehearsal(): void {
    const rehearsal = this.#rehearsal;
    this.#rehearsal = undefined;
    rehearsal?.close();
  }

  async #handle(req: ClientRequest): Promise<unknown> {
    if (this.#state === 'rehearsing') return this.#handleRehearsal(req);
    if (this.#state !== 'joined' && req.type !== 'join' && req.type !== 'rehearse' && req.type !== 'ping') throw unauthorized('join first');
    if (hostOnlyRequests.has(req.type) && this.#joinedPeer().peer.role !== 'host') {
      throw forbidden('only the host can do this');
    }
    switch (req.type) {
      case 'join':
        return this.#join(req.data);
      case 'rehearse':
        return this.#rehearse(req.data);
      case 'rehearsalStats':
        throw invalidState('not rehearsing');
      case 'ping':
        return { serverTime: Date.now() } satisfies ResponseDataOf<'ping'>;
      case 'setRtpCapabilities': {
        const { room, peer } = this.#joinedPeer();
        await room.setRtpCapabilities(peer, req.data.rtpCapabilities);
        return {};
      }
      case 'createTransport': {
        const { room, peer } = this.#joinedPeer();
        return this.#transportReply(await room.createTransport(peer, req.data.direction));
      }
      case 'connectTransport': {
        const { peer } = this.#joinedPeer();
        await peer.connectTransport(req.data.transportId, req.data.dtlsParameters);
        return {};
      }
      case 'restartIce': {
        const { peer } = this.#joinedPeer();
        return { iceParameters: await peer.restartIce(req.data.transportId) } satisfies ResponseDataOf<'restartIce'>;
      }
      case 'produce': {
        const { room, peer } = this.#joinedPeer();
        const producer = await room.produce(peer, req.data);
        return { producerId: producer.id, paused: producer.paused } satisfies ResponseDataOf<'produce'>;
      }
      case 'closeProducer': {
        const { room, peer } = this.#joinedPeer();
        room.closeProducer(peer, req.data.producerId);
        return {};
      }
      case 'setProducerPaused': {
        const { room, peer } = this.#joinedPeer();
        await room.setProducerPaused(peer, req.data.producerId, req.data.paused);
        return {};
      }
      case 'resumeConsumer': {
        const { peer } = this.#joinedPeer();
        await peer.resumeConsumer(req.data.consumerId);
        return {};
      }
      case 'raiseHand': {
        const { room, peer } = this.#joinedPeer();
        this.#takeHandChange();
        return { position: room.raiseHand(peer) } satisfies ResponseDataOf<'raiseHand'>;
      }
      case 'lowerHand': {
        const { room, peer } = this.#joinedPeer();
        this.#takeHandChange();
        room.lowerHand(peer);
        return {};
      }
      case 'setAudioOnly': {
        const { room, peer } = this.#joinedPeer();
        room.setAudioOnly(peer, req.data.audioOnly);
        return {};
      }
      case 'leave': {
        const { room, peer } = this.#joinedPeer();
        // reply first: leaving closes the socket
        this.#afterReply(() => room.leave(peer, 'left'));
        return {};
      }
      case 'giveFloor': {
        const { room, peer } = this.#joinedPeer();
        await room.giveFloor(peer, req.data.siteId);
        return {};
      }
      case 'revokeFloor': {
        const { room, peer } = this.#joinedPeer();
        room.revokeFloor(peer);
        return {};
      }
      case 'muteSite': {
        const { room, peer } = this.#joinedPeer();
        await room.muteSite(peer, req.data.siteId);
        return {};
      }
      case 'spotlight': {
        const { room, peer } = this.#joinedPeer();
        room.spotlight(peer, req.data.siteId);
        return {};
      }
      case 'kick': {
        const { room, peer } = this.#joinedPeer();
        room.kick(peer, req.data.siteId);
        return {};
      }
      case 'endMeeting': {
        const { room, peer } = this.#joinedPeer();
        this.#afterReply(() => room.endMeeting(peer));
        return {};
      }
      case 'setPage': {
        const { room, peer } = this.#joinedPeer();
        return room.setPage(peer, req.data.page, req.data.pageSize) satisfies ResponseDataOf<'setPage'>;
      }
      default:
        return assertNever(req);
    }
  }

  /** A rehearsing connection: its send transport and media, the stats, goodbye; nothing of a meeting. */
  async #handleRehearsal(req: ClientRequest): Promise<unknown> {
    const rehearsal = this.#rehearsal;
    if (!rehearsal || !rehearsalRequests.has(req.type)) throw invalidState('a rehearsal only tests the line; join the meeting from its join link');
    switch (req.type) {
      case 'ping':
        return { serverTime: Date.now() } satisfies ResponseDataOf<'ping'>;
      case 'createTransport': {
        if (req.data.direction !== 'send') throw invalidState('a rehearsal only sends');
        return this.#transportReply(await rehearsal.peer.createTransport('send'));
      }
      case 'connectTransport':
        await rehearsal.peer.connectTransport(req.data.transportId, req.data.dtlsParameters);
        return {};
      case 'produce': {
        const producer = await rehearsal.peer.produce({ ...req.data, paused: false });
        return { producerId: producer.id, paused: producer.paused } satisfies ResponseDataOf<'produce'>;
      }
      case 'rehearsalStats':
        return (await rehearsal.stats()) satisfies ResponseDataOf<'rehearsalStats'>;
      case 'leave':
        this.#afterReply(() => this.close(CloseCode.normal, 'rehearsal done'));
        return {};
      case 'join':
      case 'rehearse':
      case 'setRtpCapabilities':
      case 'restartIce':
      case 'closeProducer':
      case 'setProducerPaused':
      case 'resumeConsumer':
      case 'raiseHand':
      case 'lowerHand':
      case 'setAudioOnly':
      case 'giveFloor':
      case 'revokeFloor':
      case 'muteSite':
      case 'spotlight':
      case 'kick':
      case 'endMeeting':
      case 'setPage':
        throw invalidState('a rehearsal only tests the line');
      default:
        return assertNever(req);
    }
  }

  /**
   * Starts a rehearsal: the readiness token says which site; no room is entered. Refused once
   * joined (or rehearsing), like a second join.
   */
  async #rehearse(data: RequestData<'rehearse'>): Promise<ResponseDataOf<'rehearse'>> {
    if (this.#state !== 'new') throw invalidState(this.#state === 'joining' ? 'join in progress' : 'already joined');
    this.#state = 'joining';
    try {
      const identity = await this.#checkedIdentity(() => this.deps.authenticateRehearsal(data.readinessToken));
      if (identity.validUntil.getTime() <= Date.now()) throw unauthorized('credentials expired');
      const rehearsal = await this.deps.rehearse(identity, this, () => this.close(CloseCode.normal, 'rehearsal over'));
      if (this.#state !== 'joining') {
        rehearsal.close();
        throw invalidState('connection closed');
      }
      this.#identity = identity;
      this.#rehearsal = rehearsal;
      this.#state = 'rehearsing';
      this.#armExpiry(identity.validUntil);
      this.log.info({ meetingId: identity.meetingId, siteId: identity.siteId }, 'rehearsing');
      return {
        meetingId: identity.meetingId,
        siteId: identity.siteId,
        siteName: identity.siteName,
        routerRtpCapabilities: rehearsal.router.rtpCapabilities as unknown as RtpCapabilities,
        iceServers: this.deps.iceServers(identity.siteId),
        maxDurationMs: rehearsal.maxDurationMs,
      };
    } catch (err) {
      if (this.#state === 'joining') this.#state = 'new';
      if (++this.#failedJoins >= MAX_FAILED_JOINS) {
        this.#afterReply(() => this.close(CloseCode.unauthorized, 'too many failed joins'));
      }
      throw err;
    }
  }

  /** Each hand change is broadcast to every site of the meeting: one site gets a small budget. */
  #takeHandChange(): void {
    if (!this.#handChanges.take()) throw new SignalingError('rate-limited', 'too many hand changes; try again shortly');
  }

  async #join(data: RequestData<'join'>): Promise<ResponseDataOf<'join'>> {
    if (this.#state !== 'new') throw invalidState(this.#state === 'joining' ? 'join in progress' : 'already joined');
    this.#state = 'joining';
    try {
      const wanted = data.meetingId ?? this.upgrade.meetingId;
      const identity = await this.#authenticate({
        ...(data.joinToken !== undefined ? { joinToken: data.joinToken } : {}),
        ...(this.upgrade.cookieHeader !== undefined ? { cookieHeader: this.upgrade.cookieHeader } : {}),
        ...(wanted !== undefined ? { meetingId: wanted } : {}),
      });
      if (wanted !== undefined && identity.meetingId !== wanted) throw forbidden('these credentials are for another meeting');
      if (identity.validUntil.getTime() <= Date.now()) throw unauthorized('credentials expired');
      const { room, peer } = await this.deps.join(identity, this, { clientId: data.clientId, takeOver: data.takeOver });
      if (this.#state !== 'joining') {
        // the socket closed while we were joining
        room.leave(peer, 'left');
        throw invalidState('connection closed');
      }
      this.#identity = identity;
      this.#room = room;
      this.#peer = peer;
      this.#state = 'joined';
      this.#armExpiry(identity.validUntil);
      this.log.info({ meetingId: identity.meetingId, siteId: identity.siteId, role: identity.role }, 'joined');
      return {
        connectionId: this.connectionId,
        meetingId: identity.meetingId,
        siteId: identity.siteId,
        siteName: identity.siteName,
        role: identity.role,
        routerRtpCapabilities: room.rtpCapabilities as unknown as RtpCapabilities,
        floorHolder: room.floorHolder,
        spotlight: room.spotlightSite,
        handQueue: [...room.handQueue],
        iceServers: this.deps.iceServers(identity.siteId),
      };
    } catch (err) {
      if (this.#state === 'joining') this.#state = 'new';
      if (++this.#failedJoins >= MAX_FAILED_JOINS) {
        this.#afterReply(() => this.close(CloseCode.unauthorized, 'too many failed joins'));
      }
      throw err;
    }
  }

  /** Runs `action` once the current reply is on the wire (actions that close the socket). */
  #afterReply(action: () => void): void {
    setImmediate(() => {
      try {
        action();
      } catch (err) {
        this.log.error({ err }, 'deferred action failed');
      }
    });
  }

  async #authenticate(req: AuthRequest): Promise<SiteIdentity> {
    return this.#checkedIdentity(() => this.deps.authenticate(req));
  }

  /** Runs the app's authenticator: its refusals pass, anything else (and a bad identity) is `internal`. */
  async #checkedIdentity(authenticate: () => Promise<SiteIdentity>): Promise<SiteIdentity> {
    let result: unknown;
    try {
      result = await authenticate();
    } catch (err) {
      if (err instanceof SignalingError) throw err;
      this.log.error({ err }, 'authenticator failed');
      throw new SignalingError('internal', 'could not check credentials');
    }
    const identity = SiteIdentity.safeParse(result);
    if (!identity.success) {
      this.log.error({ issues: identity.error.issues }, 'authenticator returned an invalid identity');
      throw new SignalingError('internal', 'could not check credentials');
    }
    return identity.data;
  }

  #armExpiry(validUntil: Date): void {
    const ms = validUntil.getTime() - Date.now();
    this.#expiry = setTimeout(() => (ms > MAX_TIMER_MS ? this.#armExpiry(validUntil) : this.kick('expired')), Math.min(ms, MAX_TIMER_MS));
    this.#expiry.unref();
  }
}
