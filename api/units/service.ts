/** Reading the administrative tree and the sites in it. */
import { and, asc, eq, ilike, inArray, or, sql, type SQL } from 'drizzle-orm';
import type { Executor } from '../../db/client.ts';
import { adminUnits, sites } from '../../db/schema.ts';

export type UnitLevel = (typeof adminUnits.level.enumValues)[number];

export async function listUnits(db: Executor, filter: { level?: UnitLevel; parent?: string; q?: string; limit: number }) {
  const conditions: SQL[] = [];
  if (filter.level) conditions.push(eq(adminUnits.level, filter.level));
  if (filter.parent) conditions.push(eq(adminUnits.parentCode, filter.parent));
  if (filter.q) conditions.push(or(ilike(adminUnits.name, `%${escapeLike(filter.q)}%`), eq(adminUnits.code, filter.q))!);
  // Spelled out: inside the subquery drizzle would render the outer column unqualified.
  const children = sql<number>`(select count(*)::int from admin_units as child where child.parent_code = "admin_units"."code")`;
  return db
    .select({
      code: adminUnits.code,
      name: adminUnits.name,
      placeType: adminUnits.placeType,
      level: adminUnits.level,
      parentCode: adminUnits.parentCode,
      childCount: children,
    })
    .from(adminUnits)
    .where(conditions.length ? and(...conditions) : undefined)
    .orderBy(asc(adminUnits.code))
    .limit(filter.limit);
}

export async function getUnit(db: Executor, code: string) {
  const [unit] = await db.select().from(adminUnits).where(eq(adminUnits.code, code)).limit(1);
  return unit ?? null;
}

const siteColumns = {
  id: sites.id,
  name: sites.name,
  kind: sites.kind,
  unitCode: sites.unitCode,
  unitName: adminUnits.name,
  parentCode: adminUnits.parentCode,
  contactEmails: sites.contactEmails,
  contactPhone: sites.contactPhone,
  active: sites.active,
};

/** The sites of a unit itself and of every unit below it (the tree is three levels deep). */
export async function listSitesUnder(db: Executor, unitCode: string, options: { activeOnly: boolean }) {
  return db
    .select(siteColumns)
    .from(sites)
    .innerJoin(adminUnits, eq(adminUnits.code, sites.unitCode))
    .where(and(inArray(sites.unitCode, subtreeCodes(unitCode, { includeSelf: true })), options.activeOnly ? eq(sites.active, true) : undefined))
    .orderBy(asc(sites.unitCode), asc(sites.name));
}

/** Active sites by kind and name; halls are the candidates for hosting a meeting. */
export async function listSites(db: Executor, filter: { kind?: 'hall' | 'commune' | 'department'; q?: string; limit: number }) {
  return db
    .select(siteColumns)
    .from(sites)
    .innerJoin(adminUnits, eq(adminUnits.code, sites.unitCode))
    .where(
      and(eq(sites.active, true), filter.kind ? eq(sites.kind, filter.kind) : undefined, filter.q ? ilike(sites.name, `%${escapeLike(filter.q)}%`) : undefined),
    )
    .orderBy(asc(sites.unitCode), asc(sites.name))
    .limit(filter.limit);
}

/**
 * Codes in a unit's subtree. `includeSelf: false` is what "all communes of province 44" means:
 * the province's own hall is not one of its communes.
 */
export function subtreeCodes(unitCode: string, options: { includeSelf: boolean }) {
  const below = sql`select code from ${adminUnits} where parent_code = ${unitCode}
    union all select grandchild.code from ${adminUnits} as grandchild
      join ${adminUnits} as child on grandchild.parent_code = child.code where child.parent_code = ${unitCode}`;
  return options.includeSelf ? sql`(select ${unitCode}::text union all ${below})` : sql`(${below})`;
}

function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (ch) => `\\${ch}`);
}
