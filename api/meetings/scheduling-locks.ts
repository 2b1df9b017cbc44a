/**
 * Scheduling locks: two bookings are serialised only when they could conflict.
 *
 * A conflict needs a site booked twice at overlapping times, so a booking takes one
 * transaction-scoped advisory lock per (province, time slot) it touches: the provinces of its
 * sites (the nation's own hall counts as province "VN") and the fixed 2-hour slots its interval
 * overlaps. Two meetings that share a site share that site's province and, if they overlap in
 * time, a slot: one waits for the other and then sees it in its conflict check. A commune meeting
 * in another province, or at another time of the day, takes none of a national meeting's locks
 * and does not wait for it — where one lock for the whole country made every booking in the
 * land queue behind a national meeting's create.
 *
 * Lock ids are 64-bit hashes, taken in ascending order, so two bookings never wait on each other
 * in a cycle. A 12-hour national meeting takes at most 7 slots × 35 provinces = 245 locks.
 */
import { createHash } from 'node:crypto';
import { inArray, sql } from 'drizzle-orm';
import type { Transaction } from '../../db/client.ts';
import { adminUnits, sites } from '../../db/schema.ts';
import { chunks } from './queries.ts';

export const LOCK_SLOT_MS = 2 * 3600_000;

/** The advisory lock ids of a booking, ascending (as signed 64-bit decimal strings). */
export function schedulingLockIds(interval: { startsAt: Date; endsAt: Date }, provinceCodes: Iterable<string>): string[] {
  const first = Math.floor(interval.startsAt.getTime() / LOCK_SLOT_MS);
  // [startsAt, endsAt): a meeting ending exactly at a slot's start does not touch that slot.
  const last = Math.max(first, Math.ceil(interval.endsAt.getTime() / LOCK_SLOT_MS) - 1);
  const ids: bigint[] = [];
  for (const province of new Set(provinceCodes))
    for (let slot = first; slot <= last; slot++) ids.push(createHash('sha256').update(`hoinghi.scheduling:${province}:${slot}`).digest().readBigInt64BE(0));
  return [...new Set(ids)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).map(String);
}

/** The provinces the sites lie in: a commune's parent, a province's own code, "VN" for the nation. */
export async function provincesOfSites(tx: Transaction, siteIds: string[]): Promise<Set<string>> {
  const provinces = new Set<string>();
  for (const chunk of chunks([...new Set(siteIds)], 5000)) {
    const rows = await tx
      .selectDistinct({ province: sql<string>`case when ${adminUnits.level} = 'commune' then ${adminUnits.parentCode} else ${adminUnits.code} end` })
      .from(sites)
      .innerJoin(adminUnits, sql`${adminUnits.code} = ${sites.unitCode}`)
      .where(inArray(sites.id, chunk));
    for (const row of rows) provinces.add(row.province);
  }
  return provinces;
}

/** Takes the booking's locks, held until the transaction ends. */
export async function lockScheduling(tx: Transaction, interval: { startsAt: Date; endsAt: Date }, siteIds: string[]): Promise<void> {
  for (const id of schedulingLockIds(interval, await provincesOfSites(tx, siteIds))) await tx.execute(sql`select pg_advisory_xact_lock(${id}::bigint)`);
}

/**
 * The locks of several bookings of the same sites at once (a series' occurrences), in one
 * ascending order: taking each booking's locks in turn could wait in a cycle with another series.
 */
export async function lockSchedulingAll(tx: Transaction, intervals: { startsAt: Date; endsAt: Date }[], siteIds: string[]): Promise<void> {
  const provinces = await provincesOfSites(tx, siteIds);
  const ids = [...new Set(intervals.flatMap((interval) => schedulingLockIds(interval, provinces)))].map(BigInt);
  ids.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  // One statement for all of them (a national series of 10 takes ~700): a function scan of the
  // array yields its elements in order, so they are still taken in ascending order.
  for (const chunk of chunks(ids, 5000)) await tx.execute(sql`select pg_advisory_xact_lock(id) from unnest(${`{${chunk.join(',')}}`}::bigint[]) as id`);
}
