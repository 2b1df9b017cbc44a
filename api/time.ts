/**
 * Time in hoinghi: instants are stored as timestamptz and travel through the API as ISO 8601
 * with an offset; people see and type them in Asia/Ho_Chi_Minh. @date-fns/tz does the zone
 * arithmetic (Vietnam has no DST today, but history and clients do not have to trust that).
 */
import { TZDate } from '@date-fns/tz';
import { format, formatISO } from 'date-fns';
import { vi } from 'date-fns/locale/vi';
import { enUS } from 'date-fns/locale/en-US';
import type { Lang } from './context.ts';

export const VIETNAM_TIME_ZONE = 'Asia/Ho_Chi_Minh';

/** "2026-11-27T08:00:00+07:00" */
export function toVietnamIso(instant: Date): string {
  return formatISO(new TZDate(instant, VIETNAM_TIME_ZONE));
}

/** "08:00, thứ Sáu 27/11/2026" or "08:00, Friday 27/11/2026". */
export function formatVietnamDateTime(instant: Date, lang: Lang = 'vi'): string {
  return format(new TZDate(instant, VIETNAM_TIME_ZONE), "HH:mm, EEEE dd/MM/yyyy", { locale: lang === 'vi' ? vi : enUS });
}

export function formatVietnamTime(instant: Date): string {
  return format(new TZDate(instant, VIETNAM_TIME_ZONE), 'HH:mm');
}

/** The value an <input type="datetime-local"> shows for an instant, in Vietnam time. */
export function toVietnamLocalInput(instant: Date): string {
  return format(new TZDate(instant, VIETNAM_TIME_ZONE), "yyyy-MM-dd'T'HH:mm");
}

/** Reads "2026-11-27T08:00" (no offset) as Vietnam wall-clock time. Null when malformed. */
export function parseVietnamLocal(value: string): Date | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(value);
  if (!match) return null;
  const [y, mo, d, h, mi, s] = match.slice(1).map((part) => (part === undefined ? 0 : Number(part))) as [number, number, number, number, number, number];
  const local = new TZDate(y, mo - 1, d, h, mi, s, 0, VIETNAM_TIME_ZONE);
  // Reject rolled-over dates such as 31/02.
  if (local.getFullYear() !== y || local.getMonth() !== mo - 1 || local.getDate() !== d || local.getHours() !== h || local.getMinutes() !== mi) return null;
  return new Date(local.getTime());
}
