/**
 * How invitations show a meeting's time to people: always Vietnam's wall clock, in the words a
 * commune office reads ("08:00–11:30, thứ Năm 27/11/2026 (giờ Việt Nam)"), whatever time zone the
 * server runs in. Shared by the calendar DESCRIPTION and the e-mail bodies so both say the same.
 */
import { TZDate } from '@date-fns/tz';

export const VIETNAM_TIME_ZONE = 'Asia/Ho_Chi_Minh';

// Index = Date#getDay(). Sunday is "Chủ nhật"; the others are ordinal days counted from it.
const WEEKDAY_NAMES = ['Chủ nhật', 'thứ Hai', 'thứ Ba', 'thứ Tư', 'thứ Năm', 'thứ Sáu', 'thứ Bảy'] as const;

/** The instant as a date whose getters (getHours, getDate, …) read Vietnam's wall clock. */
export function inVietnam(instant: Date): TZDate {
  return new TZDate(instant.getTime(), VIETNAM_TIME_ZONE);
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** "08:00" */
export function vietnamClock(instant: Date): string {
  const d = inVietnam(instant);
  return `${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
}

/** "thứ Năm 27/11/2026" */
export function vietnamDay(instant: Date): string {
  const d = inVietnam(instant);
  const weekday = WEEKDAY_NAMES[d.getDay()] ?? '';
  return `${weekday} ${pad2(d.getDate())}/${pad2(d.getMonth() + 1)}/${d.getFullYear()}`;
}

/**
 * "08:00–11:30, thứ Năm 27/11/2026 (giờ Việt Nam)"; a meeting that runs past midnight names both
 * days: "20:00, thứ Năm 27/11/2026 – 01:00, thứ Sáu 28/11/2026 (giờ Việt Nam)".
 */
export function formatVietnamTimeRange(startsAt: Date, endsAt: Date): string {
  const startDay = vietnamDay(startsAt);
  const endDay = vietnamDay(endsAt);
  if (startDay === endDay) {
    return `${vietnamClock(startsAt)}–${vietnamClock(endsAt)}, ${startDay} (giờ Việt Nam)`;
  }
  return `${vietnamClock(startsAt)}, ${startDay} – ${vietnamClock(endsAt)}, ${endDay} (giờ Việt Nam)`;
}
