/**
 * The worker pool on real workers: placement by load, and replacement of a killed worker.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLog, testConfig } from './test-fixtures.ts';
import { WorkerPool, type WorkerDiedEvent } from './worker-pool.ts';

const config = testConfig(20400);
let pool: WorkerPool;
beforeAll(async () => {
  pool = await WorkerPool.create(config, silentLog);
});
afterAll(() => pool.close());

describe('WorkerPool', () => {
  it('starts one worker per slot, each with a WebRtcServer on base + slot', async () => {
    expect(pool.slots().map((s) => s.index)).toEqual([0, 1]);
    for (const slot of pool.slots()) {
      const dump = (await slot.webRtcServer.dump()) as { udpSockets: { port: number }[]; tcpServers: { port: number }[] };
      expect(dump.udpSockets.map((s) => s.port)).toEqual([config.webRtcPortBase + slot.index]);
      expect(dump.tcpServers.map((s) => s.port)).toEqual([config.webRtcPortBase + slot.index]);
    }
  });

  it('places new routers on the least-loaded worker', async () => {
    const first = pool.leastLoaded()!;
    const router = await first.worker.createRouter({ mediaCodecs: [{ kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2 }] });
    expect(first.routerCount).toBe(1);
    expect(pool.leastLoaded()).not.toBe(first);
    expect(
      pool.leastLoaded(
        new Set(
          pool
            .slots()
            .filter((s) => s !== first)
            .map((s) => s.worker),
        ),
      ),
    ).toBe(first);
    router.close();
    expect(first.routerCount).toBe(0);
  });

  it('replaces a killed worker once, on the same port, and tells its listeners', async () => {
    const died: WorkerDiedEvent[] = [];
    const off = pool.onWorkerDied((e) => died.push(e));
    const victim = pool.slots()[1]!;
    const oldPid = victim.worker.pid;
    process.kill(oldPid, 'SIGKILL');

    await expect.poll(() => died.length, { timeout: 10_000 }).toBe(1);
    await pool.ready();
    off();
    expect(died[0]).toMatchObject({ slot: 1, pid: oldPid });
    const replacement = pool.slots()[1]!;
    expect(replacement.index).toBe(1);
    expect(replacement.worker.pid).not.toBe(oldPid);
    expect(replacement.worker.closed).toBe(false);
    const dump = (await replacement.webRtcServer.dump()) as { udpSockets: { port: number }[] };
    expect(dump.udpSockets[0]!.port).toBe(config.webRtcPortBase + 1);
    // still exactly once, even after the replacement is up
    expect(died.length).toBe(1);
  });

  it('close() is idempotent and closes every worker', async () => {
    const other = await WorkerPool.create(testConfig(20450, { SFU_WORKERS: '1' }), silentLog);
    const [slot] = other.slots();
    other.close();
    other.close();
    expect(slot!.worker.closed).toBe(true);
    expect(other.slots()).toEqual([]);
  });
});
