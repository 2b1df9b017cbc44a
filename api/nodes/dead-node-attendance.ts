/**
 * A node that died (SIGKILL, power, network) could not say that its sites left. The node that
 * declares it dead says it for it: every connection that joined on the dead node (its join
 * event names the node) whose last attendance event is not a leave gets a `leave` with cause
 * `server-failure`, stamped at
 * the dead node's last heartbeat (the last moment it is known to have carried them) or the
 * connection's last event if later. The event id names the node and the connection, so several
 * nodes sweeping at once, or one sweeping twice, record it once per connection; when the site
 * comes back on another node the report shows one server-failure gap between the two.
 */
import { and, desc, eq, inArray, isNotNull, sql } from 'drizzle-orm';
import type { AttendanceEvent } from '../../db/attendance-event.ts';
import type { Executor } from '../../db/client.ts';
import { attendanceEvents, meetings } from '../../db/schema.ts';
import { recordAttendanceEvents } from '../attendance/store.ts';
import { declareDeadNodes, livePlacement } from './registry.ts';

/**
 * Declares the silent nodes dead and closes their sites' connections in the ledger, in one
 * transaction: a failure leaves them to be declared (and closed) by the next sweep.
 */
export async function sweepDeadNodes(db: Executor, at: Date, deadAfterMs: number): Promise<{ id: string; connectionsClosed: number }[]> {
  return db.transaction(async (tx) => {
    const swept: { id: string; connectionsClosed: number }[] = [];
    for (const dead of await declareDeadNodes(tx, at, deadAfterMs)) {
      swept.push({ id: dead.id, connectionsClosed: await closeAttendanceOfDeadNode(tx, dead.id, dead.heartbeatAt, at) });
    }
    return swept;
  });
}

export async function closeAttendanceOfDeadNode(db: Executor, nodeId: string, lastHeartbeat: Date, at: Date): Promise<number> {
  const joinedThere = db
    .select({ connectionId: attendanceEvents.connectionId })
    .from(attendanceEvents)
    .innerJoin(meetings, eq(meetings.id, attendanceEvents.meetingId))
    .where(and(eq(attendanceEvents.kind, 'join'), sql`${attendanceEvents.payload}->>'nodeId' = ${nodeId}`, livePlacement(at)));
  const last = await db
    .selectDistinctOn([attendanceEvents.connectionId], {
      connectionId: attendanceEvents.connectionId,
      meetingId: attendanceEvents.meetingId,
      siteId: attendanceEvents.siteId,
      kind: attendanceEvents.kind,
      at: attendanceEvents.at,
    })
    .from(attendanceEvents)
    .where(and(isNotNull(attendanceEvents.connectionId), inArray(attendanceEvents.connectionId, joinedThere)))
    .orderBy(attendanceEvents.connectionId, desc(attendanceEvents.at), sql`${attendanceEvents.kind} = 'leave' desc`);
  const leaves: AttendanceEvent[] = last
    .filter((e) => e.kind !== 'leave' && e.connectionId)
    .map((e) => ({
      kind: 'leave',
      eventId: `node-dead:${nodeId}:${e.connectionId}`.slice(0, 100),
      meetingId: e.meetingId,
      siteId: e.siteId,
      connectionId: e.connectionId!,
      cause: 'server-failure',
      at: new Date(Math.max(lastHeartbeat.getTime(), e.at.getTime())),
    }));
  if (leaves.length) await recordAttendanceEvents(db, leaves);
  return leaves.length;
}
