/**
 * A browser's connection to a meeting (MeetingClient): the mediasoup-client Device, one send and one receive
 * transport, the local tracks it publishes and the remote tracks it receives, and recovery.
 *
 * Two steps, so the pre-join check can test the line before anyone sees or hears the site:
 *  - `connect()` opens the signaling socket, joins (join token or the host's sign-in cookie),
 *    loads the Device and creates both transports;
 *  - `enter()` announces what this browser can decode (the server then starts sending) and
 *    publishes the local tracks.
 *
 * Recovery: a transport that goes `disconnected`/`failed` gets an ICE restart; if it is not
 * `connected` again within `iceRecoveryMs`, or the socket drops, or the server says `rejoin`,
 * the meeting client throws the connection away and joins again from scratch (with backoff and
 * jitter, so 170 communes do not return in the same instant). Local tracks survive that.
 * Kicked, meeting ended, credentials refused and leaving are final.
 *
 * The page learns everything through events; it never sees the protocol.
 */
import { Device, type types } from 'mediasoup-client';
import {
  CloseCode,
  assertNever,
  type ClientRequestType,
  type MediaKind,
  type MediaSource,
  type RequestData,
  type ResponseDataOf,
  type ServerNotification,
  type SiteInfo,
} from '../../../sfu/protocol.ts';
import { Emitter } from './emitter.ts';
import { ClientCloseCode, RequestError, SignalingClient, type SocketEnd } from './signaling.ts';

export type JoinInfo = ResponseDataOf<'join'>;
export type EndReason = 'left' | 'kicked' | 'revoked' | 'expired' | 'replaced' | 'meeting-ended' | 'refused';

export type MeetingClientStatus =
  | { kind: 'idle' }
  | { kind: 'connecting' }
  | { kind: 'connected' }
  | { kind: 'reconnecting'; attempt: number }
  | { kind: 'ended'; reason: EndReason };

export interface RemoteTrack {
  consumerId: string;
  producerId: string;
  siteId: string;
  source: MediaSource;
  kind: MediaKind;
  track: MediaStreamTrack;
  /** The sender paused it (a muted microphone, a stopped camera). */
  producerPaused: boolean;
}

export type MeetingClientEvents = {
  status: [MeetingClientStatus];
  /** After every (re)join: the room's state as the server sees it. */
  joined: [JoinInfo];
  trackAdded: [RemoteTrack];
  trackRemoved: [RemoteTrack];
  trackPausedChanged: [RemoteTrack];
  floorChanged: [string | null];
  spotlightChanged: [string | null];
  handQueue: [string[]];
  siteState: [SiteInfo];
  activeSpeaker: [string | null];
  /** Our own microphone's state at the server (a site's opens only with the floor). */
  micMuted: [boolean];
  /** Something worth telling whoever supports the site (protocol violations, failed requests). */
  problem: [string];
};

export type Credentials = { joinToken: string } | { meetingId: string };

export interface MeetingClientOptions {
  /**
   * ws(s)://host/ws, or a function asked before every connection (the node placement chose,
   * which may change between connections: a rejoin after its node died goes where it is sent).
   */
  url: string | (() => Promise<string>);
  credentials: Credentials;
  /** How long a transport may stay down after an ICE restart before we join again from scratch. */
  iceRecoveryMs?: number;
  requestTimeoutMs?: number;
  heartbeatIntervalMs?: number;
}

export interface MediaStats {
  consumers: Array<{
    consumerId: string;
    siteId: string;
    source: MediaSource;
    kind: MediaKind;
    packetsReceived: number;
    bytesReceived: number;
    framesDecoded: number;
  }>;
  producers: Array<{ source: MediaSource; kind: MediaKind; paused: boolean; packetsSent: number; bytesSent: number }>;
  transports: { send: string | null; recv: string | null };
  rttMs: number | null;
}

