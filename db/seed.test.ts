import { count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, DRIVERS, type TestDatabase } from '../tests/support/database.ts';
import { adminUnits, sites } from './schema.ts';
import { NATIONAL_HALL_NAME, seedAdministrativeTree } from './seed.ts';

describe.each(DRIVERS)('seeding the administrative tree on %s', (driver) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await openTestDatabase(driver);
  });
  afterAll(() => database.close());

  it('loads 34 provinces, 3,321 communes (78 in Quảng Trị) and one site per unit, and a second run changes nothing', async () => {
    const first = await seedAdministrativeTree(database.db);
    // The nation's own unit (VN) is made by migration 0006, so accounts can belong to it before
    // the tree is seeded; the seed adds the provinces and communes, and a site for every unit.
    expect(first).toEqual({ unitsInserted: 34 + 3321, sitesInserted: 1 + 34 + 3321 });

    const levelCount = async (level: 'national' | 'province' | 'commune') =>
      (await database.db.select({ n: count() }).from(adminUnits).where(eq(adminUnits.level, level)))[0]!.n;
    expect(await levelCount('national')).toBe(1);
    expect(await levelCount('province')).toBe(34);
    expect(await levelCount('commune')).toBe(3321);
    const [quangTri] = await database.db.select({ n: count() }).from(adminUnits).where(eq(adminUnits.parentCode, '44'));
    expect(quangTri!.n).toBe(78);
    const [province] = await database.db.select().from(adminUnits).where(eq(adminUnits.code, '44'));
    expect(province!.name).toBe('Quảng Trị');

    const halls = await database.db.select().from(sites).where(eq(sites.kind, 'hall'));
    expect(halls).toHaveLength(35);
    expect(halls.map((h) => h.name)).toContain(NATIONAL_HALL_NAME);
    expect(halls.map((h) => h.name)).toContain('UBND tỉnh Quảng Trị');
    const [communeSites] = await database.db.select({ n: count() }).from(sites).where(eq(sites.kind, 'commune'));
    expect(communeSites!.n).toBe(3321);

    const snapshot = async () => ({
      units: await database.db.select().from(adminUnits).orderBy(adminUnits.code),
      sites: await database.db.select().from(sites).orderBy(sites.id),
    });
    const before = await snapshot();
    const second = await seedAdministrativeTree(database.db);
    expect(second).toEqual({ unitsInserted: 0, sitesInserted: 0 });
    expect(await snapshot()).toEqual(before);
  });
});
