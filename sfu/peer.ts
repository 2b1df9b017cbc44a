/**
 * A peer: one connected browser (the host hall or a commune site) inside a room.
 *
 * It owns that connection's mediasoup objects — at most one send and one receive
 * WebRtcTransport on its room's router, the producers on the first and the consumers on the
 * second — and closing it closes them all. It knows nothing of the room's policy: the room
 * tells it what to produce and consume, and it reports transport health back through the
 * narrow callbacks it was given. Messages to the browser go through `notify`.
 */
import type { Logger } from 'pino';
import type { types as ms } from 'mediasoup';
import { badRequest, forbidden, invalidState, notFound } from './errors.ts';
import type { DtlsParameters, MediaKind, MediaSource, Role, RtpCapabilities, RtpParameters, ServerNotification } from './protocol.ts';

export interface PeerIdentity {
  /** One per signaling connection (WebSocket): attendance intervals are keyed by it. */
  connectionId: string;
  meetingId: string;
  siteId: string;
  siteName: string;
  role: Role;
  /** The browser tab's own id (`join.clientId`), when it sent one. */
  clientId?: string | undefined;
  /** The host confirmed replacing a console open in another tab or on another machine. */
  takeOver?: boolean | undefined;
  /**
   * The site is connected to another node of the cascade (sfu/cascade): this peer stands for
   * it here, holds the producers piped from there, never consumes, and reports no attendance.
   */
  remoteNode?: string | undefined;
}

/** What the node a remote site is on reports of it. */
export interface ReportedState {
  micMuted: boolean;
  audioOnly: boolean;
}

export interface PeerCallbacks {
  /** The first transport reached DTLS `connected`: media can flow, the site is present. */
  connected(peer: Peer): void;
  /** ICE/DTLS failed or stayed disconnected: the site dropped off the network. */
  failed(peer: Peer): void;
}

export interface QualitySample {
  bitrateKbps: number;
  lossPercent: number;
  rttMs: number;
  jitterMs: number;
}

export interface ProducerEntry {
  producer: ms.Producer;
  source: MediaSource;
}

/** ICE `disconnected` is often a blip (Wi-Fi roaming); treat it as a drop only if it lasts. */
const ICE_DISCONNECT_GRACE_MS = 15_000;
const MAX_INCOMING_BITRATE = 3_000_000;

const kindOfSource: Record<MediaSource, MediaKind> = { camera: 'video', microphone: 'audio', screen: 'video' };
const allowedSources: Record<Role, readonly MediaSource[]> = {
  host: ['camera', 'microphone', 'screen'],
  participant: ['camera', 'microphone'],
};

/** mediasoup rejects bad RTP/DTLS parameters with TypeError or UnsupportedError. */
function isParameterError(err: unknown): boolean {
  return err instanceof TypeError || (err instanceof Error && err.name === 'UnsupportedError');
}

export class Peer {
  readonly #transports = new Map<string, ms.WebRtcTransport>();
  readonly #direction = new Map<'send' | 'recv', ms.WebRtcTransport>();
  readonly #producers = new Map<string, ProducerEntry>();
  /** Keyed by producer id: a peer consumes a producer at most once. */
  readonly #consumers = new Map<string, ms.Consumer>();
  readonly #iceTimers = new Set<NodeJS.Timeout>();
  #rtpCapabilities: ms.RtpCapabilities | undefined;
  #connected = false;
  #closed = false;
  #queue: Promise<void> = Promise.resolve();
  /** Host only: which page of the site grid it shows. */
  page = { page: 0, pageSize: 16 };
  /** Site only: sound only, no video either way (set by the room). */
  audioOnly = false;
  /** A remote site's state as its node reported it. */
  reported: ReportedState | undefined;

  constructor(
    readonly identity: PeerIdentity,
    readonly router: ms.Router,
    private readonly webRtcServer: ms.WebRtcServer,
    private readonly notify: (n: ServerNotification) => void,
    private readonly callbacks: PeerCallbacks,
    private readonly log: Logger,
  ) {}

  get connectionId(): string {
    return this.identity.connectionId;
  }
  get siteId(): string {
    return this.identity.siteId;
  }
  get role(): Role {
    return this.identity.role;
  }
  /** Stands for a site connected to another node (see PeerIdentity.remoteNode). */
  get remote(): boolean {
    return this.identity.remoteNode !== undefined;
  }
  get closed(): boolean {
    return this.#closed;
  }
  get connected(): boolean {
    return this.#connected;
  }
  /** Ready to receive: has a receive transport and has told us what it can decode. */
  get canConsume(): boolean {
    return !this.#closed && this.#rtpCapabilities !== undefined && this.#direction.has('recv');
  }

