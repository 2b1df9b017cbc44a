/**
 * npm run bench:sfu — synthetic meetings through the SFU: a province meeting (host + 78 sites)
 * and a large one (host + 170), each measured through our rooms and worker pool and then, with
 * the same packets, through a floor: a minimal native UDP forwarder (sfu-floor.c) that receives
 * each packet once and sends it to every receiver. Prints packets in and forwarded per second,
 * loss, consumers per worker and the relay's CPU microseconds per forwarded packet, and the ratio
 * SFU / floor. Aim: no loss at 1 + 170 on two cores, and under 3x the floor.
 *
 * Loopback only, plain RTP (no SRTP): see sfu-topology.ts for how the topology is built and
 * sfu-media.ts for the streams. Optional environment: SFU_* (sfu/config.ts, e.g.
 * SFU_MAX_CONSUMERS_PER_WORKER, SFU_WORKERS), BENCH_SFU_SITES (default "78,170"),
 * BENCH_SFU_WARMUP_S (3), BENCH_SFU_MEASURE_S (15), BENCH_SFU_SIMULCAST (0; 1 = simulcast site
 * cameras).
 */
import os from 'node:os';
import { pino } from 'pino';
import { z } from 'zod';
import { SfuEnv, sfuConfigFromEnv } from '../../sfu/config.ts';
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

async function throughSfu(plan: MeetingPlan, sites: SyntheticSites): Promise<SfuResult> {
  // A fresh pool per scenario: its consumer counts and CPU time belong to this meeting alone.
  const pool = await WorkerPool.create(config, log);
  try {
    const meeting = await SfuMeeting.build({ pool, config, log, plan, senderPort: sites.senderPort, receiverPort: (p) => sites.receiverPort(p) });
    try {
      const consumersPerWorker = pool.slots().map((s) => s.consumerCount).join(' / ');
      const routers = meeting.room.routers.length;
      const isRelayPort = (port: number) => port >= config.rtcMinPort && port <= config.rtcMaxPort;
      const m = await measure({ sites, destinations: meeting.destinations, cpuMicros: () => workerCpuMicros(pool), isRelayPort, timing });
      return { m, consumersPerWorker, routers };
    } finally {
      meeting.close();
    }
  } finally {
    pool.close();
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

const perSecond = (n: number, m: Measurement) => Math.round(n / m.seconds).toLocaleString('en-US');
const lossPercent = (m: Measurement) => (m.expected === 0 ? 0 : (100 * (m.expected - m.delivered)) / m.expected);
const cpuPerPacket = (m: Measurement) => m.cpuMicros / Math.max(1, m.delivered);

const load = () => os.loadavg()[0]!.toFixed(1);
const loadBefore = load();
const rows: Record<string, string | number>[] = [];
for (const siteCount of bench.BENCH_SFU_SITES) {
  const plan = planMeeting(siteCount, { simulcastSites: bench.BENCH_SFU_SIMULCAST === '1' });
  const sites = await SyntheticSites.open(plan);
  try {
    progress(`1 + ${siteCount}: through the SFU (${config.numWorkers} workers, limit ${config.maxConsumersPerWorker} consumers per worker)`);
    const sfu = await throughSfu(plan, sites);
    progress(`1 + ${siteCount}: through the floor forwarder`);
    const floor = await throughFloor(plan, sites);
    const sfuCpu = cpuPerPacket(sfu.m);
    const floorCpu = cpuPerPacket(floor);
    const name = siteCount === 78 ? 'province' : siteCount === 170 ? 'large' : 'custom';
    rows.push({
      scenario: name,
      sites: `1 + ${siteCount}`,
      routers: sfu.routers,
      'consumers per worker': sfu.consumersPerWorker,
      'packets in/s': perSecond(sfu.m.packetsIn, sfu.m),
      'forwarded/s': perSecond(sfu.m.delivered, sfu.m),
      'SFU loss': `${lossPercent(sfu.m).toFixed(3)}%`,
      'SFU drops relay/rcv': `${sfu.m.drops.atRelay}/${sfu.m.drops.atReceivers}`,
      'floor loss': `${lossPercent(floor).toFixed(3)}%`,
      'floor drops relay/rcv': `${floor.drops.atRelay}/${floor.drops.atReceivers}`,
      'misrouted': sfu.m.misrouted,
      'SFU CPU µs/fwd': sfuCpu.toFixed(2),
      'floor CPU µs/fwd': floorCpu.toFixed(2),
      'SFU / floor': `${(sfuCpu / floorCpu).toFixed(2)}x`,
      'SFU CPU %': `${((100 * sfu.m.cpuMicros) / (sfu.m.seconds * 1e6)).toFixed(0)}%`,
    });
  } finally {
    sites.close();
  }
}

process.stdout.write(
  `\nSynthetic meetings on loopback, plain RTP (no SRTP), ${bench.BENCH_SFU_MEASURE_S} s measured after ${bench.BENCH_SFU_WARMUP_S} s warm-up; ` +
    `mediasoup ${config.numWorkers} workers, SFU_MAX_CONSUMERS_PER_WORKER=${config.maxConsumersPerWorker}, ` +
    `${bench.BENCH_SFU_SIMULCAST === '1' ? 'simulcast' : 'single-encoding'} site cameras.\n` +
    'Every site receives the host camera (100 pkt/s) and microphone (50) and the floor holder\'s microphone (50); the host receives every site\'s thumbnail (20) and the floor microphone.\n' +
    'CPU: the workers\' getrusage (user + system, all workers) and the floor forwarder\'s, over the measured phase, per packet delivered to a receiver.\n' +
    'Drops: datagrams the kernel dropped at full receive buffers (/proc/net/udp), at the relay\'s sockets / at the bench\'s receivers.\n' +
    `Machine: ${os.availableParallelism()} CPUs, 1-minute load average ${loadBefore} before and ${load()} after (other processes share these cores).\n\n`,
);
printTable(rows);
process.stdout.write('\nAim: no loss at 1 + 170 on two cores, SFU / floor under 3x.\n');
