/**
 * The synthetic meeting for the SFU bench: who publishes which streams at what rate, who must
 * receive each stream under the room's media policy, and the RTP packets themselves.
 *
 * Participant 0 is the host hall, 1..N are the sites. Streams (rates are a realistic guess for a
 * hall camera and commune thumbnails, not measured from browsers):
 *  - host camera, VP8 at ~0.9 Mbit/s (25 frames/s of 4 packets of 1,100 bytes); every site
 *    receives it;
 *  - host microphone, opus 50 packets/s of 160 bytes; every site receives it;
 *  - each site's camera thumbnail, VP8 20 packets/s of 600 bytes; the host receives it;
 *  - the floor holder's (site 1's) microphone; the host and every other site receive it.
 *
 * Cameras are single-encoding, so consumers are SimpleConsumers, where room.ts would use
 * simulcast (HIGH_LAYER of the host, LOW_LAYER of the sites). On PlainTransport consumers in
 * mediasoup 3.12.16 simulcast made the expected fan-out unknowable: a host camera with three
 * layers flowing was re-targeted between layers about once a second, and with one layer flowing
 * some consumers went to no layer about two seconds in (no producer score change, no pause).
 * `simulcastSites` brings the sites' simulcast back to show it (BENCH_SFU_SIMULCAST=1).
 * Other sites' microphones are silent (muted at the browser and paused at the server).
 *
 * Every packet ends with a 4-byte trailer — magic, stream index, phase — that the SFU forwards
 * untouched, so receivers can count per stream and per phase whatever SSRC the SFU rewrote to.
 */
import { opusParameters, vp8SimulcastParameters } from '../../sfu/test-fixtures.ts';

export type Source = 'camera' | 'microphone';

/** 0 = warm-up (consumers waiting for key frames), 1 = measured, 2 = draining. */
export type Phase = 0 | 1 | 2;
export const PHASES = 3;

export interface StreamPlan {
  index: number;
  owner: number;
  source: Source;
  /** Simulcast spatial layer (0 for audio). */
  layer: number;
  ssrc: number;
  payloadType: number;
  clockRate: number;
  video: boolean;
  fps: number;
  packetsPerFrame: number;
  packetBytes: number;
  /** Participants that must receive this stream. */
  receivers: number[];
}

/** One VP8 camera of `fps` frames of `packetsPerFrame` packets, sent alone (tests of one stream across a link). */
export function singleCameraPlan(ssrc: number, opts: { fps: number; packetsPerFrame: number; packetBytes: number }): StreamPlan {
  return { index: 0, owner: 0, source: 'camera', layer: 0, ssrc, payloadType: 96, clockRate: 90000, video: true, receivers: [], ...opts };
}

export interface ProducerPlan {
  owner: number;
  source: Source;
  kind: 'audio' | 'video';
  rtpParameters: ReturnType<typeof opusParameters> | ReturnType<typeof vp8SimulcastParameters> | ReturnType<typeof vp8Parameters>;
  /** The layer receivers ask for (video); the room's preferredLayers. */
  consumeLayer: number | undefined;
  streams: StreamPlan[];
  receivers: number[];
}

export interface MeetingPlan {
  sites: number;
  /** 1 + sites. */
  participants: number;
  floorHolder: number;
  producers: ProducerPlan[];
  streams: StreamPlan[];
}

const VP8_PT = 96;
const OPUS_PT = 111;
interface LayerRate {
  layer: number;
  fps: number;
  packetsPerFrame: number;
  packetBytes: number;
}
/** ~0.9 Mbit/s: 25 frames of 4 packets of 1,100 bytes. */
const HOST_CAMERA: LayerRate = { layer: 0, fps: 25, packetsPerFrame: 4, packetBytes: 1100 };
/** A commune thumbnail: 20 packets/s. */
const SITE_LOW_LAYER: LayerRate = { layer: 0, fps: 10, packetsPerFrame: 2, packetBytes: 600 };
const AUDIO = { fps: 50, packetsPerFrame: 1, packetBytes: 160 } as const;

export interface PlanOptions {
  /** Sites publish a three-layer simulcast camera (sending L0) instead of a single encoding. */
  simulcastSites?: boolean;
}

