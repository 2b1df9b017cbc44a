/**
 * One measured run of the synthetic sites against a relay (the SFU or the floor): warm up until
 * every consumer has had a key frame, then count the packets sent and delivered in a measured
 * phase and the relay's CPU time across it.
 */
import type { WorkerPool } from '../../sfu/worker-pool.ts';
import type { DeliveryReport, SyntheticSites } from './sfu-sites.ts';

export interface Timing {
  warmupMs: number;
  measureMs: number;
}

export interface Measurement extends DeliveryReport {
  /** The relay's CPU time (user + system) across the measured phase. */
  cpuMicros: number;
}

/** After the measured phase: long enough for the last frames to cross loopback and the relay. */
const DRAIN_MS = 300;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function measure(opts: {
  sites: SyntheticSites;
  destinations: number[];
  cpuMicros: () => Promise<number>;
  timing: Timing;
  /** Runs at the end of the warm-up, before the measured phase starts. */
  beforeMeasure?: () => Promise<void> | void;
}): Promise<Measurement> {
  const { sites } = opts;
  sites.start(opts.destinations);
  try {
    await sleep(opts.timing.warmupMs);
    await opts.beforeMeasure?.();
    const cpuBefore = await opts.cpuMicros();
    sites.setPhase(1);
    await sleep(opts.timing.measureMs);
    sites.setPhase(2);
    const cpuAfter = await opts.cpuMicros();
    await sleep(DRAIN_MS);
    sites.stop();
    await sleep(DRAIN_MS);
    return { ...sites.report(), cpuMicros: cpuAfter - cpuBefore };
  } finally {
    sites.stop();
  }
}

/** CPU time of every worker in the pool: getrusage(RUSAGE_SELF) inside each worker, in ms. */
export async function workerCpuMicros(pool: WorkerPool): Promise<number> {
  const usage = await Promise.all(pool.slots().map((s) => s.worker.getResourceUsage()));
  return usage.reduce((sum, u) => sum + (u.ru_utime + u.ru_stime) * 1000, 0);
}
