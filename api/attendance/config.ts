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
});
export type AttendanceConfig = z.infer<typeof attendanceConfigSchema>;
