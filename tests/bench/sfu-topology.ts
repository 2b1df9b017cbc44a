/**
 * The meeting built on the SFU for the bench.
 *
 * Rooms and peers come from sfu/room.ts and the workers from sfu/worker-pool.ts, so router
 * placement is the production code: each participant joins the Room, which puts the host on the
 * primary router and a site on a router whose worker is under SFU_MAX_CONSUMERS_PER_WORKER,
 * spreading to another worker when it is not. Media cannot go through the peers' own transports:
 * Peer only makes WebRtcTransports, which need ICE + DTLS + SRTP that a Node process cannot
 * drive. So on each peer's router the bench opens two PlainTransports (send, receive; rtcp-mux,
 * no SRTP) and creates the producers and consumers the room's policy would (see sfu-media.ts),
 * piping producers between routers with pipeToRouter as Room#ensureOn does. The consumers count
 * toward the pool's per-worker load, so the room's spreading sees them as it would real ones.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { types as ms } from 'mediasoup';
import { rtcListenInfo, type SfuConfig } from '../../sfu/config.ts';
import type { Peer } from '../../sfu/peer.ts';
import { Room, type RoomEvents } from '../../sfu/room.ts';
import type { WorkerPool } from '../../sfu/worker-pool.ts';
import type { MeetingPlan, ProducerPlan } from './sfu-media.ts';

const LOOPBACK = '127.0.0.1';

interface Participant {
  peer: Peer;
  send: ms.PlainTransport;
  recv: ms.PlainTransport;
}

interface Published {
  plan: ProducerPlan;
  producer: ms.Producer;
  router: ms.Router;
}

export class SfuMeeting {
  readonly #participants: Participant[] = [];
  readonly #published: Published[] = [];
  readonly #consumed = new Set<string>();
  readonly #pipes = new Map<string, Promise<unknown>>();
  /** destinations[stream.index] = the SFU port that stream is sent to. */
  readonly destinations: number[];

  private constructor(
    readonly room: Room,
    private readonly plan: MeetingPlan,
    private readonly config: SfuConfig,
  ) {
    this.destinations = new Array<number>(plan.streams.length).fill(0);
  }

  /**
   * Joins every participant in order (host first), as a meeting fills up: each one publishes,
   * then receives what the policy gives it, and the others start receiving it.
   */
  static async build(opts: {
    pool: WorkerPool;
    config: SfuConfig;
    log: Logger;
    plan: MeetingPlan;
    senderPort: number;
    receiverPort: (participant: number) => number;
  }): Promise<SfuMeeting> {
    const meetingId = randomUUID();
    const events: RoomEvents = { peerConnected: () => {}, peerClosed: () => {}, floorChanged: () => {}, closed: () => {} };
    const room = await Room.create({ meetingId, pool: opts.pool, config: opts.config, events, log: opts.log });
    const meeting = new SfuMeeting(room, opts.plan, opts.config);
    try {
      for (let p = 0; p < opts.plan.participants; p++) {
        await meeting.#join(p, meetingId, opts.senderPort, opts.receiverPort(p));
      }
    } catch (err) {
      room.close('server-failure');
      throw err;
    }
    return meeting;
  }

  async #join(p: number, meetingId: string, senderPort: number, receiverPort: number): Promise<void> {
    const peer = await this.room.join(
      {
        connectionId: randomUUID(),
        meetingId,
        siteId: `site-${p}`,
        siteName: p === 0 ? 'Host hall' : `Site ${String(p).padStart(3, '0')}`,
        role: p === 0 ? 'host' : 'participant',
      },
      () => {},
    );
    const open = async (remotePort: number) => {
      const t = await peer.router.createPlainTransport({ listenInfo: rtcListenInfo(this.config), rtcpMux: true, comedia: false });
      await t.connect({ ip: LOOPBACK, port: remotePort });
      return t;
    };
    const participant: Participant = { peer, send: await open(senderPort), recv: await open(receiverPort) };
    this.#participants[p] = participant;
    for (const plan of this.plan.producers.filter((x) => x.owner === p)) {
      const producer = await participant.send.produce({ kind: plan.kind, rtpParameters: plan.rtpParameters as ms.RtpParameters });
      this.#published.push({ plan, producer, router: peer.router });
      for (const s of plan.streams) this.destinations[s.index] = participant.send.tuple.localPort;
    }
    await this.#reconcile();
  }

  /** Creates every consumer the plan calls for whose producer and receiver both exist. */
  async #reconcile(): Promise<void> {
    for (const pub of this.#published) {
      for (const r of pub.plan.receivers) {
        const receiver = this.#participants[r];
        const key = `${pub.producer.id}:${r}`;
        if (!receiver || this.#consumed.has(key)) continue;
        this.#consumed.add(key);
        await this.#ensureOn(pub, receiver.peer.router);
        const layer = pub.plan.consumeLayer;
        await receiver.recv.consume({
          producerId: pub.producer.id,
          rtpCapabilities: receiver.peer.router.rtpCapabilities,
          ...(pub.plan.kind === 'video' && layer !== undefined ? { preferredLayers: { spatialLayer: layer } } : {}),
        });
      }
    }
  }

  async #ensureOn(pub: Published, target: ms.Router): Promise<void> {
    if (pub.router === target) return;
    const key = `${target.id}:${pub.producer.id}`;
    let piping = this.#pipes.get(key);
    if (!piping) {
      piping = pub.router.pipeToRouter({ producerId: pub.producer.id, router: target, listenInfo: rtcListenInfo(this.config) });
      this.#pipes.set(key, piping);
    }
    await piping;
  }

  /** The participant's send transport, to close it in tests. */
  sendTransportOf(participant: number): ms.PlainTransport {
    const p = this.#participants[participant];
    if (!p) throw new Error(`no participant ${participant}`);
    return p.send;
  }

  /** Closes the room: its routers, and with them every transport, producer and consumer. */
  close(): void {
    this.room.close('meeting-ended');
  }
}
