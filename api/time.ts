/**
 * Time in hoinghi: instants are stored as timestamptz and travel through the API as ISO 8601
 * with an offset; people see and type them in Asia/Ho_Chi_Minh. @date-fns/tz does the zone
 * arithmetic (Vietnam has no DST today, but history and clients do not have to trust that).
 */
import { TZDate, tzOffset } from '@date-fns/tz';
import { format, formatISO } from 'date-fns';
import { vi } from 'date-fns/locale/vi';
import { enUS } from 'date-fns/locale/en-US';
import type { Lang } from './context.ts';

export const VIETNAM_TIME_ZONE = 'Asia/Ho_Chi_Minh';

const offsetByMinute = new Map<number, number>();
const MAX_CACHED_MINUTES = 100_000;

function offsetMinutes(instant: number): number {
  const minute = Math.floor(instant / 60_000);
  let offset = offsetByMinute.get(minute);
  if (offset === undefined) {
    if (offsetByMinute.size >= MAX_CACHED_MINUTES) offsetByMinute.clear();
    offset = tzOffset(VIETNAM_TIME_ZONE, new Date(minute * 60_000));
    offsetByMinute.set(minute, offset);
  }
  return offset;
}

const pad = (n: number) => String(n).padStart(2, '0');

/**
 * "2026-11-27T08:00:00+07:00", seconds precision like formatISO. Every API answer writes its
 * instants through here (a national report holds ~15k, a meeting list a hundred per request),
 * and going through TZDate and formatISO for each cost more than the rest of the answer. So
 * the zone's offset is looked up once per minute of time (offsets change on minute boundaries
 * in every tz database entry) and the string is assembled from the shifted UTC fields; a
 * property test checks it against `toVietnamIsoByDateFns`.
 */
export function toVietnamIso(instant: Date): string {
  const ms = instant.getTime();
  const offset = offsetMinutes(ms);
  const local = new Date(ms + offset * 60_000).toISOString();
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  return `${local.slice(0, 19)}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** "27/11/2026 08:00:00", Vietnam time, by the same shortcut as toVietnamIso (the CSV writes thousands). */
export function toVietnamDayTime(instant: Date): string {
  const iso = toVietnamIso(instant);
  return `${iso.slice(8, 10)}/${iso.slice(5, 7)}/${iso.slice(0, 4)} ${iso.slice(11, 19)}`;
}

/** The straightforward definition of toVietnamIso, kept as its reference. */
export function toVietnamIsoByDateFns(instant: Date): string {
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
