/**
 * SRTP through the worker's libsrtp shim (sfu/worker-build/libsrtp3-shim/srtp.h), for every
 * suite mediasoup offers, for RTP and RTCP, between two workers.
 *
 * Each link: RTP from Node → a plain ingress transport on router A (worker 0) → an SRTP link
 * → router B (worker 1) → a plain egress transport → Node. The link's two ends talk through a
 * UDP relay in this process, which checks that no plaintext crosses it and, for PipeTransports
 * with RTX, drops every fifth original packet so that only NACK + RTX can repair the stream.
 *
 *  - RTP A→B decrypts: every packet reaching the egress carries the exact payload sent in.
 *  - RTCP A→B decrypts: B's producer traces the Sender Reports A's consumer sends.
 *  - RTCP B→A decrypts: A's consumer traces the PLI (and NACKs) B's producer sends.
 *  - RTX: A's pipe consumer retransmits what the relay dropped, and the egress gets it all.
 * and the controls: with one bit of A's key wrong at B, nothing reaches the egress and no
 * Sender Report is traced; with one bit of B's key wrong at A, no PLI/NACK is traced and
 * nothing is retransmitted, though the relay carried them. So a shim that did not encrypt, did
 * not decrypt, or ignored the key fails here.
 *
 * PipeTransports always use AEAD_AES_256_GCM (mediasoup fixes it), so the other suites are
 * exercised on PlainTransports, which are what carries SRTP between mediasoup and anything
 * else. Browsers' WebRtcTransports negotiate their suite in DTLS and are covered by the
 * browser tests under web/.
 */
import dgram from 'node:dgram';
import { once } from 'node:events';
import type { types as ms } from 'mediasoup';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RtpStream, keyFrameRequests, readTrailer, singleCameraPlan } from '../tests/bench/sfu-media.ts';
import { rtcListenInfo } from './config.ts';
import { silentLog, testConfig, vp8SimulcastParameters } from './test-fixtures.ts';
import { WorkerPool } from './worker-pool.ts';

const LOOPBACK = '127.0.0.1';
const config = testConfig(20700);
const SUITES: ms.SrtpCryptoSuite[] = ['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32', 'AEAD_AES_128_GCM', 'AEAD_AES_256_GCM'];
const mediaCodecs: ms.RouterRtpCodecCapability[] = [{ kind: 'video', mimeType: 'video/VP8', clockRate: 90000 }];
/** The payload filler RtpStream writes; a run of it on the wire is plaintext. */
const PLAINTEXT_RUN = Buffer.alloc(16, 0x5a);
const WARMUP_MS = 1000;
const MEASURE_MS = 2000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let pool: WorkerPool;
beforeAll(async () => {
  pool = await WorkerPool.create(config, silentLog);
});
afterAll(() => pool?.close());

type Corrupt = 'none' | 'key-of-A-at-B' | 'key-of-B-at-A';

/** The same key with one bit flipped. */
function flipBit(p: ms.SrtpParameters): ms.SrtpParameters {
  const key = Buffer.from(p.keyBase64, 'base64');
  key[0] = key[0]! ^ 0x01;
  return { cryptoSuite: p.cryptoSuite, keyBase64: key.toString('base64') };
}

async function udpSocket(): Promise<dgram.Socket> {
  const s = dgram.createSocket({ type: 'udp4', recvBufferSize: 1 << 20 });
  s.bind(0, LOOPBACK);
  await once(s, 'listening');
  return s;
}

/** RFC 5761: under rtcp-mux, RTCP packet types 192-223 occupy the second byte. */
const isRtcp = (p: Buffer) => p.length >= 2 && p[1]! >= 192 && p[1]! <= 223;

/** A→B and B→A between the two ends of the SRTP link, with counts and an optional drop rule. */
class Relay {
  aToB = { rtp: 0, rtcp: 0, rtx: 0, dropped: 0, plaintext: 0 };
  bToA = { rtp: 0, rtcp: 0 };
  /** Set once the link's RTP parameters are known: which SSRC is the original stream. */
  primarySsrc = 0;
  dropEvery = 0;
  #aPort = 0;
  #bPort = 0;

