/**
 * npm run bench:schedule — creating a national meeting (the Government hall hosting all 34
 * provincial halls and 3,321 communes) through MeetingService, and reading it back, on a PGlite
 * file database and on a PostgreSQL server, next to the floor: a bare insert of the same rows
 * in one transaction with no checks. Aim: create < 1 s and < 3x the floor.
 *
 * Beside it, the issue "Trust"'s two figures: what the unit-scoping checks (api/auth/policy.ts)
 * cost next to a create (aim < 10%), and how long a commune meeting in another province waits
 * while a national meeting is being created (aim < 200 ms) — at another time of day, where the
 * scheduling locks (api/meetings/scheduling-locks.ts) let it through, and at an overlapping time,
 * where it must wait to see the national meeting in its conflict check. Each wait is printed
 * next to the same commune create on an idle database.
 *
 * And recurring meetings' (issue 13): creating a weekly national series of 10 (10 occurrences,
 * 33,560 participant rows, every occurrence's conflicts and locks) through SeriesService, beside
 * one national meeting's create in the same run (aim: at most 3x).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { assertMayManageMeeting, assertMaySchedule } from '../../api/auth/policy.ts';
import { createUser } from '../../api/auth/users.ts';
import type { AppContext } from '../../api/context.ts';
import { createLogger } from '../../api/logger.ts';
import { getMeeting } from '../../api/meetings/queries.ts';
import { schedulingLockIds } from '../../api/meetings/scheduling-locks.ts';
import { SeriesService } from '../../api/meetings/series.ts';
import { MeetingService } from '../../api/meetings/service.ts';
import { openDatabase, type DatabaseHandle } from '../../db/client.ts';
import { adminUnits, meetingParticipants, meetings, sites } from '../../db/schema.ts';
import { NATIONAL_HALL_NAME, seedAdministrativeTree } from '../../db/seed.ts';
import { testConfig } from '../support/app.ts';
import { startPostgresServer } from '../support/postgres-server.ts';
import { fmt, percentile, printTable, timeIt } from './measure.ts';

const CREATE_RUNS = 5;
const WAIT_COLUMNS = [
  'commune create, idle p50',
  'same, during a national create, other time p50',
  'same, overlapping time p50',
  'outcomes of the commune creates during a national create',
] as const;
const READ_RUNS = 50;

async function benchDriver(name: string, database: DatabaseHandle): Promise<Record<string, string | number>> {
  await seedAdministrativeTree(database.db);
  const config = testConfig();
  const ctx: AppContext = { config, db: database.db, logger: createLogger('silent'), now: () => new Date('2027-01-01T00:00:00Z') };
  const service = new MeetingService(ctx);
  const actor = await createUser(
    database.db,
    { email: `bench-${randomUUID()}@hoinghi.local`, displayName: 'Bench', role: 'secretariat', password: 'bench password 123' },
    null,
  );
  const [host] = await database.db.select({ id: sites.id }).from(sites).where(eq(sites.name, NATIONAL_HALL_NAME));
  const allSites = await database.db.select({ id: sites.id }).from(sites);

  // Floor: the same rows written with nothing but the inserts.
  const floors: number[] = [];
  for (let run = 0; run < CREATE_RUNS; run++) {
    const id = randomUUID();
    const { ms } = await timeIt(() =>
      database.db.transaction(async (tx) => {
        await tx.insert(meetings).values({
          id,
          uid: `${id}@floor`,
          title: 'floor',
          hostSiteId: host!.id,
          startsAt: new Date('2027-06-01T01:00:00Z'),
          endsAt: new Date('2027-06-01T03:00:00Z'),
          createdBy: actor.id,
        });
        const rows = allSites.map((s) => ({ meetingId: id, siteId: s.id, role: s.id === host!.id ? ('host' as const) : ('participant' as const) }));
        for (let i = 0; i < rows.length; i += 2000) await tx.insert(meetingParticipants).values(rows.slice(i, i + 2000));
      }),
    );
    floors.push(ms);
    await database.db.delete(meetings).where(eq(meetings.id, id));
  }

  const creates: number[] = [];
  let lastId = '';
  for (let run = 0; run < CREATE_RUNS; run++) {
    const day = new Date(Date.UTC(2027, 1, 1 + run, 1));
    const { ms, value } = await timeIt(() =>
      service.create(
        {
          title: `Hội nghị toàn quốc ${run}`,
          hostSiteId: host!.id,
          startsAt: day,
          endsAt: new Date(day.getTime() + 3 * 3600_000),
          unitCodes: ['VN'],
          allowConflicts: false,
        },
        actor,
      ),
    );
    if (value.participantCount !== 3356) throw new Error(`expected 3,356 participants, got ${value.participantCount}`);
    creates.push(ms);
    lastId = value.id;
  }

  // A weekly national series of 10; each run on its own weekday, so runs never clash.
  const seriesService = new SeriesService(ctx, service);
  const seriesCreates: number[] = [];
  for (let run = 0; run < CREATE_RUNS; run++) {
    const first = new Date(Date.UTC(2027, 7, 2 + run, 1));
    const { ms, value } = await timeIt(() =>
      seriesService.create(
        {
          title: `Giao ban toàn quốc ${run}`,
          hostSiteId: host!.id,
          startsAt: first,
          endsAt: new Date(first.getTime() + 3 * 3600_000),
          unitCodes: ['VN'],
          allowConflicts: false,
          recurrence: { frequency: 'weekly', count: 10 },
          excludeDates: [],
        },
        actor,
      ),
    );
    if (value.meetings.length !== 10) throw new Error(`expected 10 occurrences, got ${value.meetings.length}`);
    seriesCreates.push(ms);
  }

  const reads: number[] = [];
  for (let run = 0; run < READ_RUNS; run++) reads.push((await timeIt(() => getMeeting(database.db, lastId))).ms);

  // The unit-scoping checks alone, as a national and as a provincial secretariat meet them.
  const provincial = await createUser(
    database.db,
    {
      email: `bench-44-${randomUUID()}@hoinghi.local`,
      displayName: 'Bench 44',
      role: 'secretariat',
      password: 'bench password 123',
      unitCode: '44',
    },
    null,
  );
  const [quangTriHall] = await database.db.select({ id: sites.id }).from(sites).where(eq(sites.unitCode, '44'));
  const scoping: number[] = [];
  for (let run = 0; run < READ_RUNS; run++)
    scoping.push(
      (
        await timeIt(async () => {
          await assertMaySchedule(database.db, actor, { hostSiteId: host!.id, unitCodes: ['VN'] });
          await assertMayManageMeeting(database.db, actor, lastId);
          await assertMaySchedule(database.db, provincial, { hostSiteId: quangTriHall!.id, unitCodes: ['44'] });
        })
      ).ms,
    );

  const waits =
    database.driver === 'postgres'
      ? await communeWaits(database, service, actor, host!.id)
      : Object.fromEntries(WAIT_COLUMNS.map((column) => [column, 'n/a (one connection)']));

  const floor = percentile(floors, 50);
  const create = percentile(creates, 50);
  const scope = percentile(scoping, 50);
  return {
    database: name,
    'scoping checks p50': `${fmt(scope)} (${((100 * scope) / create).toFixed(2)}% of create)`,
    ...waits,
    'bare insert (floor) p50': fmt(floor),
    'create p50': fmt(create),
    'create max': fmt(Math.max(...creates)),
    'create / floor': `${(create / floor).toFixed(2)}x`,
    'weekly series of 10 create p50': fmt(percentile(seriesCreates, 50)),
    'series / one meeting': `${(percentile(seriesCreates, 50) / create).toFixed(2)}x`,
    'read p50': fmt(percentile(reads, 50)),
    'read p99': fmt(percentile(reads, 99)),
  };
}

/**
 * Resolves once the national create is inside its transaction with every one of its scheduling
 * locks taken (`expected` of them), watched from another connection through pg_locks: the
 * participant rows are still to be written, so a booking that shares a lock waits for them.
 */
