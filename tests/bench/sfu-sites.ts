/**
 * The synthetic sites: one UDP socket that sends every participant's RTP (paced per stream,
 * a frame's packets back to back as an encoder emits them) and one receiving socket per
 * participant that counts what arrives per stream and phase. Loopback only.
 *
 * The sender answers the SFU's PLI/FIR with a key frame on the next frame, so consumers start
 * quickly; it also sends a key frame every two seconds.
 */
import dgram from 'node:dgram';
import { once } from 'node:events';
import { keyFrameRequests, PHASES, readTrailer, RtpStream, type MeetingPlan, type Phase } from './sfu-media.ts';

const LOOPBACK = '127.0.0.1';
const TICK_MS = 5;
const SENDER_REPORT_MS = 1000;
/** Big enough for a burst of every consumer's copy of a frame while the event loop is busy. */
const RECV_BUFFER_BYTES = 1 << 20;

export interface DeliveryReport {
  seconds: number;
  /** Packets sent in the measured phase, all streams. */
  packetsIn: number;
  /** Σ over streams of sent × receivers, measured phase. */
  expected: number;
  /** Measured-phase packets that reached a receiver that should get them. */
  delivered: number;
  /** Packets (any phase) that reached a receiver that should not get that stream. */
  misrouted: number;
  /** received[participant][stream] in the measured phase. */
  received: (stream: number, participant: number) => number;
  sent: (stream: number) => number;
}

export class SyntheticSites {
  readonly #streams: RtpStream[];
  readonly #bySsrc = new Map<number, RtpStream>();
  /** counts[participant][stream * PHASES + phase] */
  readonly #counts: Uint32Array[];
  readonly #sent: Uint32Array;
  readonly #shouldReceive: Set<number>[];
  #destinations: number[] = [];
  #phase: Phase = 0;
  #timer: NodeJS.Timeout | undefined;
  #nextFrameAt: number[] = [];
  #nextReportAt: number[] = [];
  #phaseStartedAt = 0;
  #measuredMs = 0;

