/**
 * Scheduling locks: bookings that could conflict are serialised (one of several simultaneous
 * bookings of a commune wins, the rest get 409), and a booking that could not conflict — another
 * time of day — does not wait for a national meeting being created.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sites as sitesTable } from '../../db/schema.ts';
import { createTestApp, TEST_NOW, type TestApp } from '../../tests/support/app.ts';
import { DRIVERS } from '../../tests/support/database.ts';
import { LOCK_SLOT_MS, lockScheduling, schedulingLockIds } from './scheduling-locks.ts';

const at = (hours: number) => new Date(TEST_NOW.getTime() + hours * 3600_000);

describe('schedulingLockIds', () => {
  const slotStart = new Date(Math.ceil(TEST_NOW.getTime() / LOCK_SLOT_MS) * LOCK_SLOT_MS + 10 * LOCK_SLOT_MS);
  const later = (ms: number) => new Date(slotStart.getTime() + ms);

  it('shares an id between overlapping bookings of a province, and none across provinces or disjoint times', () => {
    const morning = schedulingLockIds({ startsAt: slotStart, endsAt: later(LOCK_SLOT_MS) }, ['44']);
    const overlapping = schedulingLockIds({ startsAt: later(LOCK_SLOT_MS / 2), endsAt: later(LOCK_SLOT_MS + 60_000) }, ['44']);
    const backToBack = schedulingLockIds({ startsAt: later(LOCK_SLOT_MS), endsAt: later(2 * LOCK_SLOT_MS) }, ['44']);
    const elsewhere = schedulingLockIds({ startsAt: slotStart, endsAt: later(LOCK_SLOT_MS) }, ['01']);
    expect(morning).toHaveLength(1);
    expect(overlapping).toHaveLength(2);
    expect(overlapping).toContain(morning[0]);
    expect(backToBack.some((id) => morning.includes(id))).toBe(false);
    expect(elsewhere.some((id) => morning.includes(id))).toBe(false);
  });

  it('bounds a 12-hour national meeting to 7 slots of each province, in ascending order', () => {
    const provinces = [...Array.from({ length: 34 }, (_, i) => String(i + 1).padStart(2, '0')), 'VN'];
    const ids = schedulingLockIds({ startsAt: later(LOCK_SLOT_MS / 2), endsAt: later(LOCK_SLOT_MS / 2 + 12 * 3600_000) }, provinces);
    expect(ids).toHaveLength(7 * 35);
    expect(ids.map(BigInt)).toEqual([...ids.map(BigInt)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
  });
});

describe.each(DRIVERS)('scheduling locks on %s', (driver) => {
  let t: TestApp;
  let nationalHall: string;
  let quangTriHall: string;
  let hanoiHall: string;
  let quangTriCommunes: string[];
  let hanoiCommune: string;

  beforeAll(async () => {
    t = await createTestApp(driver, { provinces: ['44', '01'] });
    const halls = (await t.request('GET', '/api/sites?kind=hall', { cookie: t.cookies.secretariat })).body.sites as { id: string; unitCode: string }[];
    nationalHall = halls.find((h) => h.unitCode === 'VN')!.id;
    quangTriHall = halls.find((h) => h.unitCode === '44')!.id;
    hanoiHall = halls.find((h) => h.unitCode === '01')!.id;
    const communesOf = async (code: string) =>
      ((await t.request('GET', `/api/units/${code}/sites`, { cookie: t.cookies.secretariat })).body.sites as { id: string; kind: string }[])
        .filter((s) => s.kind === 'commune')
        .map((s) => s.id);
    quangTriCommunes = await communesOf('44');
    hanoiCommune = (await communesOf('01'))[0]!;
  });
  afterAll(async () => {
    await t?.close();
  });

  const schedule = (title: string, hostSiteId: string, siteIds: string[], startHours: number, hours = 1) =>
    t.request('POST', '/api/meetings', {
      cookie: t.cookies.secretariat,
      body: { title, hostSiteId, siteIds, startsAt: at(startHours).toISOString(), endsAt: at(startHours + hours).toISOString() },
    });

  it('lets exactly one of ten simultaneous bookings of the same commune through; the others get 409', async () => {
    const commune = quangTriCommunes[0]!;
    const hosts = [nationalHall, quangTriHall, hanoiHall, nationalHall, quangTriHall, hanoiHall, nationalHall, quangTriHall, hanoiHall, nationalHall];
    // On PostgreSQL the bookings run on separate connections; a trigger that sleeps before each
    // meeting row is written holds every transaction between its conflict check and its commit,
    // so without the locks all ten would pass the check (this test then fails). PGlite has one
    // connection and serialises them anyway.
    if (driver === 'postgres') {
      await t.database.db.execute(
        sql.raw(`CREATE FUNCTION test_slow_meeting_insert() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(0.3); RETURN NEW; END $$`),
      );
      await t.database.db.execute(
        sql.raw('CREATE TRIGGER test_slow_meeting_insert BEFORE INSERT ON meetings FOR EACH ROW EXECUTE FUNCTION test_slow_meeting_insert()'),
      );
    }
    try {
      const replies = await Promise.all(hosts.map((host, i) => schedule(`Họp tranh chấp ${i}`, host, [commune, quangTriCommunes[i + 1]!], 30 + i * 0.1)));
      expect(replies.map((r) => r.status).sort()).toEqual([201, ...Array(hosts.length - 1).fill(409)]);
    } finally {
      if (driver === 'postgres') {
        await t.database.db.execute(sql.raw('DROP TRIGGER test_slow_meeting_insert ON meetings'));
        await t.database.db.execute(sql.raw('DROP FUNCTION test_slow_meeting_insert()'));
      }
    }
  });

  // PGlite has one connection: a transaction held open there holds every request, by design.
  if (driver === 'postgres')
    it('does not hold a meeting at another time behind a national meeting being created, and holds an overlapping one until it commits', async () => {
      // A national meeting's create in progress: its transaction holds its locks until released.
      const everySite = (await t.database.db.select({ id: sitesTable.id }).from(sitesTable)).map((s) => s.id);
      let release!: () => void;
      let locked!: () => void;
      const hasLocks = new Promise<void>((resolve) => (locked = resolve));
      const held = t.database.db.transaction(async (tx) => {
        await lockScheduling(tx, { startsAt: at(50), endsAt: at(53) }, everySite);
        locked();
        await new Promise<void>((resolve) => (release = resolve));
      });
      await hasLocks;
      try {
        // Another province, another time of day: no shared lock, so no wait.
        const otherTime = await Promise.race([
          schedule('Giao ban xã buổi chiều', hanoiHall, [hanoiCommune], 58),
          new Promise<null>((resolve) => setTimeout(() => resolve(null), 10_000)),
        ]);
        expect(otherTime?.status, 'a meeting at another time waited for the national create').toBe(201);

        // Overlapping the national meeting: it may conflict, so it waits for the commit.
        let overlappingDone = false;
        const overlapping = schedule('Giao ban xã cùng giờ', quangTriHall, [quangTriCommunes[2]!], 51).then((reply) => {
          overlappingDone = true;
          return reply;
        });
        await new Promise((resolve) => setTimeout(resolve, 1000));
        expect(overlappingDone).toBe(false);
        release();
        await held;
        expect((await overlapping).status).toBe(201);
      } finally {
        release?.();
        await held.catch(() => undefined);
      }
    });
});
