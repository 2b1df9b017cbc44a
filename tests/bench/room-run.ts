/**
 * One run of `npm run bench:room` (a child process, so each room implementation gets a fresh
 * heap and its own CPU account): loads sfu/room.ts, sfu/worker-pool.ts and sfu/test-fixtures.ts
 * from the tree given as argv[2] (this checkout, or a checkout of the old room), grows one room
 * on one real mediasoup worker through the Room/Peer API and measures at each size of argv[3]
 * (comma-separated, rising):
 *  - join: this process's CPU for a site that joins, opens both transports, sets its RTP
 *    capabilities and publishes microphone and camera (simulcast), SAMPLES one after another,
 *    until every peer settled;
 *  - leave: this process's CPU for one site leaving, likewise;
 *  - floor: wall time from giveFloor until every other peer has a consumer for the floor
 *    holder's camera and microphone (then the floor moves on, and the same is timed again),
 *    with the CPU it took here and in the worker (on a busy machine the wall time mostly
 *    measures waiting for a core).
 * The worker's own CPU is read from /proc. Prints one JSON line per size.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { types as ms } from 'mediasoup';
import { pino } from 'pino';

const [tree, sizesArg, portBase] = process.argv.slice(2) as [string, string, string];
const sizes = sizesArg.split(',').map(Number);
const SAMPLES = Number(process.env['BENCH_ROOM_SAMPLES'] ?? 50);
const FILL_PARALLEL = 25;

const load = (file: string) => import(pathToFileURL(path.join(tree, file)).href);
const { Room } = await load('sfu/room.ts');
const { WorkerPool } = await load('sfu/worker-pool.ts');
const fixtures = await load('sfu/test-fixtures.ts');

const config = fixtures.testConfig(Number(portBase), {
  SFU_WORKERS: '1',
  // one worker carries the whole room: the control plane is what is measured here
  SFU_MAX_CONSUMERS_PER_WORKER: '1000000',
  SFU_RTC_MIN_PORT: String(Number(portBase) + 100),
  SFU_RTC_MAX_PORT: String(Number(portBase) + 999),
});
const log = pino({ level: 'silent' });
const pool = await WorkerPool.create(config, log);
const workerPid: number = pool.slots()[0].worker.pid;
const openRoom = () =>
  Room.create({
    meetingId: randomUUID(),
    pool,
    config,
    events: { peerConnected() {}, peerClosed() {}, floorChanged() {}, closed() {} },
    log,
  });
// Warm-up: the same path through a throwaway room first, so the first size is not measured on
// cold code (the JIT would make small rooms look dear).
let room = await openRoom();

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const ticks = 100; // USER_HZ on Linux
const workerCpuMs = () => {
  const fields = readFileSync(`/proc/${workerPid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) / ticks) * 1000;
};

let ssrc = 10_000;
let n = 0;
type Peer = { siteId: string; producerOf(s: string): ms.Producer | undefined; consumerOf(id: string): ms.Consumer | undefined };

async function addSite(role: 'host' | 'participant'): Promise<Peer> {
  const i = n++;
  const peer = await room.join(
    { connectionId: randomUUID(), meetingId: room.meetingId, siteId: randomUUID(), siteName: `Xã ${(i * 7919) % 100_000}`, role },
    () => {},
  );
  const send = await room.createTransport(peer, 'send');
  await room.createTransport(peer, 'recv');
  await room.setRtpCapabilities(peer, room.rtpCapabilities);
  await room.produce(peer, { transportId: send.id, kind: 'audio', source: 'microphone', rtpParameters: fixtures.opusParameters(ssrc++) });
  await room.produce(peer, { transportId: send.id, kind: 'video', source: 'camera', rtpParameters: fixtures.vp8SimulcastParameters((ssrc += 3)) });
  return peer;
}

let host = await addSite('host');
let sites: Peer[] = [];
async function fillTo(size: number) {
  while (sites.length + 1 < size) {
    const batch = Math.min(FILL_PARALLEL, size - 1 - sites.length);
    sites.push(...(await Promise.all(Array.from({ length: batch }, () => addSite('participant')))));
  }
  await room.settled();
}

async function timeFloor(site: Peer): Promise<{ ms: number; cpuMs: number; workerCpuMs: number; reached: number }> {
  const cpu = cpuMs();
  const wcpu = workerCpuMs();
  const start = performance.now();
  await room.giveFloor(host, site.siteId);
  await room.settled();
  const ms = performance.now() - start;
  const spent = { cpuMs: cpuMs() - cpu, workerCpuMs: workerCpuMs() - wcpu };
  const cam = site.producerOf('camera')!.id;
  const mic = site.producerOf('microphone')!.id;
  let reached = 0;
  for (const p of room.peers() as Iterable<Peer>) if (p !== site && p.consumerOf(cam) && p.consumerOf(mic)) reached++;
  return { ms, ...spent, reached };
}

{
  await fillTo(100);
  await timeFloor(sites[10]!);
  await timeFloor(sites[20]!);
  for (let i = 0; i < SAMPLES; i++) room.leave(sites.pop());
  await room.settled();
  room.close('meeting-ended');
  room = await openRoom();
  sites = [];
  host = await addSite('host');
}

for (const size of sizes) {
  // Joins: fill to just below the size, then time SAMPLES joins one by one (the last bring it to size).
  await fillTo(size - SAMPLES);
  let cpu = cpuMs();
  let wcpu = workerCpuMs();
  let wall = performance.now();
  // One settle per batch: settled() itself walks every peer, which is the bench's cost, not the room's.
  for (let i = 0; i < SAMPLES; i++) sites.push(await addSite('participant'));
  await room.settled();
  const join = { cpuMs: (cpuMs() - cpu) / SAMPLES, workerCpuMs: (workerCpuMs() - wcpu) / SAMPLES, wallMs: (performance.now() - wall) / SAMPLES };

  // Floor: given to one site, then moved to another (one close and one create per peer).
  const given = await timeFloor(sites[Math.floor(sites.length / 3)]!);
  const moved = await timeFloor(sites[Math.floor((2 * sites.length) / 3)]!);
  room.revokeFloor(host);
  await room.settled();

  // Leaves: SAMPLES sites leave one by one (spread over the name order), then the room is refilled.
  cpu = cpuMs();
  wcpu = workerCpuMs();
  wall = performance.now();
  for (let i = 0; i < SAMPLES; i++) {
    const [gone] = sites.splice((i * 7) % sites.length, 1);
    room.leave(gone);
    // let the consumer changes of this leave run before the next (the old room queues them per peer)
    await new Promise((r) => setImmediate(r));
  }
  await room.settled();
  const leave = { cpuMs: (cpuMs() - cpu) / SAMPLES, workerCpuMs: (workerCpuMs() - wcpu) / SAMPLES, wallMs: (performance.now() - wall) / SAMPLES };
  await fillTo(size);

  process.stdout.write(
    `${JSON.stringify({ size, join, leave, floorGiven: given, floorMoved: moved, load: os.loadavg(), rssMb: process.memoryUsage().rss / 2 ** 20 })}\n`,
  );
}
room.close('meeting-ended');
pool.close();