  private constructor(
    readonly plan: MeetingPlan,
    private readonly sender: dgram.Socket,
    private readonly receivers: dgram.Socket[],
  ) {
    this.#streams = plan.streams.map((s) => new RtpStream(s));
    for (const s of this.#streams) this.#bySsrc.set(s.plan.ssrc, s);
    this.#counts = receivers.map(() => new Uint32Array(plan.streams.length * PHASES));
    this.#sent = new Uint32Array(plan.streams.length * PHASES);
    this.#shouldReceive = receivers.map((_, p) => new Set(plan.streams.filter((s) => s.receivers.includes(p)).map((s) => s.index)));
    sender.on('message', (msg) => {
      for (const ssrc of keyFrameRequests(msg)) {
        const stream = this.#bySsrc.get(ssrc);
        if (stream) stream.keyFrameWanted = true;
      }
    });
    receivers.forEach((socket, participant) => {
      const counts = this.#counts[participant]!;
      socket.on('message', (msg) => {
        const t = readTrailer(msg);
        if (t) counts[t.stream * PHASES + t.phase]!++;
      });
    });
  }

  static async open(plan: MeetingPlan): Promise<SyntheticSites> {
    const bind = async () => {
      const socket = dgram.createSocket({ type: 'udp4', recvBufferSize: RECV_BUFFER_BYTES });
      socket.bind(0, LOOPBACK);
      await once(socket, 'listening');
      return socket;
    };
    const sender = await bind();
    const receivers: dgram.Socket[] = [];
    try {
      for (let p = 0; p < plan.participants; p++) receivers.push(await bind());
    } catch (err) {
      for (const s of [sender, ...receivers]) s.close();
      throw err;
    }
    return new SyntheticSites(plan, sender, receivers);
  }

  get senderPort(): number {
    return this.sender.address().port;
  }

  receiverPort(participant: number): number {
    const socket = this.receivers[participant];
    if (!socket) throw new Error(`no participant ${participant}`);
    return socket.address().port;
  }

  receiverPorts(): number[] {
    return this.receivers.map((s) => s.address().port);
  }

  /** Starts sending every stream to `destinations[stream.index]` (a UDP port on loopback). */
  start(destinations: number[]): void {
    if (this.#timer) throw new Error('already sending');
    if (destinations.length !== this.#streams.length) throw new Error('one destination per stream');
    this.#destinations = destinations;
    this.#counts.forEach((c) => c.fill(0));
    this.#sent.fill(0);
    this.#phase = 0;
    const now = performance.now();
    // Spread the streams' frame clocks so 170 sites do not all send in the same millisecond.
    this.#nextFrameAt = this.#streams.map((s) => now + Math.random() * (1000 / s.plan.fps));
    this.#nextReportAt = this.#streams.map(() => now + Math.random() * SENDER_REPORT_MS);
    this.#timer = setInterval(() => this.#tick(), TICK_MS);
  }

  setPhase(phase: Phase): void {
    const now = performance.now();
    if (this.#phase === 1) this.#measuredMs += now - this.#phaseStartedAt;
    if (phase === 1 && this.#phase !== 1) this.#measuredMs = 0;
    this.#phase = phase;
    this.#phaseStartedAt = now;
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    if (this.#phase === 1) this.setPhase(2);
  }

  #tick(): void {
    const now = performance.now();
    const phase = this.#phase;
    for (const stream of this.#streams) {
      const i = stream.plan.index;
      const port = this.#destinations[i]!;
      // Bounded catch-up: after a long stall send at most a few frames, as an encoder would.
      for (let burst = 0; this.#nextFrameAt[i]! <= now && burst < 4; burst++) {
        for (const packet of stream.nextFrame(phase, this.#nextFrameAt[i]!)) {
          this.sender.send(packet, port, LOOPBACK);
          this.#sent[i * PHASES + phase]!++;
        }
        this.#nextFrameAt[i]! += 1000 / stream.plan.fps;
      }
      if (this.#nextFrameAt[i]! <= now) this.#nextFrameAt[i] = now + 1000 / stream.plan.fps;
      if (this.#nextReportAt[i]! <= now && stream.packets > 0) {
        this.sender.send(stream.senderReport(now), port, LOOPBACK);
        this.#nextReportAt[i] = now + SENDER_REPORT_MS;
      }
    }
  }

  /** Everything the receivers have counted so far, any stream and phase. */
  receivedTotal(): number {
    let n = 0;
    for (const counts of this.#counts) for (const c of counts) n += c;
    return n;
  }

  report(): DeliveryReport {
    const MEASURED = 1;
    const streams = this.plan.streams;
    let packetsIn = 0;
    let expected = 0;
    let delivered = 0;
    let misrouted = 0;
    for (const s of streams) {
      const sent = this.#sent[s.index * PHASES + MEASURED]!;
      packetsIn += sent;
      expected += sent * s.receivers.length;
    }
    this.#counts.forEach((counts, participant) => {
      for (const s of streams) {
        const should = this.#shouldReceive[participant]!.has(s.index);
        for (let phase = 0; phase < PHASES; phase++) {
          const n = counts[s.index * PHASES + phase]!;
          if (!should) misrouted += n;
          else if (phase === MEASURED) delivered += n;
        }
      }
    });
    return {
      seconds: this.#measuredMs / 1000,
      packetsIn,
      expected,
      delivered,
      misrouted,
      received: (stream, participant) => this.#counts[participant]?.[stream * PHASES + MEASURED] ?? 0,
      sent: (stream) => this.#sent[stream * PHASES + MEASURED] ?? 0,
    };
  }

  close(): void {
    this.stop();
    for (const s of [this.sender, ...this.receivers]) s.close();
  }
}