export function planMeeting(sites: number, opts: PlanOptions = {}): MeetingPlan {
  if (!Number.isInteger(sites) || sites < 2) throw new Error('a meeting needs at least two sites');
  const allSites = Array.from({ length: sites }, (_, i) => i + 1);
  const floorHolder = 1;
  const streams: StreamPlan[] = [];
  const producers: ProducerPlan[] = [];
  const stream = (s: Omit<StreamPlan, 'index'>) => {
    const plan = { index: streams.length, ...s };
    streams.push(plan);
    return plan;
  };
  // SSRCs are per participant so they never collide: owner * 16 + offset.
  const ssrcOf = (owner: number, offset: number) => 0x1000_0000 + owner * 16 + offset;

  const singleCamera = (owner: number, rate: LayerRate, receivers: number[]) => {
    const ssrc = ssrcOf(owner, 0);
    const planned = [
      stream({
        owner,
        source: 'camera',
        layer: rate.layer,
        ssrc,
        payloadType: VP8_PT,
        clockRate: 90000,
        video: true,
        fps: rate.fps,
        packetsPerFrame: rate.packetsPerFrame,
        packetBytes: rate.packetBytes,
        receivers,
      }),
    ];
    producers.push({ owner, source: 'camera', kind: 'video', rtpParameters: vp8Parameters(ssrc), consumeLayer: undefined, streams: planned, receivers });
  };
  /** A camera producer declaring three simulcast layers, of which `sent` are sent. */
  const simulcastCamera = (owner: number, sent: LayerRate[], consumeLayer: number, receivers: number[]) => {
    const rtpParameters = vp8SimulcastParameters(ssrcOf(owner, 0));
    const planned = sent.map(({ layer, ...rate }) =>
      stream({
        owner,
        source: 'camera',
        layer,
        ssrc: ssrcOf(owner, layer),
        payloadType: VP8_PT,
        clockRate: 90000,
        video: true,
        ...rate,
        receivers: layer === consumeLayer ? receivers : [],
      }),
    );
    producers.push({ owner, source: 'camera', kind: 'video', rtpParameters, consumeLayer, streams: planned, receivers });
  };
  const microphone = (owner: number, receivers: number[]) => {
    const rtpParameters = opusParameters(ssrcOf(owner, 8));
    const planned = [
      stream({ owner, source: 'microphone', layer: 0, ssrc: ssrcOf(owner, 8), payloadType: OPUS_PT, clockRate: 48000, video: false, ...AUDIO, receivers }),
    ];
    producers.push({ owner, source: 'microphone', kind: 'audio', rtpParameters, consumeLayer: undefined, streams: planned, receivers });
  };

  singleCamera(0, HOST_CAMERA, allSites);
  microphone(0, allSites);
  for (const site of allSites) {
    if (opts.simulcastSites) simulcastCamera(site, [SITE_LOW_LAYER], SITE_LOW_LAYER.layer, [0]);
    else singleCamera(site, SITE_LOW_LAYER, [0]);
    if (site === floorHolder) microphone(site, [0, ...allSites.filter((s) => s !== site)]);
  }
  return { sites, participants: sites + 1, floorHolder, producers, streams };
}

/** A single-encoding VP8 camera, with the feedback a browser offers. */
function vp8Parameters(ssrc: number) {
  const { codecs, headerExtensions, rtcp } = vp8SimulcastParameters(ssrc);
  return { codecs, headerExtensions, encodings: [{ ssrc }], rtcp };
}

// ---------------------------------------------------------------------------------------------
// Packets
// ---------------------------------------------------------------------------------------------

const TRAILER_MAGIC = 0xb5;
const TRAILER_BYTES = 4;
/** VP8 payload descriptor with X, I (15-bit picture id), L and T, as browsers send it. */
const VP8_DESCRIPTOR_BYTES = 6;

const NTP_EPOCH_OFFSET_S = 2_208_988_800;
/** Shared by every stream so the simulcast layers of one camera agree on the clock, as in a browser. */
const TS_BASE = Math.floor(Math.random() * 0x7fff_ffff);

/** Per-stream sender state. Times are performance.now() milliseconds. */
export class RtpStream {
  seq = Math.floor(Math.random() * 0xffff);
  frame = 0;
  pictureId = Math.floor(Math.random() * 0x7fff);
  tl0PicIdx = 0;
  keyFrameWanted = true;
  packets = 0;
  octets = 0;
  readonly #template: Buffer;

  constructor(readonly plan: StreamPlan) {
    this.#template = Buffer.alloc(plan.packetBytes, 0x5a);
  }