/** One socket's worth of state: thrown away as a whole on rejoin. */
interface Connection {
  signaling: SignalingClient;
  joined: JoinInfo;
  device: Device;
  send: types.Transport;
  recv: types.Transport;
  producers: Map<MediaSource, types.Producer>;
  remotes: Map<string, { consumer: types.Consumer; remote: RemoteTrack }>;
  /** consumerClosed can overtake a newConsumer still being set up. */
  closedConsumers: Set<string>;
  recovering: Set<string>;
  kickReason?: EndReason;
  serverShutdown: boolean;
}

const BACKOFF_MS = [500, 1000, 2000, 4000, 8000, 10_000];
/** Joins tried at connect() while nodes answer that this site is placed elsewhere. */
const WRONG_NODE_ATTEMPTS = 3;

/** Simulcast for cameras: the host's grid takes layer 0, the big screen layer 2. */
const CAMERA_ENCODINGS: types.RtpEncodingParameters[] = [
  { scaleResolutionDownBy: 4, maxBitrate: 120_000, scalabilityMode: 'L1T3' },
  { scaleResolutionDownBy: 2, maxBitrate: 350_000, scalabilityMode: 'L1T3' },
  { scaleResolutionDownBy: 1, maxBitrate: 1_000_000, scalabilityMode: 'L1T3' },
];

export class MeetingClient extends Emitter<MeetingClientEvents> {
  #conn: Connection | undefined;
  #phase: 'idle' | 'lobby' | 'meeting' | 'ended' = 'idle';
  #status: MeetingClientStatus = { kind: 'idle' };
  #rejoining = false;
  /** What we publish; kept across rejoins. */
  readonly #local = new Map<MediaSource, MediaStreamTrack>();
  #micMutedLocally = false;
  /** A site's sound-only mode (a weak line); kept across rejoins like the tracks. */
  #audioOnly = false;
  /** This tab's id: our own rejoins replace our earlier connection without asking. */
  readonly #clientId = Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
  #takeOver = false;

  constructor(private readonly opts: MeetingClientOptions) {
    super();
  }

