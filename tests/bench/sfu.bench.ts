/**
 * npm run bench:sfu — synthetic meetings through the SFU: a province meeting (host + 78 sites)
 * and a large one (host + 170), each measured through our rooms and worker pool and then, with
 * the same packets, through a floor: a minimal native UDP forwarder (sfu-floor.c) that receives
 * each packet once and sends it to every receiver. Prints packets in and forwarded per second,
 * loss, consumers per worker and the relay's CPU microseconds per forwarded packet, and the ratio
 * SFU / floor. Aim: no loss at 1 + 170 on two cores, and under 3x the floor.
 *
 * Loss under load: a second process keeps one core busy for the whole run (as a loaded server
 * would; BENCH_SFU_BUSY_CORES, default 1), and each meeting runs through the SFU twice: with the
 * kernel's default socket buffers (what mediasoup 3.12 had; it could not set them) and with
 * SFU_RECV_BUFFER_BYTES / SFU_SEND_BUFFER_BYTES. Each run prints its loss, the kernel's UDP
 * RcvbufErrors / SndbufErrors (/proc/net/snmp, the whole machine) before and after, the drops at
 * the relay's own sockets (/proc/net/udp), and the load average.
 *
 * Loopback only, plain RTP (no SRTP): see sfu-topology.ts for how the topology is built and
 * sfu-media.ts for the streams. Optional environment: SFU_* (sfu/config.ts, e.g.
 * SFU_MAX_CONSUMERS_PER_WORKER, SFU_WORKERS), BENCH_SFU_SITES (default "78,170"),
 * BENCH_SFU_WARMUP_S (3), BENCH_SFU_MEASURE_S (15), BENCH_SFU_SIMULCAST (0; 1 = simulcast site
 * cameras), BENCH_SFU_BUSY_CORES (1), BENCH_SFU_DEFAULT_BUFFERS (1; 0 = skip the run with the
 * kernel's default buffers).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { pino } from 'pino';
import { z } from 'zod';
import { SfuEnv, sfuConfigFromEnv, type SfuConfig } from '../../sfu/config.ts';
import { readKernelBufferLimits } from '../../sfu/socket-buffers.ts';
import { WorkerPool } from '../../sfu/worker-pool.ts';
import { printTable } from './measure.ts';
import { FloorForwarder } from './sfu-floor.ts';
import { planMeeting, type MeetingPlan } from './sfu-media.ts';
import { measure, workerCpuMicros, type Measurement, type Timing } from './sfu-run.ts';
import { SyntheticSites } from './sfu-sites.ts';
import { SfuMeeting } from './sfu-topology.ts';

const BenchEnv = z.object({
  BENCH_SFU_SITES: z
    .string()
    .default('78,170')
    .transform((s) => s.split(',').map(Number))
    .pipe(z.array(z.number().int().min(2).max(1000)).min(1)),
  BENCH_SFU_WARMUP_S: z.coerce.number().min(1).max(60).default(3),
  BENCH_SFU_MEASURE_S: z.coerce.number().min(1).max(120).default(15),
  /** 1: sites publish simulcast cameras, as room.ts expects (see sfu-media.ts for why not by default). */
  BENCH_SFU_SIMULCAST: z.enum(['0', '1']).default('0'),
  /** Processes spinning on a core each for the whole run, standing in for a loaded server. */
  BENCH_SFU_BUSY_CORES: z.coerce.number().int().min(0).max(64).default(1),
  /** 1: also run each meeting with the kernel's default socket buffers, the 3.12 situation. */
  BENCH_SFU_DEFAULT_BUFFERS: z.enum(['0', '1']).default('1'),
});

function parseEnv() {
  // The bench's own ports, away from the tests' (20000-23999) and below the ephemeral range.
  const defaults = { SFU_WEBRTC_PORT_BASE: '28000', SFU_RTC_MIN_PORT: '28100', SFU_RTC_MAX_PORT: '29999', SFU_LOG_LEVEL: 'warn' };
  const sfu = SfuEnv.safeParse({ ...defaults, ...process.env });
  const bench = BenchEnv.safeParse(process.env);
  if (!sfu.success || !bench.success) {
    for (const issue of [...(sfu.error?.issues ?? []), ...(bench.error?.issues ?? [])]) {
      process.stderr.write(`${issue.path.join('.')}: ${issue.message}\n`);
    }
    process.exit(1);
  }
  return { config: sfuConfigFromEnv(sfu.data), bench: bench.data };
}