async function nationalHoldsItsLocks(database: DatabaseHandle, expected: number): Promise<void> {
  for (;;) {
    const rows = (await database.db.execute(sql`select count(*)::int as held from pg_locks where locktype = 'advisory' and granted`)) as unknown as {
      held: number;
    }[];
    if ((rows[0]?.held ?? 0) >= expected) return;
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

/**
 * A commune meeting of Hà Nội (01) created while a national meeting's create is in flight: at
 * another time of day and overlapping it, each timed from its own start and printed beside the
 * same create on an idle database. PostgreSQL only: PGlite has one connection, so there every
 * request queues behind an open transaction whatever it books.
 */
async function communeWaits(database: DatabaseHandle, service: MeetingService, actor: Awaited<ReturnType<typeof createUser>>, nationalHall: string) {
  const [hanoiHall] = await database.db.select({ id: sites.id }).from(sites).where(eq(sites.unitCode, '01'));
  const hanoiCommunes = await database.db
    .select({ id: sites.id })
    .from(sites)
    .innerJoin(adminUnits, eq(adminUnits.code, sites.unitCode))
    .where(eq(adminUnits.parentCode, '01'));
  const communeMeeting = (title: string, startsAt: Date, commune: number) =>
    service.create(
      {
        title,
        hostSiteId: hanoiHall!.id,
        startsAt,
        endsAt: new Date(startsAt.getTime() + 3600_000),
        siteIds: [hanoiCommunes[commune]!.id],
        allowConflicts: false,
      },
      actor,
    );
  const provinces = (await database.db.selectDistinct({ code: adminUnits.code }).from(adminUnits).where(sql`${adminUnits.level} <> 'commune'`)).map(
    (u) => u.code,
  );
  const idle: number[] = [];
  const otherTime: number[] = [];
  const overlapping: number[] = [];
  const outcomes = new Map<string, number>();
  for (let run = 0; run < CREATE_RUNS; run++) {
    const day = Date.UTC(2027, 3, 1 + run, 1); // 08:00 in Vietnam
    idle.push((await timeIt(() => communeMeeting('Giao ban xã (một mình)', new Date(day + 11 * 3600_000), 3 * run))).ms);
    for (const [samples, offsetHours, commune] of [
      [otherTime, 8, 3 * run + 1],
      [overlapping, 1, 3 * run + 2],
    ] as const) {
      const national = service.create(
        {
          title: 'Hội nghị toàn quốc',
          hostSiteId: nationalHall,
          startsAt: new Date(day),
          endsAt: new Date(day + 3 * 3600_000),
          unitCodes: ['VN'],
          allowConflicts: true,
        },
        actor,
      );
      await nationalHoldsItsLocks(database, schedulingLockIds({ startsAt: new Date(day), endsAt: new Date(day + 3 * 3600_000) }, provinces).length);
      // Overlapping, it may well be refused (409) once it sees the national meeting: timed all the same.
      const attempt = () => communeMeeting('Giao ban xã', new Date(day + offsetHours * 3600_000 + 600_000), commune).catch((error: unknown) => error);
      const { ms, value } = await timeIt(attempt);
      samples.push(ms);
      if (value instanceof Error) outcomes.set(value.name, (outcomes.get(value.name) ?? 0) + 1);
      else outcomes.set('created', (outcomes.get('created') ?? 0) + 1);
      const created = await national;
      await database.db.delete(meetings).where(eq(meetings.id, created.id));
    }
  }
  const idleP50 = percentile(idle, 50);
  const figures: Record<(typeof WAIT_COLUMNS)[number], string> = {
    'commune create, idle p50': fmt(idleP50),
    'same, during a national create, other time p50': fmt(percentile(otherTime, 50)),
    'same, overlapping time p50': fmt(percentile(overlapping, 50)),
    'outcomes of the commune creates during a national create': [...outcomes].map(([kind, n]) => `${kind} ${n}`).join(', '),
  };
  return figures;
}

const rows: Record<string, string | number>[] = [];
const dir = mkdtempSync(path.join(os.tmpdir(), 'hoinghi-bench-'));
const pglite = await openDatabase({ DATA_DIR: dir, DATABASE_POOL_SIZE: 1 });
try {
  rows.push(await benchDriver('PGlite (file)', pglite));
} finally {
  await pglite.close();
  rmSync(dir, { recursive: true, force: true });
}
const server = await startPostgresServer();
try {
  const pg = await openDatabase({ DATABASE_URL: server.url, DATA_DIR: dir, DATABASE_POOL_SIZE: 5 });
  try {
    rows.push(await benchDriver(`PostgreSQL (${path.basename(path.dirname(server.binDir))})`, pg));
  } finally {
    await pg.close();
  }
} finally {
  server.stop();
}
process.stdout.write(`\nNational meeting: 1 host + 3,355 sites (34 provincial halls, 3,321 communes); ${CREATE_RUNS} creates, ${READ_RUNS} reads each.\n\n`);
printTable(rows);
process.stdout.write(
  '\nAim: create under 1 s and under 3x the floor; scoping checks under 10% of a create; a commune meeting at another time waits under 200 ms for a national create; a weekly national series of 10 at most 3x one national meeting.\n',
);
process.stdout.write(
  `Load average at the end: ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}\n`,
);
