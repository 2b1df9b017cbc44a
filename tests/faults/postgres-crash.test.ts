/**
 * Fault: the PostgreSQL server crashes (`pg_ctl stop -m immediate`: every backend killed, no
 * checkpoint, crash recovery at the next start) during a burst of attendance writes, stays down
 * for a few seconds, and is started again, as systemd would.
 *
 * The writes take the production path: the SFU's AttendanceReporter (ordering, retries) in front
 * of the app's batching attendance writer, on the postgres.js pool the app opens for DATABASE_URL. The
 * server is this file's own cluster (tests/support/postgres-server.ts), not the run's shared one.
 *
 * Proven: every write acknowledged before the crash is in the database afterwards; every event
 * handed to the reporter, before, during and after the outage, ends up stored exactly once (none
 * lost, none doubled); the app's database handle needs no restart and answers again within
 * 10 s of the server's return; the pool goes back to its size before the crash (no connection
 * leaked or left dead), counted in pg_stat_activity for application_name 'hoinghi'.
 * Not proven: a machine crash or power loss (the test cluster runs with fsync=off, which only
 * matters when the operating system goes down too); a crash of the app's own process.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { pino } from 'pino';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServices } from '../../server/services.ts';
import { createAttendanceWriter } from '../../api/attendance/writer.ts';
import { createUser } from '../../api/auth/users.ts';
import type { AppContext } from '../../api/context.ts';
import { openDatabase, pingDatabase, type DatabaseHandle } from '../../db/client.ts';
import { seedAdministrativeTree } from '../../db/seed.ts';
import { sites as sitesTable } from '../../db/schema.ts';
import { AttendanceReporter, type ConnectionRef } from '../../sfu/attendance-reporter.ts';
import { testConfig } from '../support/app.ts';
import { startPostgresServer, type PostgresServer } from '../support/postgres-server.ts';

const POOL_SIZE = 5;
const DATABASE = 'hoinghi_crash';
/** Longer than the time a restart takes, so writes keep failing for a while. */
const OUTAGE_MS = 8000;
const RECONNECT_DEADLINE_MS = 10_000;

