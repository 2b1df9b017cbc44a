/**
 * The notice a process sends when it stores attendance events (store.ts, inside the storing
 * transaction, so only committed events are announced) and other processes hear
 * (cross-process.ts): their ids, and which process stored them.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';

export const ATTENDANCE_CHANNEL = 'hoinghi_attendance';
/** This process, in its notices: it skips its own. */
export const PROCESS_TAG = randomUUID();
/** PostgreSQL's limit on a notice is 8,000 bytes; event ids are at most 100 characters. */
const IDS_PER_NOTICE = 60;

export const AttendanceNotice = z.object({ from: z.uuid(), ids: z.array(z.string().min(1).max(100)).min(1).max(IDS_PER_NOTICE) });
export type AttendanceNotice = z.infer<typeof AttendanceNotice>;

/** The notices announcing `eventIds`, stored by this process. */
export function storedNotices(eventIds: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < eventIds.length; i += IDS_PER_NOTICE) out.push(JSON.stringify({ from: PROCESS_TAG, ids: eventIds.slice(i, i + IDS_PER_NOTICE) }));
  return out;
}
