/**
 * The node presence loop on both drivers, with a real clock and short intervals: a running node
 * heartbeats with its load, declares a silent node dead once (and logs it), takes it back into
 * placement when it heartbeats again, and leaves the registry at once on close.
 */
import { Writable } from 'node:stream';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sfuNodes } from '../../db/schema.ts';
import { openTestDatabase, DRIVERS, type TestDatabase } from '../../tests/support/database.ts';
import { createLogger } from '../logger.ts';
import { NodePresence } from './presence.ts';
import { availableCapacity, heartbeat, registerNode } from './registry.ts';

const HEARTBEAT_MS = 200;
const DEAD_AFTER_MS = 1000;

describe.each(DRIVERS)('node presence on %s', (driver) => {
  let database: TestDatabase;
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger(
    'info',
    new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    }),
  );

  beforeAll(async () => {
    database = await openTestDatabase(driver);
  });
  afterAll(() => database?.close());

  const row = async (id: string) => (await database.db.select().from(sfuNodes).where(eq(sfuNodes.id, id)))[0]!;
  const ctx = () => ({ db: database.db, logger, now: () => new Date() });

  it('heartbeats with its load, declares a silent node dead once, and leaves on close', async () => {
    let load = 3;
    const presence = await NodePresence.start(ctx(), {
      node: { id: 'a', signalingUrl: 'ws://a.test/ws', mediaAddress: '127.0.0.1', capacity: 50 },
      heartbeatMs: HEARTBEAT_MS,
      deadAfterMs: DEAD_AFTER_MS,
      load: () => load,
    });
    try {
      // A node that registers and then says nothing more (killed).
      await registerNode(database.db, { id: 'b', signalingUrl: 'ws://b.test/ws', mediaAddress: '127.0.0.2', capacity: 20 }, new Date());
      const registeredAt = (await row('a')).heartbeatAt.getTime();
      await expect.poll(async () => (await row('a')).heartbeatAt.getTime(), { timeout: 5000, interval: 50 }).toBeGreaterThan(registeredAt);
      expect((await row('a')).load).toBe(3);
      load = 5;
      await expect.poll(async () => (await row('a')).load, { timeout: 5000, interval: 50 }).toBe(5);

      const declared = Date.now();
      await expect.poll(async () => (await row('b')).deadAt, { timeout: 5000, interval: 50 }).not.toBeNull();
      // Within the dead-after window and a few heartbeats (generous on two shared cores).
      expect(Date.now() - declared).toBeLessThan(DEAD_AFTER_MS + 2000);
      await new Promise((r) => setTimeout(r, 3 * HEARTBEAT_MS));
      expect(lines.filter((l) => l.msg === 'sfu node declared dead' && l.nodeId === 'b')).toHaveLength(1);
      expect(await availableCapacity(database.db, new Date(), DEAD_AFTER_MS)).toMatchObject({ nodes: 1, capacity: 50 });

      // b was only late: its heartbeat brings it back.
      await heartbeat(database.db, 'b', 0, new Date());
      expect((await row('b')).deadAt).toBeNull();
      expect(await availableCapacity(database.db, new Date(), DEAD_AFTER_MS)).toMatchObject({ nodes: 2, capacity: 70 });
    } finally {
      await presence.close();
    }
    expect((await row('a')).deadAt).not.toBeNull();
    expect(lines.some((l) => l.msg === 'sfu node left the registry' && l.nodeId === 'a')).toBe(true);
    await presence.close();
  });

  it('registers again when its row is gone', async () => {
    const presence = await NodePresence.start(ctx(), {
      node: { id: 'c', signalingUrl: 'ws://c.test/ws', mediaAddress: '127.0.0.1', capacity: 5 },
      heartbeatMs: HEARTBEAT_MS,
      deadAfterMs: DEAD_AFTER_MS,
      load: () => 0,
    });
    try {
      await database.db.delete(sfuNodes).where(eq(sfuNodes.id, 'c'));
      await expect.poll(async () => (await database.db.select().from(sfuNodes).where(eq(sfuNodes.id, 'c'))).length, { timeout: 5000, interval: 50 }).toBe(1);
    } finally {
      await presence.close();
    }
  });
});
