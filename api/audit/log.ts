/**
 * Reading the audit log: who created, changed, cancelled, resent, rotated, managed an account,
 * signed in or was refused, filtered and scoped by unit (api/auth/policy.ts: admins and
 * secretariats read the entries of their unit's subtree), as JSON or CSV.
 *
 * The log rows name an entity, not a unit, so an entry's unit is worked out when it is read: a
 * meeting's entries belong to its host site's unit, an account's to that account's unit, and
 * anything else (a refused request) to the unit of whoever did it.
 */
import { stringify } from 'csv-stringify/sync';
import { and, desc, eq, gte, lt, sql, type SQL } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import { z } from 'zod';
import type { Executor } from '../../db/client.ts';
import { adminUnits, auditLog, meetings, sites, users } from '../../db/schema.ts';
import { assertRoleMay, unitInSubtree, unitWithin, type Actor } from '../auth/policy.ts';
import { ForbiddenError, NotFoundError } from '../errors.ts';
import { toVietnamIso } from '../time.ts';
import { instant } from '../meetings/schemas.ts';
import { unitCode } from '../units/routes.ts';

export const auditQuery = z
  .object({
    /** Entries of this unit's subtree (within the reader's own). */
    unit: unitCode.optional(),
    action: z.string().trim().min(1).max(100).optional(),
    actor: z.string().trim().min(1).max(254).optional(),
    from: instant.optional(),
    to: instant.optional(),
    limit: z.coerce.number().int().min(1).max(5000).default(500),
    format: z.enum(['json', 'csv']).default('json'),
  })
  .strict();
export type AuditQuery = z.output<typeof auditQuery>;

/** The page's filters: the same, without the format, with the language switch; empty fields mean unset. */
export const auditPageQuery = auditQuery.omit({ format: true }).extend({ lang: z.enum(['vi', 'en']).optional() });

export interface AuditEntry {
  id: number;
  at: Date;
  actorEmail: string | null;
  action: string;
  entity: string;
  entityId: string;
  unitCode: string | null;
  details: Record<string, unknown> | null;
}

const actorUser = alias(users, 'actor_user');
const targetUser = alias(users, 'target_user');

export async function readAuditLog(db: Executor, actor: Actor, query: AuditQuery): Promise<AuditEntry[]> {
  assertRoleMay(actor, 'audit.read');
  if (query.unit) {
    const [unit] = await db
      .select({ code: adminUnits.code, parentCode: adminUnits.parentCode })
      .from(adminUnits)
      .where(eq(adminUnits.code, query.unit))
      .limit(1);
    if (!unit) throw new NotFoundError('Administrative unit', query.unit);
    if (!unitInSubtree(actor.unitCode, unit)) throw new ForbiddenError('This unit is outside your own');
  }
  const entryUnit = sql<string | null>`coalesce(${sites.unitCode}, ${targetUser.unitCode}, ${actorUser.unitCode})`;
  const conditions: SQL[] = [unitWithin(entryUnit, actor.unitCode)];
  if (query.unit) conditions.push(unitWithin(entryUnit, query.unit));
  if (query.action) conditions.push(eq(auditLog.action, query.action));
  if (query.actor) conditions.push(eq(actorUser.email, query.actor.toLowerCase()));
  if (query.from) conditions.push(gte(auditLog.at, query.from));
  if (query.to) conditions.push(lt(auditLog.at, query.to));
  const rows = await db
    .select({
      id: auditLog.id,
      at: auditLog.at,
      actorEmail: actorUser.email,
      action: auditLog.action,
      entity: auditLog.entity,
      entityId: auditLog.entityId,
      unitCode: entryUnit,
      details: auditLog.details,
    })
    .from(auditLog)
    .leftJoin(actorUser, eq(actorUser.id, auditLog.actorUserId))
    .leftJoin(meetings, and(eq(auditLog.entity, 'meeting'), sql`${meetings.id}::text = ${auditLog.entityId}`))
    .leftJoin(sites, eq(sites.id, meetings.hostSiteId))
    .leftJoin(targetUser, and(eq(auditLog.entity, 'user'), sql`${targetUser.id}::text = ${auditLog.entityId}`))
    .where(and(...conditions))
    .orderBy(desc(auditLog.id))
    .limit(query.limit);
  return rows;
}

export function auditEntryJson(e: AuditEntry) {
  return { ...e, at: toVietnamIso(e.at) };
}

/** UTF-8 with a BOM, Vietnamese headers, like the attendance CSV: it opens in Excel as is. */
export function auditCsv(entries: AuditEntry[]): string {
  const rows = entries.map((e) => [
    toVietnamIso(e.at),
    e.actorEmail ?? '',
    e.action,
    e.entity,
    e.entityId,
    e.unitCode ?? '',
    e.details ? JSON.stringify(e.details) : '',
  ]);
  return `\uFEFF${stringify([['Thời điểm', 'Người thực hiện', 'Hành động', 'Đối tượng', 'Mã đối tượng', 'Đơn vị', 'Chi tiết'], ...rows])}`;
}
