/**
 * The attendance event: what the SFU reports about a site's connection, what the database
 * stores, and what the attendance ledger is computed from. It lives in db/ because all three
 * parts use it and db/ is the part the others may depend on.
 *
 * Every event carries an `eventId` chosen by its producer: replaying the same event (a retry,
 * a duplicate delivery) must change nothing, so storage de-duplicates on it.
 * `at` is the server's clock when the SFU observed the fact, never the browser's.
 */
import { z } from 'zod';

export const leaveCauses = ['left', 'network', 'kicked', 'meeting-ended', 'server-failure', 'shutdown'] as const;
export const LeaveCause = z.enum(leaveCauses);
export type LeaveCause = z.infer<typeof LeaveCause>;

const base = {
  eventId: z.string().min(1).max(100),
  meetingId: z.string().uuid(),
  siteId: z.string().uuid(),
  at: z.coerce.date(),
};

export const AttendanceEvent = z.discriminatedUnion('kind', [
  /** A site's connection became live (transport connected). One connectionId per browser session. */
  z.object({
    ...base,
    kind: z.literal('join'),
    connectionId: z.string().min(1).max(100),
    /** The SFU node the connection is on: if that node dies, the node declaring it dead closes the interval. */
    nodeId: z.string().min(1).max(63).optional(),
  }),
  z.object({ ...base, kind: z.literal('leave'), connectionId: z.string().min(1).max(100), cause: LeaveCause }),
  /** A line-quality sample for one connection, taken every few seconds. */
  z.object({
    ...base,
    kind: z.literal('quality'),
    connectionId: z.string().min(1).max(100),
    bitrateKbps: z.number().nonnegative(),
    lossPercent: z.number().min(0).max(100),
    rttMs: z.number().nonnegative(),
    jitterMs: z.number().nonnegative(),
  }),
  z.object({ ...base, kind: z.literal('floor-given') }),
  z.object({ ...base, kind: z.literal('floor-taken') }),
]);
export type AttendanceEvent = z.infer<typeof AttendanceEvent>;
export type AttendanceEventKind = AttendanceEvent['kind'];
