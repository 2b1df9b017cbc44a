/**
 * The registry of SFU nodes in the shared database: a node registers itself at start-up,
 * heartbeats every few seconds with its load, and leaves on a clean shutdown. A node is alive
 * while its last heartbeat is younger than the dead-after window; placement (placement.ts)
 * looks only at alive nodes, so a node that stops heartbeating is out of placement within that
 * window, whoever notices. Every alive node also sweeps: it declares the stale ones dead
 * (`dead_at`), once each, so the operator's page and the logs say when a node died. A heartbeat
 * from a node declared dead brings it back (it was only late).
 *
 * The operator's part: draining (no new sites; placed sites stay) and the province → node map.
 */
import { and, asc, eq, gt, inArray, isNull, lt, sql } from 'drizzle-orm';
import type { Database, Executor } from '../../db/client.ts';
import { adminUnits, meetings, provinceNodes, sfuNodes, sitePlacements } from '../../db/schema.ts';
import { OVERRUN_GRACE_MS } from '../conference/authenticator.ts';
import { NotFoundError, ValidationError } from '../errors.ts';

export interface NodeRegistration {
  id: string;
  signalingUrl: string;
  mediaAddress: string;
  capacity: number;
}

export type NodeState = 'alive' | 'draining' | 'dead';

export interface NodeMeeting {
  meetingId: string;
  title: string;
  /** Sites placed on this node for the meeting. */
  sites: number;
  /** The meeting's host site is placed here. */
  origin: boolean;
}

export interface NodeSummary {
  id: string;
  signalingUrl: string;
  mediaAddress: string;
  capacity: number;
  state: NodeState;
  draining: boolean;
  /** Sites connected at the last heartbeat. */
  load: number;
  /** Sites placed here for meetings that can still be joined (what the operator sees per meeting). */
  placed: number;
  heartbeatAt: Date;
  startedAt: Date;
  deadAt: Date | null;
  provinces: string[];
  meetings: NodeMeeting[];
}

/** Registers (or re-registers, after a restart) this node; the operator's draining flag is kept. */
export async function registerNode(db: Executor, node: NodeRegistration, at: Date): Promise<void> {
  await db
    .insert(sfuNodes)
    .values({ ...node, startedAt: at, heartbeatAt: at, load: 0 })
    .onConflictDoUpdate({
      target: sfuNodes.id,
      set: { signalingUrl: node.signalingUrl, mediaAddress: node.mediaAddress, capacity: node.capacity, startedAt: at, heartbeatAt: at, load: 0, deadAt: null },
    });
}

/**
 * This node is still here, with `load` sites connected. Answers when the operator last moved its
 * sites away (null: never), or false if its row is gone (re-register).
 */
export async function heartbeat(db: Executor, nodeId: string, load: number, at: Date): Promise<{ sitesMovedAt: Date | null } | false> {
  const [row] = await db
    .update(sfuNodes)
    .set({ heartbeatAt: at, load, deadAt: null })
    .where(eq(sfuNodes.id, nodeId))
    .returning({ sitesMovedAt: sfuNodes.sitesMovedAt });
  return row ?? false;
}

/**
 * The operator moves a node's sites to other nodes (before maintenance): the node is drained
 * (it takes no new site), its placements for meetings under way are forgotten (so their next
 * placement goes elsewhere), and `sites_moved_at` tells the node, at its next heartbeat, to send
 * its sites to rejoin. One transaction: a failure changes nothing. Returns the sites unplaced.
 */
export async function moveSitesOff(db: Database, nodeId: string, at: Date): Promise<number> {
  return db.transaction(async (tx) => {
    const [node] = await tx.update(sfuNodes).set({ draining: true, sitesMovedAt: at }).where(eq(sfuNodes.id, nodeId)).returning({ id: sfuNodes.id });
    if (!node) throw new NotFoundError('SFU node', nodeId);
    const unplaced = await tx.delete(sitePlacements).where(eq(sitePlacements.nodeId, nodeId)).returning({ siteId: sitePlacements.siteId });
    return unplaced.length;
  });
}

