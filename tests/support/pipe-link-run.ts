/**
 * One run of video across a cascade pipe between two routers on two workers, through a
 * LossyRelay, for sfu/cascade/pipe-link.test.ts and `npm run bench:pipe`.
 *
 *   Node ──DirectTransport──▶ router A ──pipe──▶ relay (loss, delay) ──pipe──▶ router B ──DirectTransport──▶ Node
 *
 * A camera of `fps` frames of `packetsPerFrame` packets (marker bit on the last) is produced on
 * a DirectTransport of router A, sent with PipeLink.send and received with PipeLink.receive as
 * the cascade does (the description crosses as JSON and is parsed with the cascade schema), and
 * consumed on a DirectTransport of router B, whose 'rtp' events are the far edge. The control
 * (`rtx: false`) is the same pair of SRTP PipeTransports with RTX off, which PipeLink never opens.
 *
 * Each packet carries its frame number and its index in the frame just before the bench
 * trailer (sfu-media.ts), so the far end counts complete frames whatever SSRC and sequence
 * numbers the SFU rewrote. A frame is complete when all its packets arrived; frames are
 * counted in the measured phase only (after a warm-up in which the far consumer gets its first
 * key frame), and the run drains for a while so late retransmissions count.
 */
import { randomUUID } from 'node:crypto';
import type { types as ms } from 'mediasoup';
import { PipeLink } from '../../sfu/cascade/pipe-link.ts';
import { PipedProducer } from '../../sfu/cascade/protocol.ts';
import { rtcListenInfo, type SfuConfig } from '../../sfu/config.ts';
import { mediaCodecs } from '../../sfu/room.ts';
import { vp8SimulcastParameters } from '../../sfu/test-fixtures.ts';
import type { WorkerPool } from '../../sfu/worker-pool.ts';
import { RtpStream, keyFrameRequests, readTrailer, singleCameraPlan, type Phase } from '../bench/sfu-media.ts';
import { type DirectionCounts, LossyRelay } from './lossy-relay.ts';

export interface PipeRunOptions {
  pool: WorkerPool;
  config: SfuConfig;
  /** true: the cascade's PipeLink (RTX on); false: the control pair with RTX off. */
  rtx: boolean;
  /** Loss and one-way delay, the same in both directions. */
  loss: number;
  delayMs: number;
  seed?: number;
  warmupMs?: number;
  measureMs?: number;
  drainMs?: number;
  fps?: number;
  packetsPerFrame?: number;
  packetBytes?: number;
}

