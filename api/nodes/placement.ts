/**
 * Placement: which node a site of a meeting connects to. The rules, in order:
 *
 *  1. A site keeps the node it was placed on while that node is alive (a reload, a rejoin), even
 *     a draining one: draining stops new sites, it does not move placed ones.
 *  2. Only alive (heartbeat younger than the dead-after window, not declared dead), non-draining
 *     nodes with room are candidates, and a node never gets more than its capacity. A node's
 *     load is the sites connected to it (its last heartbeat's count, or the live count when the
 *     node is this process) plus the sites placed on it since shortly before that count, which
 *     may not have connected yet: a site that left frees its place, one on its way holds it.
 *  3. A site whose province the operator mapped to a node goes there if it is a candidate.
 *  4. Else the least loaded candidate (placed / capacity; ties: the most room, then the id).
 *  5. None: NoNodeAvailableError (typed, 503), and the refusal is recorded for the secretariat
 *     (a placement row without a node). The host hall is the exception, as in the SFU: a
 *     meeting without its host is lost for every site already in, so it goes to the least
 *     loaded alive node even when that node is full.
 *
 * The host site's node is the meeting's origin. Placements are serialised by locking every
 * node row in the transaction, so two processes placing at once never pass a capacity.
 */
import { and, asc, eq, gt, inArray, isNotNull, ne, or, sql } from 'drizzle-orm';
import type { Database } from '../../db/client.ts';
import { adminUnits, meetingParticipants, meetings, provinceNodes, sfuNodes, sitePlacements, sites } from '../../db/schema.ts';
import { NoNodeAvailableError, NotFoundError } from '../errors.ts';
import { isAlive, livePlacement } from './registry.ts';

export interface Placement {
  nodeId: string;
  signalingUrl: string;
}

export interface PlacementRequest {
  meetingId: string;
  siteId: string;
  at: Date;
  deadAfterMs: number;
  /** This process's own node and its sites connected now (fresher than its last heartbeat). */
  local?: { nodeId: string; load(): number };
}

export async function placeSite(db: Database, request: PlacementRequest): Promise<Placement> {
  const { meetingId, siteId, at, deadAfterMs, local } = request;
  const outcome = await db.transaction(async (tx) => {
    const [site] = await tx
      .select({ hostSiteId: meetings.hostSiteId, level: adminUnits.level, unitCode: adminUnits.code, parentCode: adminUnits.parentCode })
      .from(meetingParticipants)
      .innerJoin(meetings, eq(meetings.id, meetingParticipants.meetingId))
      .innerJoin(sites, eq(sites.id, meetingParticipants.siteId))
      .innerJoin(adminUnits, eq(adminUnits.code, sites.unitCode))
      .where(and(eq(meetingParticipants.meetingId, meetingId), eq(meetingParticipants.siteId, siteId), eq(meetings.status, 'scheduled')))
      .limit(1);
    if (!site) throw new NotFoundError('Site of a scheduled meeting', `${meetingId}/${siteId}`);
    const isHost = site.hostSiteId === siteId;
    const province = site.level === 'province' ? site.unitCode : site.level === 'commune' ? site.parentCode : null;

    // Every placement in the database waits here for the one before it.
    const nodes = await tx.select().from(sfuNodes).orderBy(asc(sfuNodes.id)).for('update');
    const alive = nodes.filter((n) => isAlive(n, at, deadAfterMs));

    const [current] = await tx
      .select({ nodeId: sitePlacements.nodeId })
      .from(sitePlacements)
      .where(and(eq(sitePlacements.meetingId, meetingId), eq(sitePlacements.siteId, siteId)))
      .limit(1);
    const kept = alive.find((n) => n.id === current?.nodeId);
    if (kept) return { ok: true as const, node: kept };

    // Placed since shortly before the node's connected count: on their way, not in it yet.
    const countedAt = (n: (typeof nodes)[number]) => (n.id === local?.nodeId ? at : n.heartbeatAt);
    const pendingRows = alive.length
      ? await tx
          .select({ nodeId: sitePlacements.nodeId, at: sitePlacements.at })
          .from(sitePlacements)
          .innerJoin(meetings, eq(meetings.id, sitePlacements.meetingId))
          .where(
            and(
              livePlacement(at),
              isNotNull(sitePlacements.nodeId),
              inArray(
                sitePlacements.nodeId,
                alive.map((n) => n.id),
              ),
              gt(sitePlacements.at, new Date(Math.min(...alive.map((n) => countedAt(n).getTime())) - deadAfterMs / 2)),
              or(ne(sitePlacements.meetingId, meetingId), ne(sitePlacements.siteId, siteId)),
            ),
          )
      : [];
    const pending = new Map<string, number>();
    for (const n of alive) {
      const since = countedAt(n).getTime() - deadAfterMs / 2;
      pending.set(n.id, pendingRows.filter((r) => r.nodeId === n.id && r.at.getTime() > since).length);
    }
    const load = (n: (typeof nodes)[number]) => (n.id === local?.nodeId ? local.load() : n.load) + (pending.get(n.id) ?? 0);
    const open = alive.filter((n) => !n.draining);
    const leastLoaded = (candidates: typeof open) =>
      [...candidates].sort(
        (a, b) => load(a) / a.capacity - load(b) / b.capacity || b.capacity - load(b) - (a.capacity - load(a)) || a.id.localeCompare(b.id),
      )[0];

    const withRoom = open.filter((n) => load(n) < n.capacity);
    let chosen: (typeof nodes)[number] | undefined;
    if (province) {
      const [mapped] = await tx.select({ nodeId: provinceNodes.nodeId }).from(provinceNodes).where(eq(provinceNodes.provinceCode, province)).limit(1);
      chosen = withRoom.find((n) => n.id === mapped?.nodeId);
    }
    chosen ??= leastLoaded(withRoom) ?? (isHost ? leastLoaded(open) : undefined);
    if (!chosen) return { ok: false as const, reason: alive.length === 0 ? ('none-alive' as const) : ('full' as const) };
    await tx
      .insert(sitePlacements)
      .values({ meetingId, siteId, nodeId: chosen.id, at })
      .onConflictDoUpdate({ target: [sitePlacements.meetingId, sitePlacements.siteId], set: { nodeId: chosen.id, at } });
    return { ok: true as const, node: chosen };
  });
  if (outcome.ok) return { nodeId: outcome.node.id, signalingUrl: outcome.node.signalingUrl };
  // Recorded outside the transaction above, which only read: the secretariat sees the refusal.
  await db
    .insert(sitePlacements)
    .values({ meetingId, siteId, nodeId: null, at })
    .onConflictDoUpdate({ target: [sitePlacements.meetingId, sitePlacements.siteId], set: { nodeId: null, at } });
  throw new NoNodeAvailableError(outcome.reason);
}

export interface RefusedSite {
  siteId: string;
  siteName: string;
  at: Date;
}

/** The sites of a meeting refused because every node was full (the secretariat's view). */
export async function refusedSites(db: Database, meetingId: string): Promise<RefusedSite[]> {
  return db
    .select({ siteId: sitePlacements.siteId, siteName: sites.name, at: sitePlacements.at })
    .from(sitePlacements)
    .innerJoin(sites, eq(sites.id, sitePlacements.siteId))
    .where(and(eq(sitePlacements.meetingId, meetingId), sql`${sitePlacements.nodeId} is null`))
    .orderBy(asc(sites.name));
}
