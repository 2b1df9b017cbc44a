/** The query strings the attendance API accepts. */
import { z } from 'zod';

export const meetingAttendanceQuery = z
  .object({
    format: z.enum(['json', 'csv']).default('json'),
    /** CSV only: "semicolon" for Excel with Vietnamese regional settings (';' between fields, ',' in decimals). */
    sep: z.enum(['comma', 'semicolon']).default('comma'),
    /** JSON only: include the per-minute quality timeline of every site. */
    timeline: z
      .enum(['true', 'false'])
      .default('false')
      .transform((v) => v === 'true'),
    lang: z.enum(['vi', 'en']).optional(),
  })
  .strict();

const day = z.iso.date({ message: 'must be a date YYYY-MM-DD' });

export const dashboardQuery = z
  .object({
    from: day.optional(),
    to: day.optional(),
    province: z
      .string()
      .regex(/^\d{2}$/, 'must be a two-digit province code')
      .optional()
      .or(z.literal('').transform(() => undefined)),
    lang: z.enum(['vi', 'en']).optional(),
  })
  .strict();
export type DashboardQueryInput = z.output<typeof dashboardQuery>;