describe('PostgreSQL crashes during a burst of attendance writes', () => {
  let server: PostgresServer;
  let database: DatabaseHandle;
  let observer: postgres.Sql;
  let ctx: AppContext;
  let meetingId: string;
  let siteIds: string[];
  const logLines: { level: number; msg: string }[] = [];

  beforeAll(async () => {
    server = await startPostgresServer();
    const admin = postgres(server.url, { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database ${DATABASE}`);
    await admin.end();
    const url = server.url.replace(/\/[^/]*$/, `/${DATABASE}`);
    database = await openDatabase({ DATABASE_URL: url, DATA_DIR: '/nonexistent', DATABASE_POOL_SIZE: POOL_SIZE });
    observer = postgres(url, { max: 1, onnotice: () => {}, connection: { application_name: 'fault-test-observer' } });
    const logger = pino({ level: 'warn' }, { write: (line: string) => void logLines.push(JSON.parse(line) as { level: number; msg: string }) });
    ctx = { config: testConfig({ DATABASE_URL: url }), db: database.db, logger, now: () => new Date() };

    await seedAdministrativeTree(database.db, { provinceCodes: ['01'] });
    const all = await database.db.select({ id: sitesTable.id, kind: sitesTable.kind }).from(sitesTable);
    const hall = all.find((s) => s.kind === 'hall')!;
    siteIds = all.filter((s) => s.kind === 'commune').map((s) => s.id);
    const user = await createUser(
      database.db,
      { email: 'thuky@test.hoinghi', displayName: 'Thư ký', role: 'secretariat', password: 'correct horse battery' },
      null,
    );
    const startsAt = new Date(Date.now() - 60_000);
    const meeting = await createServices(ctx).meetings.create(
      { title: 'Hội nghị toàn thành phố', hostSiteId: hall.id, siteIds, startsAt, endsAt: new Date(startsAt.getTime() + 3 * 3600_000), allowConflicts: true },
      { id: user.id, email: user.email, displayName: user.displayName, role: 'secretariat', unitCode: 'VN' },
    );
    meetingId = meeting.id;
  });

  afterAll(async () => {
    await observer?.end();
    await database?.close();
    server?.stop();
  });

  /** Connections of the app's pool as the server sees them. */
  const poolConnections = async () =>
    Number((await observer`select count(*)::int as n from pg_stat_activity where application_name = 'hoinghi' and datname = ${DATABASE}`)[0]!.n);
  /** Makes the pool open every connection it may: POOL_SIZE queries at once. */
  const fillPool = () => Promise.all(Array.from({ length: POOL_SIZE }, () => database.db.execute(sql`select pg_sleep(0.2)`)));

  it('keeps every acknowledged write, loses none during the outage, reconnects within 10 s and returns to its pool size', async () => {
    const writer = createAttendanceWriter(ctx);
    const acked = new Map<string, number>();
    const reporter = new AttendanceReporter(
      {
        async record(event) {
          await writer.record(event);
          acked.set(event.eventId, Date.now());
        },
      },
      ctx.logger,
    );
    const connections: ConnectionRef[] = siteIds.flatMap((siteId) => [0, 1].map(() => ({ connectionId: randomUUID(), meetingId, siteId })));
    for (const c of connections) reporter.joined(c);

    await fillPool();
    const baseline = await poolConnections();
    expect(baseline).toBe(POOL_SIZE);

    // The burst: every 20 ms, a line-quality sample from 40 connections (~2,000 events/s).
    let stopBurst = false;
    let emitted = 0;
    const burst = (async () => {
      for (let tick = 0; !stopBurst && tick < 5_000; tick++) {
        for (let k = 0; k < 40; k++) {
          const c = connections[(tick * 40 + k) % connections.length]!;
          reporter.quality(c.connectionId, { bitrateKbps: 800 + (tick % 100), lossPercent: 0.5, rttMs: 40, jitterMs: 3 });
          emitted++;
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    })();

    await new Promise((r) => setTimeout(r, 1500));
    const crashedAt = Date.now();
    await server.crash();
    const ackedBeforeCrash = [...acked.entries()].filter(([, at]) => at < crashedAt).map(([id]) => id);
    expect(ackedBeforeCrash.length).toBeGreaterThan(connections.length);

    await new Promise((r) => setTimeout(r, OUTAGE_MS));
    await server.start();
    const restartedAt = Date.now();
    let reconnectedAt = 0;
    for (const deadline = restartedAt + 30_000; Date.now() < deadline; ) {
      try {
        // A ping that hangs counts as a failure (a poisoned pool hangs rather than fails).
        await Promise.race([pingDatabase(database.db), new Promise((_, reject) => setTimeout(() => reject(new Error('ping hung')), 2000))]);
        reconnectedAt = Date.now();
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 25));
      }
    }
    expect(reconnectedAt, 'the app never reached the restarted server').toBeGreaterThan(0);
    expect(reconnectedAt - restartedAt).toBeLessThan(RECONNECT_DEADLINE_MS);

    await new Promise((r) => setTimeout(r, 1500));
    stopBurst = true;
    await burst;
    await reporter.flush();
    await writer.close();

    // Every acknowledged write survived the crash.
    const stored = new Set((await observer`select event_id from attendance_events where meeting_id = ${meetingId}`).map((r) => r.event_id as string));
    const lostAcked = ackedBeforeCrash.filter((id) => !stored.has(id));
    expect(lostAcked).toEqual([]);
    // Nothing handed over was given up on: joins + every sample, each stored once.
    expect(logLines.filter((l) => l.msg === 'attendance event lost after retries')).toEqual([]);
    expect(stored.size).toBe(connections.length + emitted);
    expect(acked.size).toBe(connections.length + emitted);

    // The pool is back to the size it had, with live connections only. A connection the driver
    // opened while the server was still recovering can hand its "starting up" refusal (57P03) to
    // the next query on it once (seen once in CI under load); the pool must still get there
    // within the reconnect deadline, as the attendance writer's retries do.
    const refilled = Date.now();
    for (;;) {
      const failed = await fillPool().then(
        () => null,
        (error: unknown) => error,
      );
      if (failed === null) break;
      if (Date.now() - refilled > RECONNECT_DEADLINE_MS) throw failed;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(await poolConnections()).toBe(baseline);
  });
});
