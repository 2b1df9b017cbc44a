/**
 * One PipeTransport of a link between two nodes, on this node's side: SRTP (the keys travel on
 * the authenticated channel) and RTX (a lost packet on the way between nodes is resent, as
 * between a browser and the SFU). Media crosses in both directions on the same pair: `send`
 * consumes a local producer on the pipe and describes it; the other side `receive`s that
 * description as a producer with the same id on its own router.
 */
import type { types as ms } from 'mediasoup';
import type { MediaSource, RtpParameters } from '../protocol.ts';
import type { PipedProducer, PipeEndpoint, RemoteSite } from './protocol.ts';

export interface PipeListenInfo {
  protocol: 'udp';
  ip: string;
  announcedAddress?: string;
  portRange: { min: number; max: number };
  recvBufferSize: number;
  sendBufferSize: number;
}

export class PipeLink {
  /** Producer id → the pipe consumer sending it to the other node. */
  readonly #sent = new Map<string, ms.Consumer>();
  /** Producer id → the producer made here from the other node's description. */
  readonly #received = new Map<string, ms.Producer>();
  #closed = false;

  private constructor(readonly transport: ms.PipeTransport) {}

  static async open(router: ms.Router, listenInfo: PipeListenInfo): Promise<PipeLink> {
    const transport = await router.createPipeTransport({ listenInfo, enableSrtp: true, enableRtx: true, enableSctp: false });
    return new PipeLink(transport);
  }

  /** What the other node connects to. */
  get local(): PipeEndpoint {
    const { srtpParameters, tuple } = this.transport;
    if (!srtpParameters) throw new Error('pipe transport without SRTP');
    return { ip: tuple.localAddress ?? tuple.localIp, port: tuple.localPort, srtpParameters };
  }

  get closed(): boolean {
    return this.#closed || this.transport.closed;
  }

  async connect(remote: PipeEndpoint): Promise<void> {
    await this.transport.connect({ ip: remote.ip, port: remote.port, srtpParameters: remote.srtpParameters });
  }

  isSending(producerId: string): boolean {
    return this.#sent.has(producerId);
  }
  sending(): IterableIterator<string> {
    return this.#sent.keys();
  }
  received(producerId: string): ms.Producer | undefined {
    return this.#received.get(producerId);
  }

  /**
   * Starts sending `producer` (on this link's router) to the other node; `onPaused` hears its
   * pause and resume, and the consumer goes when the producer closes.
   */
  async send(
    producer: ms.Producer,
    site: RemoteSite,
    source: MediaSource,
    events: { paused(paused: boolean): void; closed(): void },
  ): Promise<PipedProducer | undefined> {
    if (this.closed || this.#sent.has(producer.id)) return undefined;
    const consumer = await this.transport.consume({ producerId: producer.id });
    if (this.closed || producer.closed) {
      consumer.close();
      return undefined;
    }
    this.#sent.set(producer.id, consumer);
    consumer.on('producerpause', () => events.paused(true));
    consumer.on('producerresume', () => events.paused(false));
    consumer.observer.once('close', () => {
      if (this.#sent.get(producer.id) === consumer) this.#sent.delete(producer.id);
      events.closed();
    });
    return {
      producerId: producer.id,
      site,
      source,
      kind: consumer.kind,
      rtpParameters: consumer.rtpParameters as unknown as RtpParameters,
      paused: consumer.producerPaused,
    };
  }

  /** Stops sending a producer (the other node is told by the caller). */
  stopSending(producerId: string): void {
    this.#sent.get(producerId)?.close();
  }

  /** Makes the other node's producer here, under the same id. */
  async receive(piped: PipedProducer): Promise<ms.Producer | undefined> {
    if (this.closed || this.#received.has(piped.producerId)) return undefined;
    const producer = await this.transport.produce({
      id: piped.producerId,
      kind: piped.kind,
      rtpParameters: piped.rtpParameters as unknown as ms.RtpParameters,
      paused: piped.paused,
      appData: { source: piped.source, siteId: piped.site.siteId, piped: true },
    });
    if (this.closed) {
      producer.close();
      return undefined;
    }
    this.#received.set(piped.producerId, producer);
    producer.observer.once('close', () => {
      if (this.#received.get(piped.producerId) === producer) this.#received.delete(piped.producerId);
    });
    return producer;
  }

  stopReceiving(producerId: string): void {
    this.#received.get(producerId)?.close();
  }

  async setReceivedPaused(producerId: string, paused: boolean): Promise<void> {
    const producer = this.#received.get(producerId);
    if (!producer || producer.closed) return;
    if (paused) await producer.pause();
    else await producer.resume();
  }

  /** Closes the transport, which closes every pipe consumer and producer on it. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.transport.close();
  }
}
