/**
 * Retention of attendance events: they are personal-ish records (who was connected when, from
 * which line) and are kept ATTENDANCE_RETENTION_YEARS, then deleted. Nothing else deletes them:
 * cancelling a meeting, removing or renaming a site leaves its attendance in place.
 *
 * The cut-off is counted in calendar years in Vietnam time, so an event of 08:00 on 2 March 2021
 * (Hà Nội) is kept until 08:00 on 2 March 2026 (Hà Nội) with the default five years.
 */
import { TZDate } from '@date-fns/tz';
import { subYears } from 'date-fns';
import { inArray, lt } from 'drizzle-orm';
import type { Executor } from '../../db/client.ts';
import { forgetStoredLedgers } from './stored-ledger.ts';
import { attendanceEvents } from '../../db/schema.ts';
import type { AppContext } from '../context.ts';
import { VIETNAM_TIME_ZONE } from '../time.ts';

const PURGE_SLICE = 10_000;

export function retentionCutoff(now: Date, years: number): Date {
  return new Date(subYears(new TZDate(now, VIETNAM_TIME_ZONE), years).getTime());
}

/** Deletes events observed before the cut-off. Returns how many were deleted. */
export async function purgeExpiredAttendance(db: Executor, now: Date, years: number): Promise<{ deleted: number; cutoff: Date }> {
  if (!Number.isInteger(years) || years < 1) throw new RangeError(`retention must be a whole number of years ≥ 1, got ${years}`);
  const cutoff = retentionCutoff(now, years);
  // In slices: one statement over years of a national system's events would hold its locks
  // and its returned ids for a long time.
  let deleted = 0;
  for (;;) {
    const expired = db.select({ eventId: attendanceEvents.eventId }).from(attendanceEvents).where(lt(attendanceEvents.at, cutoff)).limit(PURGE_SLICE);
    const slice = await db.transaction(async (tx) => {
      const gone = await tx.delete(attendanceEvents).where(inArray(attendanceEvents.eventId, expired)).returning({ meetingId: attendanceEvents.meetingId });
      // Their meetings' stored ledgers counted these events.
      await forgetStoredLedgers(tx, [...new Set(gone.map((row) => row.meetingId))]);
      return gone;
    });
    deleted += slice.length;
    if (slice.length < PURGE_SLICE) return { deleted, cutoff };
  }
}

/**
 * Runs the purge once at start and then daily. The returned `close()` stops the timer and
 * waits for a purge in progress (idempotent).
 */
export function scheduleAttendanceRetention(ctx: AppContext, intervalMs = 24 * 3600_000): { close(): Promise<void> } {
  const log = ctx.logger.child({ component: 'attendance-retention' });
  let running: Promise<void> = Promise.resolve();
  const run = () => {
    running = running.then(async () => {
      try {
        const { deleted, cutoff } = await purgeExpiredAttendance(ctx.db, ctx.now(), ctx.config.ATTENDANCE_RETENTION_YEARS);
        log.info({ deleted, cutoff: cutoff.toISOString(), years: ctx.config.ATTENDANCE_RETENTION_YEARS }, 'expired attendance purged');
      } catch (err) {
        log.error({ err }, 'attendance purge failed; will retry at the next run');
      }
    });
  };
  run();
  const timer = setInterval(run, intervalMs);
  timer.unref();
  let closed: Promise<void> | undefined;
  return {
    close: () => (closed ??= (clearInterval(timer), running)),
  };
}
