/**
 * Vietnam time, the one module: instants are stored as timestamptz and travel through the API as
 * ISO 8601 with an offset; people see and type them in Asia/Ho_Chi_Minh whatever zone the server
 * runs in. @date-fns/tz does the zone arithmetic (Vietnam has no DST today, but history and
 * clients do not have to trust that).
 *
 * Vietnamese day names come from the glossary ("thứ Năm", "Chủ nhật": lower-case "thứ" as written
 * mid-phrase), not from Intl, which capitalises them ("Thứ Năm") as for a heading.
 */
import { TZDate, tzOffset } from '@date-fns/tz';
import { format, formatISO } from 'date-fns';
import { vietnameseWeekdays } from './i18n/glossary.ts';
import { defineTexts, translator, type Lang } from './i18n/translator.ts';

export const VIETNAM_TIME_ZONE = 'Asia/Ho_Chi_Minh';

export const timeTexts = defineTexts({
  inVietnamTime: { vi: '{time} (giờ Việt Nam)', en: '{time} (Vietnam time)' },
});

/** The instant as a date whose getters (getHours, getDate, …) read Vietnam's wall clock. */
export function inVietnam(instant: Date): TZDate {
  return new TZDate(instant.getTime(), VIETNAM_TIME_ZONE);
}

/** "2026-11-27T08:00:00+07:00" */
export function toVietnamIso(instant: Date): string {
  return formatISO(inVietnam(instant));
}

// fastVietnamIso: toVietnamIso for large reports. A national meeting's JSON holds ~15k instants
// and formatting each through TZDate costs more than computing the ledger. The zone's offset is
// looked up once per minute of time (offsets change on minute boundaries in every tz database
// entry) and the string is assembled from the shifted UTC fields; a property test checks that the
// output is identical to toVietnamIso.
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

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** "2026-12-02T09:00:00+07:00", seconds precision like toVietnamIso, several times faster. */
export function fastVietnamIso(instant: Date): string {
  const ms = instant.getTime();
  const offset = offsetMinutes(ms);
  const local = new Date(ms + offset * 60_000).toISOString();
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  return `${local.slice(0, 19)}${sign}${pad2(Math.floor(abs / 60))}:${pad2(abs % 60)}`;
}

/** "27/11/2026 08:00:00", Vietnam time, by fastVietnamIso's shortcut (the attendance CSV writes thousands). */
export function toVietnamDayTime(instant: Date): string {
  const iso = fastVietnamIso(instant);
  return `${iso.slice(8, 10)}/${iso.slice(5, 7)}/${iso.slice(0, 4)} ${iso.slice(11, 19)}`;
}

/**
 * Vietnam's wall clock as the UTC fields of a Date: the instant shifted by the zone's offset
 * (looked up as fastVietnamIso does). A TZDate gives the same fields at several times the cost,
 * and a national meeting's 3,356 invitations each format the meeting's time.
 */
function wallClock(instant: Date): Date {
  const ms = instant.getTime();
  return new Date(ms + offsetMinutes(ms) * 60_000);
}

/** "08:00" */
export function formatVietnamTime(instant: Date): string {
  const d = wallClock(instant);
  return `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}`;
}

const englishWeekday = new Intl.DateTimeFormat('en-GB', { weekday: 'long', timeZone: VIETNAM_TIME_ZONE });
const weekdayName: Record<Lang, (instant: Date) => string> = {
  vi: (instant) => vietnameseWeekdays[wallClock(instant).getUTCDay()]!,
  en: (instant) => englishWeekday.format(instant),
};

/** "thứ Năm 27/11/2026" or "Thursday 27/11/2026". */
export function formatVietnamDay(instant: Date, lang: Lang = 'vi'): string {
  const d = wallClock(instant);
  return `${weekdayName[lang](instant)} ${pad2(d.getUTCDate())}/${pad2(d.getUTCMonth() + 1)}/${d.getUTCFullYear()}`;
}

/** "08:00, thứ Sáu 27/11/2026" or "08:00, Friday 27/11/2026". */
export function formatVietnamDateTime(instant: Date, lang: Lang = 'vi'): string {
  return `${formatVietnamTime(instant)}, ${formatVietnamDay(instant, lang)}`;
}

/**
 * "08:00–11:30, thứ Năm 27/11/2026 (giờ Việt Nam)"; a meeting that runs past midnight names both
 * days: "20:00, thứ Năm 27/11/2026 – 01:00, thứ Sáu 28/11/2026 (giờ Việt Nam)".
 */
export function formatVietnamTimeRange(startsAt: Date, endsAt: Date, lang: Lang = 'vi'): string {
  const t = translator(timeTexts, lang);
  const startDay = formatVietnamDay(startsAt, lang);
  const endDay = formatVietnamDay(endsAt, lang);
  const time =
    startDay === endDay
      ? `${formatVietnamTime(startsAt)}–${formatVietnamTime(endsAt)}, ${startDay}`
      : `${formatVietnamDateTime(startsAt, lang)} – ${formatVietnamDateTime(endsAt, lang)}`;
  return t('inVietnamTime', { time });
}

/** The value an <input type="datetime-local"> shows for an instant, in Vietnam time. */
export function toVietnamLocalInput(instant: Date): string {
  return format(inVietnam(instant), "yyyy-MM-dd'T'HH:mm");
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