  private constructor(
    readonly sideA: dgram.Socket,
    readonly sideB: dgram.Socket,
  ) {
    sideA.on('message', (msg, from) => {
      this.#aPort = from.port;
      if (isRtcp(msg)) this.aToB.rtcp++;
      else {
        this.aToB.rtp++;
        if (msg.subarray(12).includes(PLAINTEXT_RUN)) this.aToB.plaintext++;
        const ssrc = msg.readUInt32BE(8);
        if (ssrc !== this.primarySsrc) this.aToB.rtx++;
        else if (this.dropEvery > 0 && msg.readUInt16BE(2) % this.dropEvery === 0) {
          this.aToB.dropped++;
          return;
        }
      }
      if (this.#bPort) sideB.send(msg, this.#bPort, LOOPBACK);
    });
    sideB.on('message', (msg, from) => {
      this.#bPort = from.port;
      if (isRtcp(msg)) this.bToA.rtcp++;
      else this.bToA.rtp++;
      if (this.#aPort) sideA.send(msg, this.#aPort, LOOPBACK);
    });
  }

  static async open(): Promise<Relay> {
    return new Relay(await udpSocket(), await udpSocket());
  }

  /** The transports' own ports, known before their first packet. */
  bind(aPort: number, bPort: number): void {
    this.#aPort = aPort;
    this.#bPort = bPort;
  }

  close(): void {
    this.sideA.close();
    this.sideB.close();
  }
}

interface LinkResult {
  sentMeasured: number;
  receivedMeasured: number;
  /** Egress packets whose payload differs from what was sent in (never expected). */
  corrupted: number;
  srTracedAtB: number;
  pliTracedAtA: number;
  nackTracedAtA: number;
  retransmittedByA: number;
  relay: Relay;
}

/**
 * Builds one link of `kind` with `suite`, streams VP8 through it for WARMUP + MEASURE, asks
 * for a key frame from B's side half-way, and reports what crossed.
 */
async function runLink(kind: 'plain' | 'pipe', suite: ms.SrtpCryptoSuite, corrupt: Corrupt): Promise<LinkResult> {
  const [slotA, slotB] = pool.slots();
  const routerA = await slotA!.worker.createRouter({ mediaCodecs });
  const routerB = await slotB!.worker.createRouter({ mediaCodecs });
  const sender = await udpSocket();
  const egress = await udpSocket();
  const relay = await Relay.open();
  try {
    // --- ingress: plain RTP from Node into router A
    const ingress = await routerA.createPlainTransport({ listenInfo: rtcListenInfo(config), rtcpMux: true, comedia: true });
    const ssrc = 0x2000_0000 + Math.floor(Math.random() * 0x0fff_ffff);
    const { codecs, rtcp } = vp8SimulcastParameters(ssrc);
    const producer = await ingress.produce({ kind: 'video', rtpParameters: { codecs, headerExtensions: [], encodings: [{ ssrc }], rtcp } as ms.RtpParameters });

    // --- the SRTP link
    let consumerA: ms.Consumer;
    let producerB: ms.Producer;
    if (kind === 'plain') {
      const opts = { listenInfo: rtcListenInfo(config), rtcpMux: true, comedia: false, enableSrtp: true, srtpCryptoSuite: suite };
      const tA = await routerA.createPlainTransport(opts);
      const tB = await routerB.createPlainTransport(opts);
      expect(tA.srtpParameters?.cryptoSuite).toBe(suite);
      relay.bind(tA.tuple.localPort, tB.tuple.localPort);
      await tA.connect({
        ip: LOOPBACK,
        port: relay.sideA.address().port,
        srtpParameters: corrupt === 'key-of-B-at-A' ? flipBit(tB.srtpParameters!) : tB.srtpParameters!,
      });
      await tB.connect({
        ip: LOOPBACK,
        port: relay.sideB.address().port,
        srtpParameters: corrupt === 'key-of-A-at-B' ? flipBit(tA.srtpParameters!) : tA.srtpParameters!,
      });
      consumerA = await tA.consume({ producerId: producer.id, rtpCapabilities: routerB.rtpCapabilities });
      producerB = await tB.produce({ kind: 'video', rtpParameters: consumerA.rtpParameters });
    } else {
      const opts = { listenInfo: rtcListenInfo(config), enableSrtp: true, enableRtx: true };
      const pA = await routerA.createPipeTransport(opts);
      const pB = await routerB.createPipeTransport(opts);
      expect(pA.srtpParameters?.cryptoSuite).toBe(suite);
      relay.bind(pA.tuple.localPort, pB.tuple.localPort);
      await pA.connect({
        ip: LOOPBACK,
        port: relay.sideA.address().port,
        srtpParameters: corrupt === 'key-of-B-at-A' ? flipBit(pB.srtpParameters!) : pB.srtpParameters!,
      });
      await pB.connect({
        ip: LOOPBACK,
        port: relay.sideB.address().port,
        srtpParameters: corrupt === 'key-of-A-at-B' ? flipBit(pA.srtpParameters!) : pA.srtpParameters!,
      });
      consumerA = await pA.consume({ producerId: producer.id });
      expect(consumerA.rtpParameters.encodings?.[0]?.rtx?.ssrc).toBeGreaterThan(0);
      producerB = await pB.produce({ id: producer.id, kind: 'video', rtpParameters: consumerA.rtpParameters });
      relay.dropEvery = 5;
    }
    relay.primarySsrc = consumerA.rtpParameters.encodings![0]!.ssrc!;

    // --- egress: plain RTP from router B back to Node
    const out = await routerB.createPlainTransport({ listenInfo: rtcListenInfo(config), rtcpMux: true, comedia: false });
    await out.connect({ ip: LOOPBACK, port: egress.address().port });
    const egressConsumer = await out.consume({ producerId: producerB.id, rtpCapabilities: routerB.rtpCapabilities });

    const traced = { sr: 0, pli: 0, nack: 0 };
    await producerB.enableTraceEvent(['sr']);
    producerB.on('trace', (t) => void (t.type === 'sr' && traced.sr++));
    await consumerA.enableTraceEvent(['pli', 'nack']);
    consumerA.on('trace', (t) => {
      if (t.type === 'pli') traced.pli++;
      if (t.type === 'nack') traced.nack++;
    });

    // --- media: 25 frames/s of 4 packets; phase 0 warms up, phase 1 is counted
    const plan = singleCameraPlan(ssrc, { fps: 25, packetsPerFrame: 4, packetBytes: 900 });
    const stream = new RtpStream(plan);
    const sent = [0, 0, 0];
    const received = [0, 0, 0];
    let corrupted = 0;
    sender.on('message', (msg) => {
      if (keyFrameRequests(msg).includes(ssrc)) stream.keyFrameWanted = true;
    });
    egress.on('message', (msg) => {
      const t = readTrailer(msg);
      if (!t) return;
      received[t.phase]!++;
      if (!msg.subarray(12).includes(PLAINTEXT_RUN)) corrupted++;
    });
    let phase: 0 | 1 | 2 = 0;
    const ingressPort = ingress.tuple.localPort;
    const timer = setInterval(() => {
      for (const p of stream.nextFrame(phase, performance.now())) {
        sent[phase]!++;
        sender.send(p, ingressPort, LOOPBACK);
      }
    }, 1000 / plan.fps);
    try {
      await sleep(WARMUP_MS);
      phase = 1;
      await sleep(MEASURE_MS / 2);
      // B asks for a key frame: a PLI from B's producer to A's consumer, over SRTCP
      await egressConsumer.requestKeyFrame();
      await sleep(MEASURE_MS / 2);
      phase = 2;
      await sleep(500);
    } finally {
      clearInterval(timer);
    }
    await sleep(300);
    const statsA = await consumerA.getStats();
    const retransmittedByA = statsA.filter((s) => s.type === 'outbound-rtp').reduce((n, s) => n + s.packetsRetransmitted, 0);
    return {
      sentMeasured: sent[1]!,
      receivedMeasured: received[1]!,
      corrupted,
      srTracedAtB: traced.sr,
      pliTracedAtA: traced.pli,
      nackTracedAtA: traced.nack,
      retransmittedByA,
      relay,
    };
  } finally {
    routerA.close();
    routerB.close();
    sender.close();
    egress.close();
    relay.close();
  }
}

function expectEncryptedOnTheWire(r: LinkResult): void {
  expect(r.relay.aToB.rtp).toBeGreaterThan(50);
  expect(r.relay.aToB.plaintext).toBe(0);
}

function expectDecryptedBothWays(r: LinkResult): void {
  expectEncryptedOnTheWire(r);
  expect(r.sentMeasured).toBeGreaterThan(100);
  expect(r.corrupted).toBe(0);
  expect(r.srTracedAtB).toBeGreaterThan(0); // SRTCP A→B
  expect(r.pliTracedAtA).toBeGreaterThan(0); // SRTCP B→A
}

/** With a wrong key at B nothing A sends is accepted: no RTP at the egress, no Sender Report. */
function expectRefusedAtB(r: LinkResult): void {
  expectEncryptedOnTheWire(r);
  expect(r.relay.aToB.rtcp).toBeGreaterThan(0);
  expect(r.receivedMeasured).toBe(0);
  expect(r.srTracedAtB).toBe(0);
}

/** With a wrong key at A, B's RTCP crosses the relay but A accepts none of it. */
function expectRefusedAtA(r: LinkResult): void {
  expect(r.relay.bToA.rtcp).toBeGreaterThan(0);
  expect(r.srTracedAtB).toBeGreaterThan(0); // the other direction still works
  expect(r.pliTracedAtA).toBe(0);
  expect(r.nackTracedAtA).toBe(0);
  expect(r.retransmittedByA).toBe(0);
}

describe('SRTP between workers through the libsrtp shim', () => {
  for (const suite of SUITES) {
    it(`PlainTransport ${suite}: RTP and RTCP decrypt both ways, a wrong key drops them`, async () => {
      const [good, badAtB, badAtA] = await Promise.all([
        runLink('plain', suite, 'none'),
        runLink('plain', suite, 'key-of-A-at-B'),
        runLink('plain', suite, 'key-of-B-at-A'),
      ]);
      expectDecryptedBothWays(good);
      // nothing is dropped on this link: (nearly) every measured packet arrives intact
      expect(good.receivedMeasured).toBeGreaterThanOrEqual(good.sentMeasured * 0.98);
      expectRefusedAtB(badAtB);
      expectRefusedAtA(badAtA);
    });
  }

  it('PipeTransport AEAD_AES_256_GCM with RTX: NACKed packets are retransmitted over SRTP and decrypt', async () => {
    const [good, badAtB, badAtA] = await Promise.all([
      runLink('pipe', 'AEAD_AES_256_GCM', 'none'),
      runLink('pipe', 'AEAD_AES_256_GCM', 'key-of-A-at-B'),
      runLink('pipe', 'AEAD_AES_256_GCM', 'key-of-B-at-A'),
    ]);
    expectDecryptedBothWays(good);
    // a fifth of the originals were dropped; NACK (SRTCP) and RTX (SRTP) brought them back
    expect(good.relay.aToB.dropped).toBeGreaterThan(20);
    expect(good.nackTracedAtA).toBeGreaterThan(0);
    expect(good.retransmittedByA).toBeGreaterThanOrEqual(good.relay.aToB.dropped * 0.8);
    expect(good.relay.aToB.rtx).toBeGreaterThanOrEqual(good.retransmittedByA);
    expect(good.receivedMeasured).toBeGreaterThanOrEqual(good.sentMeasured * 0.97);
    expectRefusedAtB(badAtB);
    expectRefusedAtA(badAtA);
    // without NACKs reaching A, the dropped fifth stays lost
    expect(badAtA.receivedMeasured).toBeLessThan(badAtA.sentMeasured * 0.9);
  });
});
