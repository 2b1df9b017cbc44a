/**
 * Fault: a media node (a second process, `SERVER_ROLE=media`, against the same throwaway
 * PostgreSQL as the main server) is killed with SIGKILL.
 *
 * Both processes run as `node --import tsx server/main.ts`. Proven: the media node registers
 * itself with its id, signaling URL and capacity, heartbeats, serves only /healthz and its
 * WebSocket (no pages); the operator's API on the main server lists both nodes alive; after
 * SIGKILL the main server declares it dead (logged once, `dead_at` set) within a few seconds
 * of its last heartbeat, it leaves placement (only the main node's capacity is left), and the
 * operator's API says `dead`. A media node stopped with SIGTERM leaves the registry at once.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { availableCapacity } from '../../api/nodes/registry.ts';
import { sfuNodes } from '../../db/schema.ts';
import { openTestDatabase, type TestDatabase } from '../support/database.ts';
import { freePort } from '../support/postgres-server.ts';
import { ADMIN, api, signIn, startServerProcess, type ServerProcess } from '../support/server-process.ts';

const HEARTBEAT_MS = 300;
const DEAD_AFTER_MS = 1500;

describe('a media node as a second process', () => {
  let db: TestDatabase;
  let main: ServerProcess;
  const media: ServerProcess[] = [];

  const nodeEnv = { SFU_NODE_HEARTBEAT_MS: String(HEARTBEAT_MS), SFU_NODE_DEAD_AFTER_MS: String(DEAD_AFTER_MS) };
  const startMedia = async (id: string) => {
    const port = await freePort();
    const node = await startServerProcess(
      {
        ...nodeEnv,
        SERVER_ROLE: 'media',
        DATABASE_URL: db.url!,
        SFU_NODE_ID: id,
        SFU_NODE_URL: `ws://127.0.0.1:${port}/ws`,
        SFU_MAX_SITES: '250',
        // The pages' address: the node's sockets accept their origin.
        PUBLIC_URL: main.url,
      },
      { port },
    );
    media.push(node);
    return { node, port };
  };
  const row = async (id: string) => (await db.db.select().from(sfuNodes).where(eq(sfuNodes.id, id)))[0];
  const until = async <T>(what: () => Promise<T | undefined | false>, timeoutMs: number): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await what();
      if (value) return value;
      if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  beforeAll(async () => {
    db = await openTestDatabase('postgres');
    main = await startServerProcess({ ...nodeEnv, DATABASE_URL: db.url!, SFU_NODE_ID: 'main' });
  }, 240_000);
  afterAll(async () => {
    for (const node of media) await node.dispose();
    await main?.dispose();
    await db?.close();
  });

  it('registers, serves no pages, and is declared dead and out of placement within seconds of SIGKILL', async () => {
    const { node, port } = await startMedia('edge-1');
    const registered = await until(() => row('edge-1'), 10_000);
    expect(registered).toMatchObject({ signalingUrl: `ws://127.0.0.1:${port}/ws`, capacity: 250, mediaAddress: '127.0.0.1', deadAt: null });
    // It heartbeats.
    const first = registered.heartbeatAt.getTime();
    await until(async () => ((await row('edge-1'))!.heartbeatAt.getTime() > first ? true : undefined), 5000);

    const health = await fetch(`${node.url}/healthz`);
    expect(await health.json()).toEqual({ ok: true, role: 'media', nodeId: 'edge-1' });
    expect((await fetch(`${node.url}/login`)).status).toBe(404);

    const cookie = await signIn(main.url, ADMIN.email, ADMIN.password);
    const listed = await api(main.url, cookie, 'GET', '/api/nodes');
    expect(listed.body.nodes.map((n: { id: string; state: string }) => [n.id, n.state])).toEqual([
      ['edge-1', 'alive'],
      ['main', 'alive'],
    ]);
    const mainCapacity = (await row('main'))!.capacity;
    expect(await availableCapacity(db.db, new Date(), DEAD_AFTER_MS)).toMatchObject({ nodes: 2, capacity: mainCapacity + 250 });

    node.child.kill('SIGKILL');
    const killed = await node.exited;
    expect(killed.signal).toBe('SIGKILL');
    const declared = await main.waitForLog('sfu node declared dead', 10_000);
    expect(declared).toMatchObject({ nodeId: 'edge-1', by: 'main' });
    const dead = (await row('edge-1'))!;
    expect(dead.deadAt).not.toBeNull();
    // Declared within a few heartbeats of its last one (generous: two shared cores).
    expect(dead.deadAt!.getTime() - dead.heartbeatAt.getTime()).toBeLessThan(DEAD_AFTER_MS + 3000);
    expect(main.logs.filter((l) => l.msg === 'sfu node declared dead' && l.nodeId === 'edge-1')).toHaveLength(1);
    expect(await availableCapacity(db.db, new Date(), DEAD_AFTER_MS)).toMatchObject({ nodes: 1, capacity: mainCapacity });
    const after = await api(main.url, cookie, 'GET', '/api/nodes');
    expect(after.body.nodes.find((n: { id: string }) => n.id === 'edge-1').state).toBe('dead');
  }, 180_000);

  it('leaves the registry at once when stopped with SIGTERM', async () => {
    const { node } = await startMedia('edge-2');
    await until(() => row('edge-2'), 10_000);
    node.child.kill('SIGTERM');
    expect((await node.exited).code).toBe(0);
    // Marked by the node itself on its way out, before any heartbeat could go stale.
    const left = (await row('edge-2'))!;
    expect(left.deadAt).not.toBeNull();
    expect(left.deadAt!.getTime() - left.heartbeatAt.getTime()).toBeLessThan(DEAD_AFTER_MS);
  }, 180_000);
});
