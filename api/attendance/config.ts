/**
 * The attendance part of the configuration; api/config.ts composes it into the app's schema so
 * the environment is still parsed once, at start-up.
 */
import { z } from 'zod';

export const attendanceConfigSchema = z.object({
  /**
   * Years attendance events are kept (counted back from the purge's "now"). Five by default:
   * long enough to compare a commune across a term of office, short enough that connection
   * records of people do not pile up for ever.
   */
  ATTENDANCE_RETENTION_YEARS: z.coerce.number().int().min(1).max(50).default(5),
  /** A site whose first join is more than this after the start is late (fractions allowed). */
  ATTENDANCE_LATE_MINUTES: z.coerce.number().min(0).max(240).default(5),
  /** A site gone for good more than this before the end left early (fractions allowed). */
  ATTENDANCE_EARLY_LEAVE_MINUTES: z.coerce.number().min(0).max(240).default(5),
});

/** The ledger's thresholds as configured. */
export function ledgerThresholds(config: AttendanceConfig) {
  return { lateThresholdMinutes: config.ATTENDANCE_LATE_MINUTES, earlyLeaveThresholdMinutes: config.ATTENDANCE_EARLY_LEAVE_MINUTES };
}
export type AttendanceConfig = z.infer<typeof attendanceConfigSchema>;
