/**
 * One measured run of the synthetic sites against a relay (the SFU or the floor): warm up until
 * every consumer has had a key frame, then count the packets sent and delivered in a measured
 * phase and the relay's CPU time across it.
 */
import { readFileSync } from 'node:fs';
import type { WorkerPool } from '../../sfu/worker-pool.ts';
import type { DeliveryReport, SyntheticSites } from './sfu-sites.ts';

export interface Timing {
  warmupMs: number;
  measureMs: number;
}

export interface Measurement extends DeliveryReport {
  /** The relay's CPU time (user + system) across the measured phase. */
  cpuMicros: number;
  /** Datagrams the kernel dropped because a socket's receive buffer was full (any phase). */
  drops: { atReceivers: number; atRelay: number };
}

/**
 * Receive-buffer drops per local UDP port, from /proc/net/udp's `drops` column: tells a relay
 * that could not drain its sockets (busy or starved of CPU) from receivers that could not.
 */
function udpDropsByPort(): Map<number, number> {
  const out = new Map<number, number>();
  let text: string;
  try {
    text = readFileSync('/proc/net/udp', 'utf8');
  } catch {
    return out; // not Linux: the drop columns stay 0
  }
  for (const line of text.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    const local = fields[1];
    const drops = Number(fields[fields.length - 1]);
    if (!local || !Number.isFinite(drops)) continue;
    const port = parseInt(local.split(':')[1] ?? '', 16);
    out.set(port, (out.get(port) ?? 0) + drops);
  }
  return out;
}

/** After the measured phase: long enough for the last frames to cross loopback and the relay. */
const DRAIN_MS = 300;
const MAX_SETTLE_MS = 10_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function measure(opts: {
  sites: SyntheticSites;
  destinations: number[];
  cpuMicros: () => Promise<number>;
  /** Which local UDP ports are the relay's (for attributing socket drops). */
  isRelayPort: (port: number) => boolean;
  timing: Timing;
  /** Runs at the end of the warm-up, before the measured phase starts. */
  beforeMeasure?: () => Promise<void> | void;
}): Promise<Measurement> {
  const { sites } = opts;
  const receiverPorts = new Set(sites.receiverPorts());
  const dropsBefore = udpDropsByPort();
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
    // On a busy machine the receivers can be seconds behind: count only once nothing moves.
    for (let last = -1, waited = 0; waited < MAX_SETTLE_MS; waited += DRAIN_MS) {
      await sleep(DRAIN_MS);
      const now = sites.receivedTotal();
      if (now === last) break;
      last = now;
    }
    const drops = { atReceivers: 0, atRelay: 0 };
    for (const [port, n] of udpDropsByPort()) {
      const delta = n - (dropsBefore.get(port) ?? 0);
      if (receiverPorts.has(port)) drops.atReceivers += delta;
      else if (opts.isRelayPort(port)) drops.atRelay += delta;
    }
    return { ...sites.report(), cpuMicros: cpuAfter - cpuBefore, drops };
  } finally {
    sites.stop();
  }
}

/** CPU time of every worker in the pool: getrusage(RUSAGE_SELF) inside each worker, in ms. */
export async function workerCpuMicros(pool: WorkerPool): Promise<number> {
  const usage = await Promise.all(pool.slots().map((s) => s.worker.getResourceUsage()));
  return usage.reduce((sum, u) => sum + (u.ru_utime + u.ru_stime) * 1000, 0);
}