  #rtpTime(atMs: number): number {
    return (TS_BASE + Math.round((atMs * this.plan.clockRate) / 1000)) >>> 0;
  }

  /**
   * The packets of the frame captured at `atMs`: a key frame first, every two seconds, and
   * whenever the SFU asked with a PLI/FIR.
   */
  nextFrame(phase: Phase, atMs: number): Buffer[] {
    const { plan } = this;
    const keyFrame = plan.video && (this.keyFrameWanted || this.frame % (plan.fps * 2) === 0);
    this.keyFrameWanted = false;
    const timestamp = this.#rtpTime(atMs);
    const packets: Buffer[] = [];
    for (let i = 0; i < plan.packetsPerFrame; i++) {
      const p = Buffer.from(this.#template);
      const last = i === plan.packetsPerFrame - 1;
      p[0] = 0x80;
      p[1] = (plan.video && last ? 0x80 : 0) | plan.payloadType;
      p.writeUInt16BE(this.seq, 2);
      p.writeUInt32BE(timestamp, 4);
      p.writeUInt32BE(plan.ssrc, 8);
      this.seq = (this.seq + 1) & 0xffff;
      if (plan.video) {
        p[12] = 0x80 | (i === 0 ? 0x10 : 0); // X, S on the frame's first packet, partition 0
        p[13] = 0xe0; // I, L, T
        p[14] = 0x80 | ((this.pictureId >> 8) & 0x7f);
        p[15] = this.pictureId & 0xff;
        p[16] = this.tl0PicIdx;
        p[17] = 0x20; // TID 0 (every frame in the base layer, so none is filtered), Y
        // VP8 frame tag: bit 0 clear marks a key frame (mediasoup reads it on the first packet)
        p[12 + VP8_DESCRIPTOR_BYTES] = i === 0 && keyFrame ? 0x00 : 0x01;
      }
      const end = p.length;
      p[end - 4] = TRAILER_MAGIC;
      p.writeUInt16BE(plan.index, end - 3);
      p[end - 1] = phase;
      packets.push(p);
      this.packets++;
      this.octets += p.length - 12;
    }
    if (plan.video) {
      this.pictureId = (this.pictureId + 1) & 0x7fff;
      this.tl0PicIdx = (this.tl0PicIdx + 1) & 0xff;
    }
    this.frame++;
    return packets;
  }

  /**
   * An RTCP Sender Report for `nowMs`. The SFU needs them to line up the timestamps of simulcast
   * layers before it switches a consumer between them; browsers send one about every second.
   */
  senderReport(nowMs: number): Buffer {
    const sr = Buffer.alloc(28);
    sr[0] = 0x80;
    sr[1] = 200;
    sr.writeUInt16BE(6, 2);
    sr.writeUInt32BE(this.plan.ssrc, 4);
    const unixMs = performance.timeOrigin + nowMs;
    const seconds = Math.floor(unixMs / 1000);
    sr.writeUInt32BE((seconds + NTP_EPOCH_OFFSET_S) >>> 0, 8);
    sr.writeUInt32BE(Math.floor(((unixMs - seconds * 1000) / 1000) * 0x1_0000_0000) >>> 0, 12);
    sr.writeUInt32BE(this.#rtpTime(nowMs), 16);
    sr.writeUInt32BE(this.packets >>> 0, 20);
    sr.writeUInt32BE(this.octets >>> 0, 24);
    return sr;
  }
}

/** Reads the trailer of a forwarded RTP packet; undefined for RTCP and anything foreign. */
export function readTrailer(packet: Buffer): { stream: number; phase: number } | undefined {
  const n = packet.length;
  if (n < 12 + TRAILER_BYTES || (packet[0]! & 0xc0) !== 0x80) return undefined;
  const pt = packet[1]! & 0x7f;
  if (pt >= 72 && pt <= 76) return undefined; // RTCP (SR/RR/SDES/BYE/APP) under rtcp-mux
  if (packet[n - 4] !== TRAILER_MAGIC) return undefined;
  const phase = packet[n - 1]!;
  if (phase >= PHASES) return undefined;
  return { stream: packet.readUInt16BE(n - 3), phase };
}

/** SSRCs named by the PLI / FIR feedback in an RTCP compound packet. */
export function keyFrameRequests(packet: Buffer): number[] {
  const out: number[] = [];
  let off = 0;
  while (off + 12 <= packet.length) {
    const fmt = packet[off]! & 0x1f;
    const pt = packet[off + 1]!;
    const words = packet.readUInt16BE(off + 2);
    if (pt === 206 && (fmt === 1 || fmt === 4)) {
      // PLI names the media SSRC in the header; FIR in its FCI entries
      if (fmt === 1) out.push(packet.readUInt32BE(off + 8));
      else for (let f = off + 12; f + 8 <= off + 4 + words * 4; f += 8) out.push(packet.readUInt32BE(f));
    }
    off += 4 + words * 4;
  }
  return out;
}
