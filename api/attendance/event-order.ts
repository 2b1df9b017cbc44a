/**
 * Turns the events as delivered (duplicated, reordered) into one canonical sequence, so that
 * everything computed from it is independent of delivery: the ledger's "replaying or
 * reordering events changes nothing" guarantees rest entirely on this module.
 */
import type { AttendanceEvent, AttendanceEventKind } from '../../db/attendance-event.ts';

/**
 * Order of events that share the same instant. A leave goes before a join so that
 * "leave(A) and join(B) in the same millisecond" reads as a drop and a rejoin rather than B
 * superseding a still-open A. The price: join(A) and leave(A) in the same millisecond read as
 * a leave of an unknown connection, which loses nothing because that connection was live for
 * zero time. Quality samples come after joins so a sample taken at the join instant belongs to
 * the new connection.
 */
const kindRankAtSameInstant: Record<AttendanceEventKind, number> = {
  leave: 0,
  join: 1,
  quality: 2,
  'floor-taken': 3,
  'floor-given': 4,
};

export function compareEvents(a: AttendanceEvent, b: AttendanceEvent): number {
  return (
    a.at.getTime() - b.at.getTime() ||
    kindRankAtSameInstant[a.kind] - kindRankAtSameInstant[b.kind] ||
    compareStrings(a.eventId, b.eventId) ||
    compareStrings(contentKey(a), contentKey(b))
  );
}

/**
 * De-duplicates on eventId and sorts. Two deliveries of one eventId should be identical
 * (storage de-duplicates on it too); if a buggy producer ever sends different content under
 * one id, the smallest in canonical order wins so the choice still does not depend on
 * delivery order.
 */
export function canonicalEventSequence(events: readonly AttendanceEvent[]): AttendanceEvent[] {
  const byEventId = new Map<string, AttendanceEvent>();
  for (const event of events) {
    const kept = byEventId.get(event.eventId);
    if (kept === undefined || compareEvents(event, kept) < 0) byEventId.set(event.eventId, event);
  }
  return [...byEventId.values()].sort(compareEvents);
}

/** Every field in a fixed order, so identical content gives an identical key whatever the object's key order. */
function contentKey(event: AttendanceEvent): string {
  const common = [event.eventId, event.meetingId, event.siteId, event.at.getTime(), event.kind];
  switch (event.kind) {
    case 'join':
      return JSON.stringify([...common, event.connectionId]);
    case 'leave':
      return JSON.stringify([...common, event.connectionId, event.cause]);
    case 'quality':
      return JSON.stringify([...common, event.connectionId, event.bitrateKbps, event.lossPercent, event.rttMs, event.jitterMs]);
    case 'floor-given':
    case 'floor-taken':
      return JSON.stringify(common);
    default: {
      const unhandled: never = event;
      throw new Error(`unhandled attendance event kind: ${JSON.stringify(unhandled)}`);
    }
  }
}

/** Code-unit order, not localeCompare: the result must not depend on the server's locale. */
function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