/** A clean shutdown: out of placement now rather than after the dead-after window. */
export async function leaveRegistry(db: Executor, nodeId: string, at: Date): Promise<void> {
  await db.update(sfuNodes).set({ deadAt: at, load: 0 }).where(eq(sfuNodes.id, nodeId));
}

/** Declares dead every node silent for longer than `deadAfterMs`; returns them (each once) with their last heartbeat. */
export async function declareDeadNodes(db: Executor, at: Date, deadAfterMs: number): Promise<{ id: string; heartbeatAt: Date }[]> {
  return db
    .update(sfuNodes)
    .set({ deadAt: at })
    .where(and(isNull(sfuNodes.deadAt), lt(sfuNodes.heartbeatAt, staleBefore(at, deadAfterMs))))
    .returning({ id: sfuNodes.id, heartbeatAt: sfuNodes.heartbeatAt });
}

export function staleBefore(at: Date, deadAfterMs: number): Date {
  return new Date(at.getTime() - deadAfterMs);
}

export function isAlive(node: { heartbeatAt: Date; deadAt: Date | null }, at: Date, deadAfterMs: number): boolean {
  return node.deadAt === null && node.heartbeatAt.getTime() > staleBefore(at, deadAfterMs).getTime();
}

/** A placement counts against its node while its meeting can still be joined. */
export function livePlacement(at: Date) {
  return and(eq(meetings.status, 'scheduled'), isNull(meetings.endedAt), gt(meetings.endsAt, new Date(at.getTime() - OVERRUN_GRACE_MS)));
}

/**
 * The live node a site of a meeting is placed on when it is not `nodeId` (undefined when it is
 * placed here, nowhere, or on a node that is dead): a node that admitted a site placed elsewhere
 * would carry load the placement did not count (see api/conference/authenticator.ts).
 */
export async function placedElsewhere(
  db: Executor,
  request: { meetingId: string; siteId: string; nodeId: string; at: Date; deadAfterMs: number },
): Promise<{ nodeId: string; signalingUrl: string } | undefined> {
  const [row] = await db
    .select({ nodeId: sfuNodes.id, signalingUrl: sfuNodes.signalingUrl, heartbeatAt: sfuNodes.heartbeatAt, deadAt: sfuNodes.deadAt })
    .from(sitePlacements)
    .innerJoin(sfuNodes, eq(sfuNodes.id, sitePlacements.nodeId))
    .where(and(eq(sitePlacements.meetingId, request.meetingId), eq(sitePlacements.siteId, request.siteId)))
    .limit(1);
  if (!row || row.nodeId === request.nodeId || !isAlive(row, request.at, request.deadAfterMs)) return undefined;
  return { nodeId: row.nodeId, signalingUrl: row.signalingUrl };
}

/**
 * The meeting's origin: the alive node its host hall is placed on, with its signaling URL
 * (undefined when the host is placed nowhere alive: the host has not connected yet, or its node
 * died and the console has not reconnected elsewhere).
 */
export async function originOf(db: Executor, meetingId: string, at: Date, deadAfterMs: number): Promise<{ nodeId: string; signalingUrl: string } | undefined> {
  const [row] = await db
    .select({ nodeId: sfuNodes.id, signalingUrl: sfuNodes.signalingUrl, heartbeatAt: sfuNodes.heartbeatAt, deadAt: sfuNodes.deadAt })
    .from(meetings)
    .innerJoin(sitePlacements, and(eq(sitePlacements.meetingId, meetings.id), eq(sitePlacements.siteId, meetings.hostSiteId)))
    .innerJoin(sfuNodes, eq(sfuNodes.id, sitePlacements.nodeId))
    .where(eq(meetings.id, meetingId))
    .limit(1);
  return row && isAlive(row, at, deadAfterMs) ? { nodeId: row.nodeId, signalingUrl: row.signalingUrl } : undefined;
}