export interface PipeRunResult {
  measureMs: number;
  framesSent: number;
  framesComplete: number;
  /**
   * Frames a decoder could show: complete, and every frame since the last key frame complete.
   * Nothing at the far end asks for a key frame when a frame stays incomplete (a browser would),
   * so without RTX this is the pessimistic figure and `framesComplete` the optimistic one.
   */
  framesDecodable: number;
  /** Key frames among the measured frames: one every two seconds, more if someone asked. */
  keyFramesSent: number;
  packetsSent: number;
  /** Distinct packets of the measured frames that reached the far end. */
  packetsReceived: number;
  /** Longest stretch without a complete frame, in sent-frame time (frame interval × frames). */
  longestGapMs: number;
  /** Longest stretch without a decodable frame: how long the picture would freeze. */
  longestFreezeMs: number;
  /** Longest time from a frame's capture to its last packet reaching the far end. */
  slowestFrameMs: number;
  /** Relay counts over the whole run, and A→B drops during the measured phase. */
  relay: { aToB: DirectionCounts; bToA: DirectionCounts; droppedMeasuredAToB: number };
  /** A's pipe consumer: packets resent on RTX, NACKs heard. */
  retransmitted: number;
  nacksAtA: number;
  /** B's pipe producer: NACKs sent, packets it counted lost. */
  nacksAtB: number;
  lostAtB: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Longest run of `frames` (ascending) missing from `kept` (a subsequence), as time. */
function longestGap(frames: number[], kept: number[], frameMs: number): number {
  const keptSet = new Set(kept);
  let longest = 0;
  let run = 0;
  for (const f of frames) {
    run = keptSet.has(f) ? 0 : run + 1;
    longest = Math.max(longest, run);
  }
  return longest * frameMs;
}

/** Frame number (uint32), packet index, packets in frame: the 6 bytes before the trailer. */
const FRAME_TAG_BYTES = 6;
const TRAILER_BYTES = 4;
const VP8_DESCRIPTOR_BYTES = 6;

interface Pipe {
  /** Where A's and B's pipe transports listen. */
  endA: { ip: string; port: number };
  endB: { ip: string; port: number };
  connect(relay: LossyRelay): Promise<void>;
  /** Pipes the producer across; resolves to A's pipe consumer and B's producer. */
  carry(producer: ms.Producer): Promise<{ consumerA: ms.Consumer; producerB: ms.Producer }>;
}

async function pipeLinks(routerA: ms.Router, routerB: ms.Router, config: SfuConfig): Promise<Pipe> {
  const linkA = await PipeLink.open(routerA, rtcListenInfo(config));
  const linkB = await PipeLink.open(routerB, rtcListenInfo(config));
  return {
    endA: linkA.local,
    endB: linkB.local,
    async connect(relay) {
      // each side connects to the relay's socket facing it, with the other side's key
      await linkA.connect({ ...linkB.local, ip: relay.ip, port: relay.portForA });
      await linkB.connect({ ...linkA.local, ip: relay.ip, port: relay.portForB });
    },
    async carry(producer) {
      const consumed = new Promise<ms.Consumer>((resolve) => linkA.transport.observer.once('newconsumer', resolve));
      const piped = await linkA.send(producer, { siteId: randomUUID(), siteName: 'Hội trường Chính phủ', role: 'host' }, 'camera', {
        paused: () => undefined,
        closed: () => undefined,
      });
      if (!piped) throw new Error('PipeLink.send did not send');
      // as on the cascade socket: JSON across, parsed on arrival
      const producerB = await linkB.receive(PipedProducer.parse(JSON.parse(JSON.stringify(piped))));
      if (!producerB) throw new Error('PipeLink.receive did not receive');
      return { consumerA: await consumed, producerB };
    },
  };
}

async function pipesWithoutRtx(routerA: ms.Router, routerB: ms.Router, config: SfuConfig): Promise<Pipe> {
  const options = { listenInfo: rtcListenInfo(config), enableSrtp: true, enableRtx: false, enableSctp: false };
  const a = await routerA.createPipeTransport(options);
  const b = await routerB.createPipeTransport(options);
  const end = (t: ms.PipeTransport) => ({ ip: t.tuple.localAddress ?? t.tuple.localIp, port: t.tuple.localPort });
  return {
    endA: end(a),
    endB: end(b),
    async connect(relay) {
      await a.connect({ ip: relay.ip, port: relay.portForA, srtpParameters: b.srtpParameters! });
      await b.connect({ ip: relay.ip, port: relay.portForB, srtpParameters: a.srtpParameters! });
    },
    async carry(producer) {
      const consumerA = await a.consume({ producerId: producer.id });
      const producerB = await b.produce({ id: producer.id, kind: consumerA.kind, rtpParameters: consumerA.rtpParameters });
      return { consumerA, producerB };
    },
  };
}

export async function runPipe(opts: PipeRunOptions): Promise<PipeRunResult> {
  const { pool, config } = opts;
  const warmupMs = opts.warmupMs ?? 2000;
  const measureMs = opts.measureMs ?? 10_000;
  const drainMs = opts.drainMs ?? 1500;
  const fps = opts.fps ?? 25;
  const packetsPerFrame = opts.packetsPerFrame ?? 4;
  const frameMs = 1000 / fps;

  const [slotA, slotB] = pool.slots();
  if (!slotA || !slotB || slotA.worker === slotB.worker) throw new Error('a pipe run needs two workers');
  const routerA = await slotA.worker.createRouter({ mediaCodecs });
  const routerB = await slotB.worker.createRouter({ mediaCodecs });
  let relay: LossyRelay | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    const pipe = opts.rtx ? await pipeLinks(routerA, routerB, config) : await pipesWithoutRtx(routerA, routerB, config);
    const impairment = { loss: opts.loss, delayMs: opts.delayMs };
    relay = await LossyRelay.open({ a: pipe.endA, b: pipe.endB, aToB: impairment, bToA: impairment, seed: opts.seed ?? 1 });
    await pipe.connect(relay);

    // --- the camera on A, fed from Node
    const ssrc = 0x3000_0000 + Math.floor(Math.random() * 0x0fff_ffff);
    const { codecs, rtcp } = vp8SimulcastParameters(ssrc);
    const directA = await routerA.createDirectTransport();
    const camera = await directA.produce({ kind: 'video', rtpParameters: { codecs, headerExtensions: [], encodings: [{ ssrc }], rtcp } as ms.RtpParameters });
    const plan = singleCameraPlan(ssrc, { fps, packetsPerFrame, packetBytes: opts.packetBytes ?? 1100 });
    const stream = new RtpStream(plan);
    // the far consumer's PLI crosses the pipe back to A's producer, which asks Node here
    directA.on('rtcp', (packet) => {
      if (keyFrameRequests(packet).includes(ssrc)) stream.keyFrameWanted = true;
    });

    const { consumerA, producerB } = await pipe.carry(camera);

    // --- the far edge on B
    const directB = await routerB.createDirectTransport();
    const far = await directB.consume({ producerId: producerB.id, rtpCapabilities: routerB.rtpCapabilities });
    /** frame number → packet indexes arrived */
    const arrived = new Map<number, Set<number>>();
    /** frame number → when its last missing packet arrived (performance.now()) */
    const completedAt = new Map<number, number>();
    let packetsReceived = 0;
    far.on('rtp', (packet) => {
      const trailer = readTrailer(packet);
      if (trailer?.phase !== 1) return;
      const tag = packet.length - TRAILER_BYTES - FRAME_TAG_BYTES;
      const frame = packet.readUInt32BE(tag);
      const index = packet[tag + 4]!;
      const seen = arrived.get(frame) ?? new Set<number>();
      arrived.set(frame, seen);
      // a packet NACKed late but not lost can arrive twice: count it once
      if (seen.has(index)) return;
      seen.add(index);
      packetsReceived++;
      if (seen.size === packetsPerFrame && !completedAt.has(frame)) completedAt.set(frame, performance.now());
    });

    // --- send: phase 0 warms up, phase 1 is measured, phase 2 drains
    let phase: Phase = 0;
    let frame = 0;
    let framesSent = 0;
    let packetsSent = 0;
    /** frame number → when it was sent */
    const sentAt = new Map<number, number>();
    const keyFrames = new Set<number>();
    timer = setInterval(() => {
      const now = performance.now();
      const packets = stream.nextFrame(phase, now);
      if (phase === 1) {
        framesSent++;
        packetsSent += packets.length;
        sentAt.set(frame, now);
        // RtpStream clears the VP8 frame tag's bit 0 on a key frame's first packet
        if ((packets[0]![12 + VP8_DESCRIPTOR_BYTES]! & 0x01) === 0) keyFrames.add(frame);
      }
      packets.forEach((p, i) => {
        const tag = p.length - TRAILER_BYTES - FRAME_TAG_BYTES;
        p.writeUInt32BE(frame, tag);
        p[tag + 4] = i;
        p[tag + 5] = packets.length;
        camera.send(p);
      });
      frame++;
    }, frameMs);

    await sleep(warmupMs);
    phase = 1;
    const droppedBefore = relay.aToB.dropped;
    await sleep(measureMs);
    phase = 2;
    const droppedMeasuredAToB = relay.aToB.dropped - droppedBefore;
    await sleep(drainMs);
    clearInterval(timer);
    timer = undefined;

    // --- what arrived
    const measured = [...sentAt.keys()].sort((x, y) => x - y);
    const complete = measured.filter((f) => completedAt.has(f));
    // the warm-up left the decoder in step: the first measured frame needs only itself
    let inStep = true;
    const decodable = measured.filter((f) => {
      inStep = completedAt.has(f) && (inStep || keyFrames.has(f));
      return inStep;
    });
    const slowestFrameMs = Math.max(0, ...complete.map((f) => completedAt.get(f)! - sentAt.get(f)!));

    const statsA = await consumerA.getStats();
    const statsB = await producerB.getStats();
    const sum = <T>(items: T[], of: (t: T) => number) => items.reduce((n, t) => n + of(t), 0);
    const outbound = statsA.filter((s) => s.type === 'outbound-rtp');
    return {
      measureMs,
      framesSent,
      framesComplete: complete.length,
      framesDecodable: decodable.length,
      keyFramesSent: keyFrames.size,
      packetsSent,
      packetsReceived,
      longestGapMs: longestGap(measured, complete, frameMs),
      longestFreezeMs: longestGap(measured, decodable, frameMs),
      slowestFrameMs: Math.round(slowestFrameMs),
      relay: { aToB: { ...relay.aToB }, bToA: { ...relay.bToA }, droppedMeasuredAToB },
      retransmitted: sum(outbound, (s) => s.packetsRetransmitted),
      nacksAtA: sum(outbound, (s) => s.nackCount),
      nacksAtB: sum(statsB, (s) => s.nackCount),
      lostAtB: sum(statsB, (s) => s.packetsLost),
    };
  } finally {
    if (timer) clearInterval(timer);
    relay?.close();
    routerA.close();
    routerB.close();
  }
}