  send(notification: ServerNotification): void {
    if (!this.#closed) this.notify(notification);
  }

  /** Runs `task` after the peer's previous tasks: consumer set changes must not interleave. */
  serially(task: () => Promise<void>): Promise<void> {
    const next = this.#queue.then(task, task);
    this.#queue = next.catch((err: unknown) => this.log.error({ err }, 'peer task failed'));
    return this.#queue;
  }

  setRtpCapabilities(caps: RtpCapabilities): void {
    this.#rtpCapabilities = caps as unknown as ms.RtpCapabilities;
  }

  async createTransport(direction: 'send' | 'recv'): Promise<ms.WebRtcTransport> {
    if (this.#closed) throw invalidState('connection closed');
    if (this.#direction.has(direction)) throw invalidState(`a ${direction} transport exists already`);
    const transport = await this.router.createWebRtcTransport({
      webRtcServer: this.webRtcServer,
      enableUdp: true,
      enableTcp: true,
      preferUdp: true,
      initialAvailableOutgoingBitrate: 1_000_000,
      appData: { direction, connectionId: this.connectionId },
    });
    if (this.#closed) {
      transport.close();
      throw invalidState('connection closed');
    }
    this.#transports.set(transport.id, transport);
    this.#direction.set(direction, transport);
    transport.observer.once('close', () => {
      this.#transports.delete(transport.id);
      if (this.#direction.get(direction) === transport) this.#direction.delete(direction);
    });
    transport.on('dtlsstatechange', (state) => {
      if (state === 'connected' && !this.#connected) {
        this.#connected = true;
        this.callbacks.connected(this);
      } else if (state === 'failed') {
        this.log.warn({ transportId: transport.id }, 'DTLS failed');
        this.callbacks.failed(this);
      }
    });
    transport.on('icestatechange', (state) => {
      if (state !== 'disconnected') return;
      const timer = setTimeout(() => {
        this.#iceTimers.delete(timer);
        if (!transport.closed && transport.iceState === 'disconnected') {
          this.log.warn({ transportId: transport.id }, 'ICE stayed disconnected');
          this.callbacks.failed(this);
        }
      }, ICE_DISCONNECT_GRACE_MS);
      this.#iceTimers.add(timer);
    });
    if (direction === 'send') await transport.setMaxIncomingBitrate(MAX_INCOMING_BITRATE);
    return transport;
  }

  #transport(transportId: string): ms.WebRtcTransport {
    const transport = this.#transports.get(transportId);
    if (!transport) throw notFound('no such transport');
    return transport;
  }

  async connectTransport(transportId: string, dtlsParameters: DtlsParameters): Promise<void> {
    try {
      // The protocol checks the shape; mediasoup checks the values (a wrong algorithm is refused).
      await this.#transport(transportId).connect({ dtlsParameters: dtlsParameters as ms.DtlsParameters });
    } catch (err) {
      if (isParameterError(err)) throw badRequest('dtlsParameters rejected');
      throw err;
    }
  }

  async restartIce(transportId: string): Promise<ms.IceParameters> {
    return this.#transport(transportId).restartIce();
  }

  async produce(req: { transportId: string; kind: MediaKind; source: MediaSource; rtpParameters: RtpParameters; paused: boolean }): Promise<ms.Producer> {
    const transport = this.#transport(req.transportId);
    if (this.#direction.get('send') !== transport) throw badRequest('produce on the send transport');
    if (!allowedSources[this.role].includes(req.source)) throw forbidden(`a ${this.role} cannot publish ${req.source}`);
    if (kindOfSource[req.source] !== req.kind) throw badRequest(`${req.source} must be ${kindOfSource[req.source]}`);
    if (this.producerOf(req.source)) throw invalidState(`${req.source} is already published`);
    let producer: ms.Producer;
    try {
      producer = await transport.produce({
        kind: req.kind,
        rtpParameters: req.rtpParameters as unknown as ms.RtpParameters,
        paused: req.paused,
        appData: { source: req.source, siteId: this.siteId },
      });
    } catch (err) {
      if (isParameterError(err)) {
        this.log.debug({ err }, 'produce refused');
        throw badRequest('rtpParameters rejected');
      }
      throw err;
    }
    this.#producers.set(producer.id, { producer, source: req.source });
    producer.observer.once('close', () => this.#producers.delete(producer.id));
    return producer;
  }

  /** A remote site's producer, piped here from its node: the room's policy treats it as this peer's. */
  adopt(producer: ms.Producer, source: MediaSource): void {
    if (!this.remote) throw invalidState('only a remote site adopts piped producers');
    if (this.#closed) {
      producer.close();
      return;
    }
    this.#producers.set(producer.id, { producer, source });
    producer.observer.once('close', () => this.#producers.delete(producer.id));
  }

  producer(producerId: string): ProducerEntry {
    const entry = this.#producers.get(producerId);
    if (!entry) throw notFound('no such producer');
    return entry;
  }

  producerOf(source: MediaSource): ms.Producer | undefined {
    for (const entry of this.#producers.values()) if (entry.source === source) return entry.producer;
    return undefined;
  }

  producers(): IterableIterator<ProducerEntry> {
    return this.#producers.values();
  }

  consumerOf(producerId: string): ms.Consumer | undefined {
    return this.#consumers.get(producerId);
  }

  consumers(): IterableIterator<ms.Consumer> {
    return this.#consumers.values();
  }

  /** Creates a paused consumer and tells the browser; it resumes it with `resumeConsumer`. */
  async consume(producer: { id: string; source: MediaSource; siteId: string }, preferredLayers: ms.ConsumerLayers | undefined): Promise<void> {
    const transport = this.#direction.get('recv');
    const rtpCapabilities = this.#rtpCapabilities;
    if (this.#closed || !transport || !rtpCapabilities || this.#consumers.has(producer.id)) return;
    let consumer: ms.Consumer;
    try {
      // No router.canConsume() first: consume() clones and checks the capabilities itself and
      // says UnsupportedError when nothing matches, and a floor change makes thousands of these.
      consumer = await transport.consume({
        producerId: producer.id,
        rtpCapabilities,
        paused: true,
        ...(preferredLayers ? { preferredLayers } : {}),
        appData: { source: producer.source, siteId: producer.siteId },
      });
    } catch (err) {
      if (!(err instanceof Error && err.name === 'UnsupportedError')) throw err;
      this.log.debug({ producerId: producer.id }, 'device cannot decode this producer');
      return;
    }
    this.#consumers.set(producer.id, consumer);
    consumer.observer.once('close', () => {
      this.#consumers.delete(producer.id);
      this.send({ type: 'consumerClosed', data: { consumerId: consumer.id } });
    });
    consumer.on('producerpause', () => this.send({ type: 'consumerPaused', data: { consumerId: consumer.id } }));
    consumer.on('producerresume', () => this.send({ type: 'consumerResumed', data: { consumerId: consumer.id } }));
    this.send({
      type: 'newConsumer',
      data: {
        consumerId: consumer.id,
        producerId: producer.id,
        kind: consumer.kind,
        source: producer.source,
        siteId: producer.siteId,
        rtpParameters: consumer.rtpParameters as unknown as RtpParameters,
        producerPaused: consumer.producerPaused,
      },
    });
  }

  async resumeConsumer(consumerId: string): Promise<void> {
    for (const consumer of this.#consumers.values()) {
      if (consumer.id === consumerId) {
        await consumer.resume();
        // a fresh decoder needs a key frame; simulcast consumers ask for one themselves
        if (consumer.kind === 'video') await consumer.requestKeyFrame();
        return;
      }
    }
    throw notFound('no such consumer');
  }

  /** Line quality over all of this connection's streams, for the attendance record. */
  async sampleQuality(): Promise<QualitySample> {
    let bitrate = 0;
    let loss = 0;
    let rtt = 0;
    let jitter = 0;
    for (const transport of this.#transports.values()) {
      for (const s of await transport.getStats()) bitrate += (s.recvBitrate ?? 0) + (s.sendBitrate ?? 0);
    }
    for (const { producer } of this.#producers.values()) {
      const clockRate = producer.rtpParameters.codecs[0]?.clockRate ?? 90000;
      for (const s of await producer.getStats()) {
        loss = Math.max(loss, (s.fractionLost / 256) * 100);
        jitter = Math.max(jitter, (s.jitter / clockRate) * 1000);
        rtt = Math.max(rtt, s.roundTripTime ?? 0);
      }
    }
    for (const consumer of this.#consumers.values()) {
      for (const s of await consumer.getStats()) {
        if (s.type !== 'outbound-rtp') continue;
        loss = Math.max(loss, (s.fractionLost / 256) * 100);
        rtt = Math.max(rtt, s.roundTripTime ?? 0);
      }
    }
    return {
      bitrateKbps: bitrate / 1000,
      lossPercent: Math.min(100, loss),
      rttMs: rtt,
      jitterMs: jitter,
    };
  }

  /** Closes the transports, which closes their producers and consumers. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const timer of this.#iceTimers) clearTimeout(timer);
    this.#iceTimers.clear();
    for (const transport of [...this.#transports.values()]) transport.close();
    // a remote site's piped producers live on the room's pipe transport, not on ours
    if (this.remote) for (const { producer } of [...this.#producers.values()]) producer.close();
  }
}
