/**
 * npm run bench:pipe — video across a cascade pipe between two workers on a lossless link and on
 * an impaired one (issue 12 §5: 2% loss, 40 ms delay; here each way), through the UDP relay of
 * tests/support/lossy-relay.ts. Prints, per link, at the far edge: complete frames per second (all
 * of a frame's packets arrived) and their ratio to the lossless link; decodable frames per second
 * (complete, and so is every frame back to the last key frame); the longest stretch without
 * either; what the relay dropped each way; what A's pipe consumer retransmitted; and the load
 * average. A third run without RTX shows what the same link does without it.
 *
 * Aim: on the impaired link, complete frames per second within 20% of the lossless link.
 * Printed, never asserted.
 *
 * Environment: BENCH_PIPE_SECONDS (measured seconds per run, 20), BENCH_PIPE_LOSS (0.02),
 * BENCH_PIPE_DELAY_MS (one-way, both directions, 40), BENCH_PIPE_SEED (12),
 * BENCH_PIPE_PORT_BASE (the workers' WebRTC ports; RTC ports base+400..base+599; 26000).
 */
import os from 'node:os';
import { pino } from 'pino';
import { z } from 'zod';
import { testConfig } from '../../sfu/test-fixtures.ts';
import { WorkerPool } from '../../sfu/worker-pool.ts';
import { runPipe, type PipeRunResult } from '../support/pipe-link-run.ts';
import { printTable } from './measure.ts';

const Env = z.object({
  BENCH_PIPE_SECONDS: z.coerce.number().min(2).max(600).default(20),
  BENCH_PIPE_LOSS: z.coerce.number().min(0).max(0.5).default(0.02),
  BENCH_PIPE_DELAY_MS: z.coerce.number().min(0).max(2000).default(40),
  BENCH_PIPE_SEED: z.coerce.number().int().min(0).default(12),
  BENCH_PIPE_PORT_BASE: z.coerce.number().int().min(1024).max(60_000).default(26000),
});
const parsed = Env.safeParse(process.env);
if (!parsed.success) {
  process.stderr.write(`${z.prettifyError(parsed.error)}\n`);
  process.exit(2);
}
const env = parsed.data;
const out = (line: string) => process.stdout.write(`${line}\n`);
const loadavg = () =>
  os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

const base = env.BENCH_PIPE_PORT_BASE;
const config = testConfig(base, { SFU_WORKERS: '2', SFU_RTC_MIN_PORT: String(base + 400), SFU_RTC_MAX_PORT: String(base + 599) });
const pool = await WorkerPool.create(config, pino({ level: 'silent' }));

const measureMs = env.BENCH_PIPE_SECONDS * 1000;
const runs: { label: string; result: PipeRunResult; load: string }[] = [];
try {
  const common = { pool, config, delayMs: env.BENCH_PIPE_DELAY_MS, seed: env.BENCH_PIPE_SEED, measureMs };
  const plan = [
    { label: 'lossless, RTX', rtx: true, loss: 0 },
    { label: `${env.BENCH_PIPE_LOSS * 100}% loss, RTX`, rtx: true, loss: env.BENCH_PIPE_LOSS },
    { label: `${env.BENCH_PIPE_LOSS * 100}% loss, no RTX`, rtx: false, loss: env.BENCH_PIPE_LOSS },
  ];
  out(`pipe bench: ${env.BENCH_PIPE_SECONDS} s measured per run, ${env.BENCH_PIPE_DELAY_MS} ms each way, 25 frames/s of 4 packets`);
  out(`load average before: ${loadavg()}`);
  for (const { label, rtx, loss } of plan) {
    const result = await runPipe({ ...common, rtx, loss });
    runs.push({ label, result, load: loadavg() });
  }
} finally {
  pool.close();
}

const perSecond = (frames: number, r: PipeRunResult) => frames / (r.measureMs / 1000);
const lossless = runs[0]!.result;
printTable(
  runs.map(({ label, result: r, load }) => ({
    link: label,
    'frames sent': r.framesSent,
    'complete frames/s': perSecond(r.framesComplete, r).toFixed(2),
    'ratio to lossless': (perSecond(r.framesComplete, r) / perSecond(lossless.framesComplete, lossless)).toFixed(3),
    'complete of sent': `${((100 * r.framesComplete) / r.framesSent).toFixed(1)}%`,
    'decodable frames/s': perSecond(r.framesDecodable, r).toFixed(2),
    'decodable ratio': (perSecond(r.framesDecodable, r) / perSecond(lossless.framesDecodable, lossless)).toFixed(3),
    'longest gap': `${r.longestGapMs.toFixed(0)} ms`,
    'longest freeze': `${r.longestFreezeMs.toFixed(0)} ms`,
    'slowest frame': `${r.slowestFrameMs} ms`,
    'key frames': r.keyFramesSent,
    'packets missing': r.packetsSent - r.packetsReceived,
    'dropped A→B': `${r.relay.aToB.dropped}/${r.relay.aToB.dropped + r.relay.aToB.forwarded}`,
    'dropped B→A': `${r.relay.bToA.dropped}/${r.relay.bToA.dropped + r.relay.bToA.forwarded}`,
    retransmitted: r.retransmitted,
    'NACKs at A': r.nacksAtA,
    'load average after': load,
  })),
);
out('complete: every packet of the frame arrived; decodable: complete, and so is every frame since the last key frame');
out('(nothing at the far end asks for a key frame after a loss, so without RTX "decodable" is the pessimistic figure)');