  get status(): MeetingClientStatus {
    return this.#status;
  }
  get info(): JoinInfo | undefined {
    return this.#conn?.joined;
  }
  get rttMs(): number | undefined {
    return this.#conn?.signaling.rttMs;
  }
  remoteTracks(): RemoteTrack[] {
    return [...(this.#conn?.remotes.values() ?? [])].map((r) => r.remote);
  }

  /** Joins and sets up transports; nothing is sent or received yet. Throws if refused. */
  async connect(): Promise<JoinInfo> {
    if (this.#phase !== 'idle') throw new Error(`connect() in phase ${this.#phase}`);
    this.#phase = 'lobby';
    this.#setStatus({ kind: 'connecting' });
    try {
      const conn = await this.#openPlaced();
      this.#setStatus({ kind: 'connected' });
      return conn.joined;
    } catch (err) {
      this.#phase = 'idle';
      this.#setStatus({ kind: 'idle' });
      throw err;
    }
  }

  /** The host confirmed replacing a console open elsewhere: the next join says so. */
  allowTakeOver(): void {
    this.#takeOver = true;
  }

  /** The line's round trip to the server, measured now (the pre-join check). */
  async measureRtt(samples = 3): Promise<number> {
    const conn = this.#requireConn();
    const rtts: number[] = [];
    for (let i = 0; i < samples; i++) rtts.push(await conn.signaling.measureRtt());
    rtts.sort((a, b) => a - b);
    return rtts[Math.floor(rtts.length / 2)]!;
  }

  /** Starts receiving and publishes `tracks` (a site: camera and microphone; the host: the same). */
  async enter(tracks: Partial<Record<'camera' | 'microphone', MediaStreamTrack>>): Promise<void> {
    if (this.#phase !== 'lobby') throw new Error(`enter() in phase ${this.#phase}`);
    this.#phase = 'meeting';
    for (const [source, track] of Object.entries(tracks) as [MediaSource, MediaStreamTrack][]) this.#local.set(source, track);
    const conn = this.#conn;
    if (conn) await this.#startMedia(conn);
    // else a rejoin is under way and will start the media itself
  }

  /** Host: share a screen (or stop with null). */
  async setScreen(track: MediaStreamTrack | null): Promise<void> {
    const conn = this.#conn;
    const previous = conn?.producers.get('screen');
    if (track) this.#local.set('screen', track);
    else this.#local.delete('screen');
    if (!conn) return;
    if (previous) {
      conn.producers.delete('screen');
      previous.close();
      await conn.signaling.request('closeProducer', { producerId: previous.id }).catch((err: unknown) => this.#problem(err));
    }
    if (track) {
      track.addEventListener('ended', () => void this.setScreen(null), { once: true });
      await this.#produce(conn, 'screen', track);
    }
  }

  /**
   * Mutes or unmutes our own microphone. A site may only unmute while it has the floor; the
   * server refuses otherwise and the state stays as it was.
   */
  async setMicMuted(muted: boolean): Promise<void> {
    const conn = this.#requireConn();
    const producer = conn.producers.get('microphone');
    if (!producer) return;
    await conn.signaling.request('setProducerPaused', { producerId: producer.id, paused: muted });
    this.#micMutedLocally = muted;
    this.#applyMic(conn, muted);
  }

  get audioOnly(): boolean {
    return this.#audioOnly;
  }

  /**
   * A site on a weak line: stop sending and receiving video (true), or bring it back (false).
   * The server closes our camera and drops the video it sends us; the camera track itself is
   * kept (its light stays on) so switching back needs no new permission.
   */
  async setAudioOnly(audioOnly: boolean): Promise<void> {
    const conn = this.#conn;
    if (conn) await conn.signaling.request('setAudioOnly', { audioOnly });
    // without a connection the next (re)join applies it
    this.#audioOnly = audioOnly;
    if (conn && conn === this.#conn) {
      const camera = conn.producers.get('camera');
      if (audioOnly && camera) {
        // the server has closed its side already
        conn.producers.delete('camera');
        camera.close();
      }
      const track = this.#local.get('camera');
      if (!audioOnly && this.#phase === 'meeting' && track?.readyState === 'live') await this.#produce(conn, 'camera', track);
    }
  }

  /** Any other request (hand raising, host controls), typed by the protocol. */
  request<T extends ClientRequestType>(type: T, data: RequestData<T>): Promise<ResponseDataOf<T>> {
    const conn = this.#conn;
    if (!conn) return Promise.reject(new RequestError('closed', 'not connected', type));
    return conn.signaling.request(type, data);
  }

  /** Says goodbye to the server and ends the meeting client. */
  async leave(): Promise<void> {
    const conn = this.#conn;
    if (conn?.signaling.open) await conn.signaling.request('leave', {}, 2000).catch(() => undefined);
    this.#end('left');
  }

  /** The page is going away: close at once with a clean code, so attendance records `left`. */
  closeNow(): void {
    this.#end('left');
  }

  async stats(): Promise<MediaStats> {
    const conn = this.#conn;
    const out: MediaStats = { consumers: [], producers: [], transports: { send: null, recv: null }, rttMs: this.rttMs ?? null };
    if (!conn) return out;
    out.transports = { send: conn.send.connectionState, recv: conn.recv.connectionState };
    for (const { consumer, remote } of conn.remotes.values()) {
      const row = {
        consumerId: remote.consumerId,
        siteId: remote.siteId,
        source: remote.source,
        kind: remote.kind,
        packetsReceived: 0,
        bytesReceived: 0,
        framesDecoded: 0,
      };
      for (const s of (await consumer.getStats()).values() as IterableIterator<Record<string, unknown>>) {
        if (s['type'] !== 'inbound-rtp') continue;
        row.packetsReceived += Number(s['packetsReceived'] ?? 0);
        row.bytesReceived += Number(s['bytesReceived'] ?? 0);
        row.framesDecoded += Number(s['framesDecoded'] ?? 0);
      }
      out.consumers.push(row);
    }
    for (const [source, producer] of conn.producers) {
      const row = { source, kind: producer.kind, paused: producer.paused, packetsSent: 0, bytesSent: 0 };
      for (const s of (await producer.getStats()).values() as IterableIterator<Record<string, unknown>>) {
        if (s['type'] !== 'outbound-rtp') continue;
        row.packetsSent += Number(s['packetsSent'] ?? 0);
        row.bytesSent += Number(s['bytesSent'] ?? 0);
      }
      out.producers.push(row);
    }
    return out;
  }

  // -------------------------------------------------------------------------------------------
  // Connection set-up
  // -------------------------------------------------------------------------------------------

  /**
   * #open, asking again where to connect when the node says this site is placed on another one
   * (its placement moved between the question and the join). A rejoin retries anyway.
   */
  async #openPlaced(): Promise<Connection> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#open();
      } catch (err) {
        if (!(err instanceof RequestError && err.code === 'wrong-node') || attempt >= WRONG_NODE_ATTEMPTS) throw err;
      }
    }
  }

  async #open(): Promise<Connection> {
    // The connection object exists before the socket does: its callbacks compare against it.
    const box: { conn?: Connection } = {};
    // The server sends the room's state (every site's siteState, to a host) while it handles
    // `join`, before the reply: keep those notifications until the connection is set up.
    const early: ServerNotification[] = [];
    const url = typeof this.opts.url === 'string' ? this.opts.url : await this.opts.url();
    const signaling = await SignalingClient.connect(url, {
      onNotification: (note) => (box.conn ? this.#onNotification(box.conn, note) : early.push(note)),
      onClose: (end) => box.conn && this.#onSocketEnd(box.conn, end),
      onProtocolError: (detail) => this.#problem(detail),
      ...(this.opts.requestTimeoutMs !== undefined ? { requestTimeoutMs: this.opts.requestTimeoutMs } : {}),
      ...(this.opts.heartbeatIntervalMs !== undefined ? { heartbeatIntervalMs: this.opts.heartbeatIntervalMs } : {}),
    });
    try {
      const joined = await signaling.request('join', { ...this.opts.credentials, clientId: this.#clientId, ...(this.#takeOver ? { takeOver: true } : {}) });
      const device = await Device.factory();
      await device.load({ routerRtpCapabilities: joined.routerRtpCapabilities as types.RtpCapabilities });
      const transportOptions = async (direction: 'send' | 'recv'): Promise<types.TransportOptions> => {
        const t = await signaling.request('createTransport', { direction });
        return {
          id: t.transportId,
          iceParameters: t.iceParameters as types.IceParameters,
          iceCandidates: t.iceCandidates as types.IceCandidate[],
          dtlsParameters: t.dtlsParameters as types.DtlsParameters,
          // a network that blocks the SFU's ports still reaches it through TURN
          ...(joined.iceServers.length > 0 ? { iceServers: joined.iceServers } : {}),
        };
      };
      const send = device.createSendTransport(await transportOptions('send'));
      const recv = device.createRecvTransport(await transportOptions('recv'));
      const conn: Connection = {
        signaling,
        joined,
        device,
        send,
        recv,
        producers: new Map(),
        remotes: new Map(),
        closedConsumers: new Set(),
        recovering: new Set(),
        serverShutdown: false,
      };
      this.#wire(conn);
      box.conn = conn;
      this.#conn = conn;
      this.emit('joined', joined);
      for (const note of early.splice(0)) this.#onNotification(conn, note);
      return conn;
    } catch (err) {
      signaling.close(ClientCloseCode.reconnecting, 'set-up failed');
      throw err;
    }
  }

  #wire(conn: Connection): void {
    for (const transport of [conn.send, conn.recv]) {
      transport.on('connect', ({ dtlsParameters }, callback, errback) => {
        conn.signaling
          .request('connectTransport', { transportId: transport.id, dtlsParameters: dtlsParameters as RequestData<'connectTransport'>['dtlsParameters'] })
          .then(() => callback(), errback);
      });
      transport.on('connectionstatechange', (state) => this.#onTransportState(conn, transport, state));
    }
    conn.send.on('produce', ({ kind, rtpParameters, appData }, callback, errback) => {
      const source = appData['source'] as MediaSource;
      conn.signaling
        .request('produce', { transportId: conn.send.id, kind, source, rtpParameters: rtpParameters as RequestData<'produce'>['rtpParameters'] })
        .then(({ producerId, paused }) => {
          appData['serverPaused'] = paused;
          callback({ id: producerId });
        }, errback);
    });
  }

  /** Announce what we decode (the server starts sending), then publish our tracks. */
  async #startMedia(conn: Connection): Promise<void> {
    // before the capabilities, so no video consumer is set up only to be dropped
    if (this.#audioOnly) await conn.signaling.request('setAudioOnly', { audioOnly: true });
    await conn.signaling.request('setRtpCapabilities', {
      rtpCapabilities: conn.device.recvRtpCapabilities as RequestData<'setRtpCapabilities'>['rtpCapabilities'],
    });
    for (const [source, track] of this.#local) {
      if (track.readyState === 'live') await this.#produce(conn, source, track);
    }
    this.#refreshStatus();
  }

  async #produce(conn: Connection, source: MediaSource, track: MediaStreamTrack): Promise<void> {
    if (conn !== this.#conn || conn.producers.has(source) || (this.#audioOnly && track.kind === 'video')) return;
    const appData: Record<string, unknown> = { source };
    const producer = await conn.send.produce({
      track,
      appData,
      // The same tracks are published again after a rejoin: never stop them with the producer.
      stopTracks: false,
      ...(source === 'camera' ? { encodings: CAMERA_ENCODINGS, codecOptions: { videoGoogleStartBitrate: 1000 } } : {}),
      ...(source === 'screen' ? { encodings: [{ maxBitrate: 1_500_000 }] } : {}),
      // A muted microphone sends nothing, but its track stays live for the level meter.
      ...(source === 'microphone' ? { disableTrackOnPause: false, zeroRtpOnPause: true, codecOptions: { opusFec: true } } : {}),
    });
    if (conn !== this.#conn) {
      producer.close();
      return;
    }
    conn.producers.set(source, producer);
    if (source === 'microphone') {
      const muted = appData['serverPaused'] === true || this.#micMutedLocally;
      if (muted && appData['serverPaused'] !== true) {
        // muted by the user before a rejoin: keep it muted at the server too
        await conn.signaling.request('setProducerPaused', { producerId: producer.id, paused: true }).catch((err: unknown) => this.#problem(err));
      }
      this.#applyMic(conn, muted);
    }
  }

  /** Mirrors the server's view of our microphone on the local producer (stop sending when muted). */
  #applyMic(conn: Connection, muted: boolean): void {
    const mic = conn.producers.get('microphone');
    if (!mic) return;
    if (muted && !mic.paused) mic.pause();
    if (!muted && mic.paused) mic.resume();
    this.emit('micMuted', muted);
  }

  // -------------------------------------------------------------------------------------------
  // Notifications
  // -------------------------------------------------------------------------------------------

  #onNotification(conn: Connection, note: ServerNotification): void {
    if (conn !== this.#conn) return;
    switch (note.type) {
      case 'newConsumer':
        void this.#consume(conn, note.data);
        return;
      case 'consumerClosed': {
        conn.closedConsumers.add(note.data.consumerId);
        const entry = conn.remotes.get(note.data.consumerId);
        if (!entry) return;
        conn.remotes.delete(note.data.consumerId);
        entry.consumer.close();
        this.emit('trackRemoved', entry.remote);
        return;
      }
      case 'consumerPaused':
      case 'consumerResumed': {
        const entry = conn.remotes.get(note.data.consumerId);
        if (!entry) return;
        entry.remote.producerPaused = note.type === 'consumerPaused';
        this.emit('trackPausedChanged', entry.remote);
        return;
      }
      case 'floorChanged':
        this.emit('floorChanged', note.data.siteId);
        return;
      case 'spotlightChanged':
        this.emit('spotlightChanged', note.data.siteId);
        return;
      case 'handQueue':
        this.emit('handQueue', note.data.siteIds);
        return;
      case 'siteState':
        if (note.data.siteId === conn.joined.siteId && conn.joined.role === 'participant') {
          this.#micMutedLocally = note.data.micMuted;
          this.#applyMic(conn, note.data.micMuted);
        }
        this.emit('siteState', note.data);
        return;
      case 'activeSpeaker':
        this.emit('activeSpeaker', note.data.siteId);
        return;
      case 'kicked':
        conn.kickReason = note.data.reason === 'host' ? 'kicked' : note.data.reason;
        this.#end(conn.kickReason);
        return;
      case 'meetingEnded':
        this.#end('meeting-ended');
        return;
      case 'rejoin':
        void this.#rejoin();
        return;
      case 'shutdown':
        // the socket closes next (1012); come back a little later than usual
        conn.serverShutdown = true;
        return;
      default:
        assertNever(note);
    }
  }

  async #consume(conn: Connection, d: Extract<ServerNotification, { type: 'newConsumer' }>['data']): Promise<void> {
    try {
      const consumer = await conn.recv.consume({
        id: d.consumerId,
        producerId: d.producerId,
        kind: d.kind,
        rtpParameters: d.rtpParameters as types.RtpParameters,
        appData: { siteId: d.siteId, source: d.source },
      });
      if (conn !== this.#conn || conn.closedConsumers.has(d.consumerId)) {
        consumer.close();
        return;
      }
      const remote: RemoteTrack = {
        consumerId: d.consumerId,
        producerId: d.producerId,
        siteId: d.siteId,
        source: d.source,
        kind: d.kind,
        track: consumer.track,
        producerPaused: d.producerPaused,
      };
      conn.remotes.set(d.consumerId, { consumer, remote });
      // The page attaches the track synchronously in this event; only then does media flow.
      this.emit('trackAdded', remote);
      await conn.signaling.request('resumeConsumer', { consumerId: d.consumerId });
    } catch (err) {
      if (conn === this.#conn && !conn.closedConsumers.has(d.consumerId)) this.#problem(err);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Health and recovery
  // -------------------------------------------------------------------------------------------

  #onTransportState(conn: Connection, transport: types.Transport, state: types.ConnectionState): void {
    if (conn !== this.#conn) return;
    if ((state === 'disconnected' || state === 'failed') && !conn.recovering.has(transport.id)) {
      void this.#restartIce(conn, transport);
    }
    this.#refreshStatus();
  }

  async #restartIce(conn: Connection, transport: types.Transport): Promise<void> {
    conn.recovering.add(transport.id);
    this.#refreshStatus();
    try {
      const { iceParameters } = await conn.signaling.request('restartIce', { transportId: transport.id });
      await transport.restartIce({ iceParameters: iceParameters as types.IceParameters });
    } catch (err) {
      if (conn === this.#conn) this.#problem(err);
    }
    const recovered = await waitForState(transport, 'connected', this.opts.iceRecoveryMs ?? 8000);
    if (conn !== this.#conn) return;
    conn.recovering.delete(transport.id);
    if (recovered) this.#refreshStatus();
    else void this.#rejoin();
  }

  #onSocketEnd(conn: Connection, end: SocketEnd): void {
    if (conn !== this.#conn) return;
    if (conn.kickReason) return this.#end(conn.kickReason);
    switch (end.code) {
      case CloseCode.kicked:
        return this.#end('kicked');
      case CloseCode.meetingEnded:
        return this.#end('meeting-ended');
      case CloseCode.unauthorized:
        return this.#end(end.reason === 'expired' || end.reason === 'revoked' ? end.reason : 'refused');
      default:
        // a lost line, a restarting server, a silent heartbeat: join again
        void this.#rejoin();
    }
  }

  async #rejoin(): Promise<void> {
    if (this.#rejoining || this.#phase === 'ended' || this.#phase === 'idle') return;
    this.#rejoining = true;
    const old = this.#conn;
    const slowStart = old?.serverShutdown ?? false;
    this.#conn = undefined;
    if (old) this.#teardown(old, ClientCloseCode.reconnecting);
    try {
      for (let attempt = 1; ; attempt++) {
        this.#setStatus({ kind: 'reconnecting', attempt });
        const base = BACKOFF_MS[Math.min(attempt - 1, BACKOFF_MS.length - 1)]! + (slowStart ? 2000 : 0);
        await sleep(base / 2 + Math.random() * base);
        if (this.#ended()) return;
        try {
          const conn = await this.#open();
          if (this.#phase === 'meeting') await this.#startMedia(conn);
          this.#rejoining = false;
          this.#refreshStatus();
          return;
        } catch (err) {
          const partial = this.#conn;
          if (partial) {
            this.#conn = undefined;
            this.#teardown(partial, ClientCloseCode.reconnecting);
          }
          if (err instanceof RequestError && (err.code === 'unauthorized' || err.code === 'forbidden')) {
            return this.#end('refused');
          }
        }
      }
    } finally {
      this.#rejoining = false;
    }
  }

  #teardown(conn: Connection, code: number): void {
    for (const { consumer, remote } of conn.remotes.values()) {
      consumer.close();
      this.emit('trackRemoved', remote);
    }
    conn.remotes.clear();
    conn.producers.clear();
    conn.send.close();
    conn.recv.close();
    conn.signaling.close(code);
  }

  #end(reason: EndReason): void {
    if (this.#phase === 'ended') return;
    this.#phase = 'ended';
    const conn = this.#conn;
    this.#conn = undefined;
    if (conn) this.#teardown(conn, 1000);
    this.#setStatus({ kind: 'ended', reason });
  }

  #refreshStatus(): void {
    const conn = this.#conn;
    if (this.#phase === 'ended' || this.#rejoining || !conn) return;
    const states = [conn.send.connectionState, conn.recv.connectionState];
    if (conn.recovering.size > 0 || states.some((s) => s === 'disconnected' || s === 'failed')) {
      this.#setStatus({ kind: 'reconnecting', attempt: 0 });
    } else if (states.some((s) => s === 'connecting')) {
      this.#setStatus({ kind: 'connecting' });
    } else {
      this.#setStatus({ kind: 'connected' });
    }
  }

  #setStatus(status: MeetingClientStatus): void {
    if (JSON.stringify(status) === JSON.stringify(this.#status)) return;
    this.#status = status;
    this.emit('status', status);
  }

  /** A method, not a field test, so TypeScript does not keep a narrowing across awaits. */
  #ended(): boolean {
    return this.#phase === 'ended';
  }

  #requireConn(): Connection {
    const conn = this.#conn;
    if (!conn) throw new RequestError('closed', 'not connected', 'ping');
    return conn;
  }

  #problem(err: unknown): void {
    this.emit('problem', err instanceof Error ? err.message : String(err));
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function waitForState(transport: types.Transport, wanted: types.ConnectionState, timeoutMs: number): Promise<boolean> {
  if (transport.connectionState === wanted) return Promise.resolve(true);
  return new Promise((resolve) => {
    const onChange = (state: types.ConnectionState) => {
      if (state !== wanted) return;
      clearTimeout(timer);
      transport.off('connectionstatechange', onChange);
      resolve(true);
    };
    const timer = setTimeout(() => {
      transport.off('connectionstatechange', onChange);
      resolve(transport.connectionState === wanted);
    }, timeoutMs);
    transport.on('connectionstatechange', onChange);
  });
}
