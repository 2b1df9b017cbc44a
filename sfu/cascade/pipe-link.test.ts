/**
 * A cascade pipe on a bad link between nodes (issue 12 §5): with 2% loss and 40 ms of delay
 * each way, video still reaches the far edge whole, because PipeLink turns RTX on and the far
 * pipe producer NACKs what the link lost. The link is impaired by a UDP relay in this process
 * (tests/support/lossy-relay.ts; the kernel here has no netem); the media path and the counts
 * are tests/support/pipe-link-run.ts.
 *
 * The control is the same link, the same seed (so the same share of drops), with RTX off: there
 * the losses stay lost, so the test shows it is RTX that recovers them. Frame rates and their
 * ratio to a lossless link are figures for `npm run bench:pipe`, not assertions.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPipe } from '../../tests/support/pipe-link-run.ts';
import { silentLog, testConfig } from '../test-fixtures.ts';
import { WorkerPool } from '../worker-pool.ts';

const config = testConfig(26000, { SFU_WORKERS: '2', SFU_RTC_MIN_PORT: '26400', SFU_RTC_MAX_PORT: '26599' });
const LINK = { loss: 0.02, delayMs: 40, seed: 12, warmupMs: 2000, measureMs: 10_000, drainMs: 1500 };

let pool: WorkerPool;
beforeAll(async () => {
  pool = await WorkerPool.create(config, silentLog);
});
afterAll(() => pool?.close());

describe('a pipe link with 2% loss and 40 ms delay', () => {
  it('RTX recovers the lost packets: the far edge gets every frame but a few, never a second without one; without RTX the losses stay', async () => {
    const [withRtx, withoutRtx] = await Promise.all([runPipe({ pool, config, rtx: true, ...LINK }), runPipe({ pool, config, rtx: false, ...LINK })]);

    for (const run of [withRtx, withoutRtx]) {
      // the relay really dropped about 2% of what crossed it, both ways
      const { aToB, bToA } = run.relay;
      expect(run.relay.droppedMeasuredAToB).toBeGreaterThan(0);
      expect(aToB.dropped / (aToB.dropped + aToB.forwarded)).toBeGreaterThan(0.005);
      expect(aToB.dropped / (aToB.dropped + aToB.forwarded)).toBeLessThan(0.05);
      expect(bToA.forwarded).toBeGreaterThan(0); // RTCP (receiver reports, NACK, PLI) goes back through it too
      expect(run.framesSent).toBeGreaterThan(100);
    }

    // with RTX: A resent on NACK, and the far edge is (nearly) whole
    expect(withRtx.nacksAtA).toBeGreaterThan(0);
    expect(withRtx.retransmitted).toBeGreaterThan(0);
    expect(withRtx.framesSent - withRtx.framesComplete).toBeLessThanOrEqual(3);
    expect(withRtx.longestGapMs).toBeLessThan(1000);
    expect(withRtx.longestFreezeMs).toBeLessThan(1000); // no frame left incomplete stalls the decoder for a second

    // without RTX: nothing is resent and what the relay dropped is missing at the far edge
    expect(withoutRtx.retransmitted).toBe(0);
    expect(withoutRtx.packetsSent - withoutRtx.packetsReceived).toBeGreaterThanOrEqual(Math.ceil(withoutRtx.relay.droppedMeasuredAToB / 2));
    expect(withoutRtx.framesSent - withoutRtx.framesComplete).toBeGreaterThanOrEqual(5);
    expect(withoutRtx.framesSent - withoutRtx.framesComplete).toBeGreaterThan(withRtx.framesSent - withRtx.framesComplete);
  }, 120_000);
});