const { config, bench } = parseEnv();
const log = pino({ level: config.logLevel }, pino.destination(2));
const timing: Timing = { warmupMs: bench.BENCH_SFU_WARMUP_S * 1000, measureMs: bench.BENCH_SFU_MEASURE_S * 1000 };
const progress = (msg: string) => process.stderr.write(`[bench:sfu] ${msg}\n`);

interface SfuResult {
  m: Measurement;
  consumersPerWorker: string;
  routers: number;
}

async function throughSfu(config: SfuConfig, plan: MeetingPlan, sites: SyntheticSites): Promise<SfuResult> {
  // A fresh pool per scenario: its consumer counts and CPU time belong to this meeting alone.
  const pool = await WorkerPool.create(config, log);
  try {
    const meeting = await SfuMeeting.build({ pool, config, log, plan, senderPort: sites.senderPort, receiverPort: (p) => sites.receiverPort(p) });
    try {
      const consumersPerWorker = pool
        .slots()
        .map((s) => s.consumerCount)
        .join(' / ');
      const routers = meeting.room.routers.length;
      const isRelayPort = (port: number) => port >= config.rtcMinPort && port <= config.rtcMaxPort;
      const m = await measure({ sites, destinations: meeting.destinations, cpuMicros: () => workerCpuMicros(pool), isRelayPort, timing });
      return { m, consumersPerWorker, routers };
    } finally {
      meeting.close();
    }
  } finally {
    const pids = pool.slots().map((s) => s.worker.pid);
    pool.close();
    // The next run binds the same WebRtcServer ports: wait until the killed workers are gone.
    for (let waited = 0; waited < 5000 && pids.some(alive); waited += 50) await new Promise((r) => setTimeout(r, 50));
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function throughFloor(plan: MeetingPlan, sites: SyntheticSites): Promise<Measurement> {
  const floor = await FloorForwarder.start(plan, (p) => sites.receiverPort(p));
  try {
    const destinations = plan.streams.map(() => floor.port);
    const isRelayPort = (port: number) => port === floor.port;
    return await measure({ sites, destinations, cpuMicros: async () => (await floor.stats()).cpuMicros, isRelayPort, timing });
  } finally {
    await floor.close();
  }
}

/** The kernel's UDP counters for the whole machine (/proc/net/snmp), or undefined off Linux. */
function udpCounters(): { RcvbufErrors: number; SndbufErrors: number } | undefined {
  try {
    const [names, values] = readFileSync('/proc/net/snmp', 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('Udp:'))
      .map((l) => l.split(/\s+/).slice(1));
    const get = (name: string) => Number(values?.[names?.indexOf(name) ?? -1]);
    return { RcvbufErrors: get('RcvbufErrors'), SndbufErrors: get('SndbufErrors') };
  } catch {
    return undefined;
  }
}

/** Keeps `n` cores busy until stopped: the "second process" of a loaded server. */
function busyCores(n: number): ChildProcess[] {
  return Array.from({ length: n }, () => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
}

const perSecond = (n: number, m: Measurement) => Math.round(n / m.seconds).toLocaleString('en-US');
const lossPercent = (m: Measurement) => (m.expected === 0 ? 0 : (100 * (m.expected - m.delivered)) / m.expected);
const cpuPerPacket = (m: Measurement) => m.cpuMicros / Math.max(1, m.delivered);
const kib = (bytes: number) => `${Math.round(bytes / 1024).toLocaleString('en-US')} KiB`;
const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');

// What a socket gets when nobody sets SO_RCVBUF / SO_SNDBUF: the kernel doubles a request, so
// asking for half of rmem_default / wmem_default gives exactly the default.
const kernelDefault = (name: string, fallback: number) => {
  try {
    return Number(readFileSync(`/proc/sys/net/core/${name}`, 'utf8').trim()) || fallback;
  } catch {
    return fallback;
  }
};
const defaultBuffers = { recvBufferBytes: kernelDefault('rmem_default', 212992) / 2, sendBufferBytes: kernelDefault('wmem_default', 212992) / 2 };
const limits = readKernelBufferLimits();
const variants: { name: string; config: SfuConfig }[] = [
  ...(bench.BENCH_SFU_DEFAULT_BUFFERS === '1' ? [{ name: 'kernel default', config: { ...config, ...defaultBuffers } }] : []),
  { name: 'configured', config },
];
const describeBuffers = (c: SfuConfig) =>
  `${kib(2 * Math.min(c.recvBufferBytes, limits.rmemMax ?? Infinity))} / ${kib(2 * Math.min(c.sendBufferBytes, limits.wmemMax ?? Infinity))}`;

const busy = busyCores(bench.BENCH_SFU_BUSY_CORES);
const stopBusy = () => busy.forEach((c) => c.kill('SIGKILL'));
process.once('exit', stopBusy);
const loadBefore = load();
const rows: Record<string, string | number>[] = [];
try {
  for (const siteCount of bench.BENCH_SFU_SITES) {
    const plan = planMeeting(siteCount, { simulcastSites: bench.BENCH_SFU_SIMULCAST === '1' });
    const sites = await SyntheticSites.open(plan);
    try {
      progress(`1 + ${siteCount}: through the floor forwarder`);
      const floor = await throughFloor(plan, sites);
      const floorCpu = cpuPerPacket(floor);
      for (const variant of variants) {
        progress(
          `1 + ${siteCount}: through the SFU, ${variant.name} socket buffers (${config.numWorkers} workers, limit ${config.maxConsumersPerWorker} consumers per worker)`,
        );
        const snmpBefore = udpCounters();
        const sfu = await throughSfu(variant.config, plan, sites);
        const snmpAfter = udpCounters();
        const sfuCpu = cpuPerPacket(sfu.m);
        const snmp = (k: 'RcvbufErrors' | 'SndbufErrors') =>
          snmpBefore && snmpAfter ? `${snmpBefore[k]} → ${snmpAfter[k]} (+${snmpAfter[k] - snmpBefore[k]})` : 'n/a';
        rows.push({
          sites: `1 + ${siteCount}`,
          'buffers rcv/snd': `${variant.name}: ${describeBuffers(variant.config)}`,
          routers: sfu.routers,
          'consumers per worker': sfu.consumersPerWorker,
          'packets in/s': perSecond(sfu.m.packetsIn, sfu.m),
          'forwarded/s': perSecond(sfu.m.delivered, sfu.m),
          'SFU loss': `${lossPercent(sfu.m).toFixed(3)}%`,
          'SFU drops relay/rcv': `${sfu.m.drops.atRelay}/${sfu.m.drops.atReceivers}`,
          'UDP RcvbufErrors': snmp('RcvbufErrors'),
          'UDP SndbufErrors': snmp('SndbufErrors'),
          'floor loss': `${lossPercent(floor).toFixed(3)}%`,
          'SFU / floor CPU': `${(sfuCpu / floorCpu).toFixed(2)}x (${sfuCpu.toFixed(2)} / ${floorCpu.toFixed(2)} µs/fwd)`,
          'SFU CPU %': `${((100 * sfu.m.cpuMicros) / (sfu.m.seconds * 1e6)).toFixed(0)}%`,
          'load 1/5/15m after': load(),
        });
      }
    } finally {
      sites.close();
    }
  }
} finally {
  stopBusy();
}

process.stdout.write(
  `\nSynthetic meetings on loopback, plain RTP (no SRTP), ${bench.BENCH_SFU_MEASURE_S} s measured after ${bench.BENCH_SFU_WARMUP_S} s warm-up; ` +
    `mediasoup ${config.numWorkers} workers, SFU_MAX_CONSUMERS_PER_WORKER=${config.maxConsumersPerWorker}, ` +
    `${bench.BENCH_SFU_SIMULCAST === '1' ? 'simulcast' : 'single-encoding'} site cameras.\n` +
    "Every site receives the host camera (100 pkt/s) and microphone (50) and the floor holder's microphone (50); the host receives every site's thumbnail (20) and the floor microphone.\n" +
    "CPU: the workers' getrusage (user + system, all workers) and the floor forwarder's, over the measured phase, per packet delivered to a receiver.\n" +
    "Buffers: what the kernel gives the SFU's sockets (twice the request, capped by net.core.rmem_max/wmem_max = " +
    `${limits.rmemMax ?? '?'} / ${limits.wmemMax ?? '?'}); "kernel default" is what mediasoup 3.12 ran with.\n` +
    "Drops: datagrams the kernel dropped at full receive buffers (/proc/net/udp), at the relay's sockets / at the bench's receivers; RcvbufErrors / SndbufErrors: /proc/net/snmp, whole machine, before → after the run.\n" +
    `Machine: ${os.availableParallelism()} CPUs, ${bench.BENCH_SFU_BUSY_CORES} kept busy by another process during the run; load average (1/5/15 min) ${loadBefore} before the run (other processes share these cores).\n\n`,
);
printTable(rows);
process.stdout.write(
  "\nBefore (README, mediasoup 3.12.16, kernel default buffers, loaded 2-core machine): no loss at 1 + 78, 15–34% loss at 1 + 170, drops at the worker's socket.\n" +
    'Aim: no loss at 1 + 170 on two cores, SFU / floor under 3x.\n',
);
