/**
 * Keeps `npm run bench:sfu` honest: a tiny meeting (host + 3 sites) through real workers, with
 * the consumer limit set low so the room spreads over both workers and media crosses
 * pipeToRouter. Proves the harness counts what the SFU forwards, and only that.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { silentLog, testConfig } from '../../sfu/test-fixtures.ts';
import { WorkerPool } from '../../sfu/worker-pool.ts';
import { planMeeting } from './sfu-media.ts';
import { measure, workerCpuMicros } from './sfu-run.ts';
import { SyntheticSites } from './sfu-sites.ts';
import { SfuMeeting } from './sfu-topology.ts';

const config = testConfig(22600, { SFU_MAX_CONSUMERS_PER_WORKER: '4' });
let pool: WorkerPool;
beforeAll(async () => {
  pool = await WorkerPool.create(config, silentLog);
});
afterAll(() => pool.close());

it('counts the packets the SFU forwards, per stream and receiver, and nothing from a closed transport', async () => {
  const plan = planMeeting(3);
  const sites = await SyntheticSites.open(plan);
  const meeting = await SfuMeeting.build({
    pool,
    config,
    log: silentLog,
    plan,
    senderPort: sites.senderPort,
    receiverPort: (p) => sites.receiverPort(p),
  });
  try {
    expect(meeting.room.routers.length).toBe(2);
    const closedSite = 3;
    const r = await measure({
      sites,
      destinations: meeting.destinations,
      cpuMicros: () => workerCpuMicros(pool),
      isRelayPort: () => false,
      timing: { warmupMs: 1500, measureMs: 1000 },
      beforeMeasure: () => meeting.sendTransportOf(closedSite).close(),
    });

    const stream = (owner: number, source: string, layer = 0) => plan.streams.find((s) => s.owner === owner && s.source === source && s.layer === layer)!;
    const hostCamera = stream(0, 'camera');
    const hostMic = stream(0, 'microphone');
    expect(r.packetsIn).toBeGreaterThan(0);
    expect(r.delivered).toBeGreaterThan(0);
    expect(r.misrouted).toBe(0);
    for (const site of [1, 2, 3]) {
      expect(r.received(hostCamera.index, site)).toBeGreaterThan(0);
      expect(r.received(hostMic.index, site)).toBeGreaterThan(0);
    }
    // site 1 sits on the host's router, site 2 on the other worker (piped both ways)
    expect(r.received(stream(1, 'camera').index, 0)).toBeGreaterThan(0);
    expect(r.received(stream(2, 'camera').index, 0)).toBeGreaterThan(0);
    expect(r.received(stream(closedSite, 'camera').index, 0)).toBe(0);
    for (const s of plan.streams) {
      for (const p of s.receivers) expect(r.received(s.index, p)).toBeLessThanOrEqual(r.sent(s.index));
    }
  } finally {
    meeting.close();
    sites.close();
  }
});