/** Every registered node with its state, placed sites, mapped provinces and meetings. */
export async function listNodes(db: Executor, at: Date, deadAfterMs: number): Promise<NodeSummary[]> {
  const nodes = await db.select().from(sfuNodes).orderBy(asc(sfuNodes.id));
  if (nodes.length === 0) return [];
  const [perMeeting, provinces] = await Promise.all([
    db
      .select({
        nodeId: sitePlacements.nodeId,
        meetingId: meetings.id,
        title: meetings.title,
        sites: sql<number>`count(*)::int`,
        origin: sql<boolean>`bool_or(${sitePlacements.siteId} = ${meetings.hostSiteId})`,
      })
      .from(sitePlacements)
      .innerJoin(meetings, eq(meetings.id, sitePlacements.meetingId))
      .where(
        and(
          livePlacement(at),
          inArray(
            sitePlacements.nodeId,
            nodes.map((n) => n.id),
          ),
        ),
      )
      .groupBy(sitePlacements.nodeId, meetings.id, meetings.title)
      .orderBy(asc(meetings.title)),
    db.select().from(provinceNodes).orderBy(asc(provinceNodes.provinceCode)),
  ]);
  return nodes.map((n) => {
    const mine = perMeeting.filter((m) => m.nodeId === n.id).map(({ meetingId, title, sites, origin }) => ({ meetingId, title, sites, origin }));
    return {
      id: n.id,
      signalingUrl: n.signalingUrl,
      mediaAddress: n.mediaAddress,
      capacity: n.capacity,
      state: !isAlive(n, at, deadAfterMs) ? 'dead' : n.draining ? 'draining' : 'alive',
      draining: n.draining,
      load: n.load,
      placed: mine.reduce((sum, m) => sum + m.sites, 0),
      heartbeatAt: n.heartbeatAt,
      startedAt: n.startedAt,
      deadAt: n.deadAt,
      provinces: provinces.filter((p) => p.nodeId === n.id).map((p) => p.provinceCode),
      meetings: mine,
    };
  });
}

/** Drain (no new sites; the sites placed there stay) or take a node back into placement. */
export async function setDraining(db: Executor, nodeId: string, draining: boolean): Promise<void> {
  const rows = await db.update(sfuNodes).set({ draining }).where(eq(sfuNodes.id, nodeId)).returning({ id: sfuNodes.id });
  if (rows.length === 0) throw new NotFoundError('Node', nodeId);
}

/** Sends a province's sites to `nodeId` (null: back to least loaded). */
export async function mapProvince(db: Executor, provinceCode: string, nodeId: string | null): Promise<void> {
  const [unit] = await db.select({ level: adminUnits.level }).from(adminUnits).where(eq(adminUnits.code, provinceCode)).limit(1);
  if (unit?.level !== 'province') throw new ValidationError(`${provinceCode} is not a province code`);
  if (nodeId === null) {
    await db.delete(provinceNodes).where(eq(provinceNodes.provinceCode, provinceCode));
    return;
  }
  const [node] = await db.select({ id: sfuNodes.id }).from(sfuNodes).where(eq(sfuNodes.id, nodeId)).limit(1);
  if (!node) throw new NotFoundError('Node', nodeId);
  await db
    .insert(provinceNodes)
    .values({ provinceCode, nodeId })
    .onConflictDoUpdate({ target: provinceNodes.provinceCode, set: { nodeId, updatedAt: sql`now()` } });
}

/**
 * Sites the alive, non-draining nodes admit in all (the capacity warning), and how many nodes
 * are registered at all (none: no conference service runs against this database, nothing to warn about).
 */
export async function availableCapacity(db: Executor, at: Date, deadAfterMs: number): Promise<{ registered: number; nodes: number; capacity: number }> {
  const open = and(isNull(sfuNodes.deadAt), eq(sfuNodes.draining, false), gt(sfuNodes.heartbeatAt, staleBefore(at, deadAfterMs)));
  const [row] = await db
    .select({
      registered: sql<number>`count(*)::int`,
      nodes: sql<number>`(count(*) filter (where ${open}))::int`,
      capacity: sql<number>`(coalesce(sum(${sfuNodes.capacity}) filter (where ${open}), 0))::int`,
    })
    .from(sfuNodes);
  return { registered: row?.registered ?? 0, nodes: row?.nodes ?? 0, capacity: row?.capacity ?? 0 };
}
