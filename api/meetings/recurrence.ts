/**
 * Recurrence rules of meeting series: what a secretariat may ask for, the occurrence starts it
 * gives, its wording in Vietnamese, and Vietnam's public holidays among them.
 *
 * Rules (all in Vietnam's wall clock, from the first meeting's start):
 *   weekly             every week on the first meeting's weekday
 *   biweekly           every two weeks on that weekday
 *   monthly-weekday    every month on the same nth weekday ("thứ Hai đầu tiên"); a start in a
 *                      month's fifth week means the last such weekday
 *   monthly-date       every month on the same day of the month (a month without it is skipped,
 *                      as RFC 5545 says)
 * ending on a date (inclusive, Vietnam's calendar) or after a count, never more than
 * MAX_OCCURRENCES. The first meeting's start must itself match the rule (it always does: the rule
 * is derived from it), so every calendar counts the same first occurrence.
 *
 * The expansion is rrule's (the same RFC 5545 semantics calendars apply to the RRULE we send),
 * run on Vietnam's wall clock written as UTC: the zone has had a fixed +07:00 since 1975, and the
 * offset is still looked up per occurrence rather than assumed.
 */
import { createRequire } from 'node:module';
import { tzOffset } from '@date-fns/tz';
import Holidays from 'date-holidays';
import { z } from 'zod';
import { vietnameseWeekdays } from '../i18n/glossary.ts';
import { inVietnam, VIETNAM_TIME_ZONE } from '../time.ts';

// rrule is CommonJS without named exports Node's ES module loader can see.
const { RRule } = createRequire(import.meta.url)('rrule') as typeof import('rrule');

export const MAX_OCCURRENCES = 100;
/** A series reaches at most this far: budgets and the administrative tree change yearly. */
export const MAX_SERIES_DAYS = 2 * 366;

const localDate = z.iso.date({ message: 'must be a date, e.g. 2027-03-31' });

export const recurrenceRule = z
  .object({
    frequency: z.enum(['weekly', 'biweekly', 'monthly-weekday', 'monthly-date']),
    /** The last day (inclusive, Vietnam's calendar) an occurrence may fall on. */
    until: localDate.optional(),
    count: z.number().int().min(2).max(MAX_OCCURRENCES).optional(),
  })
  .strict()
  .refine((r) => (r.until === undefined) !== (r.count === undefined), 'give either until or count');
export type RecurrenceRule = z.output<typeof recurrenceRule>;

const DAY_MS = 24 * 3600_000;
const ICAL_DAYS = ['SU', 'MO', 'TU', 'WE', 'TH', 'FR', 'SA'] as const;
type IcalDay = (typeof ICAL_DAYS)[number];

const offsetMs = (instant: Date) => tzOffset(VIETNAM_TIME_ZONE, instant) * 60_000;
/** The wall clock of an instant in Vietnam, written as a UTC date (rrule's "floating" time). */
const toWall = (instant: Date) => new Date(instant.getTime() + offsetMs(instant));
const fromWall = (wall: Date) => new Date(wall.getTime() - offsetMs(new Date(wall.getTime() - 7 * 3600_000)));

/** 1..4 for the first to fourth such weekday of the month, -1 for the last (a fifth is always the last). */
export function weekOfMonth(firstStart: Date): number {
  const n = Math.ceil(inVietnam(firstStart).getDate() / 7);
  return n === 5 ? -1 : n;
}

/** The RRULE parts as ical-generator takes them (UNTIL as the instant of the day's last second). */
export interface IcalRepeating {
  freq: 'WEEKLY' | 'MONTHLY';
  interval?: number;
  count?: number;
  until?: Date;
  byDay?: IcalDay[];
  bySetPos?: number[];
  byMonthDay?: number[];
}

/** The end of a local date as an instant: what UNTIL must not pass. */
export function endOfLocalDay(date: string): Date {
  const wall = new Date(`${date}T23:59:59Z`);
  return fromWall(wall);
}

export function icalRepeating(rule: RecurrenceRule, firstStart: Date, cutUntil?: Date | null): IcalRepeating {
  const local = inVietnam(firstStart);
  const day = ICAL_DAYS[local.getDay()]!;
  const out: IcalRepeating =
    rule.frequency === 'weekly'
      ? { freq: 'WEEKLY', byDay: [day] }
      : rule.frequency === 'biweekly'
        ? { freq: 'WEEKLY', interval: 2, byDay: [day] }
        : rule.frequency === 'monthly-weekday'
          ? { freq: 'MONTHLY', byDay: [day], bySetPos: [weekOfMonth(firstStart)] }
          : { freq: 'MONTHLY', byMonthDay: [local.getDate()] };
  // A series cut by "this and following" ends at its last kept occurrence, count or not.
  if (cutUntil) out.until = cutUntil;
  else if (rule.count !== undefined) out.count = rule.count;
  else out.until = endOfLocalDay(rule.until!);
  return out;
}

/**
 * The occurrence starts of a rule, ascending, at most MAX_OCCURRENCES (a longer `until` is
 * refused by the caller through `tooMany`).
 */
export function occurrenceStarts(rule: RecurrenceRule, firstStart: Date, cutUntil?: Date | null): { starts: Date[]; tooMany: boolean } {
  const local = inVietnam(firstStart);
  const weekday = [RRule.SU, RRule.MO, RRule.TU, RRule.WE, RRule.TH, RRule.FR, RRule.SA][local.getDay()]!;
  const base = { dtstart: toWall(firstStart) };
  const shape =
    rule.frequency === 'weekly'
      ? { freq: RRule.WEEKLY, byweekday: [weekday] }
      : rule.frequency === 'biweekly'
        ? { freq: RRule.WEEKLY, interval: 2, byweekday: [weekday] }
        : rule.frequency === 'monthly-weekday'
          ? { freq: RRule.MONTHLY, byweekday: [weekday.nth(weekOfMonth(firstStart))] }
          : { freq: RRule.MONTHLY, bymonthday: [local.getDate()] };
  const until = cutUntil ?? (rule.until ? endOfLocalDay(rule.until) : null);
  const horizon = new Date(firstStart.getTime() + MAX_SERIES_DAYS * DAY_MS);
  const rrule = new RRule({
    ...base,
    ...shape,
    ...(until ? { until: toWall(until < horizon ? until : horizon) } : {}),
    ...(rule.count !== undefined && !cutUntil ? { count: rule.count } : {}),
  });
  const walls = rrule.all((_, i) => i < MAX_OCCURRENCES + 1);
  return { starts: walls.slice(0, MAX_OCCURRENCES).map(fromWall), tooMany: walls.length > MAX_OCCURRENCES };
}

const ordinals: Record<number, string> = { 1: 'đầu tiên', 2: 'thứ hai', 3: 'thứ ba', 4: 'thứ tư', [-1]: 'cuối cùng' };

/** "thứ Hai hằng tuần, 10 lần": the rule as the form, the e-mail and the meeting page say it. */
export function describeRule(rule: RecurrenceRule, firstStart: Date): string {
  const local = inVietnam(firstStart);
  const weekday = vietnameseWeekdays[local.getDay()]!;
  const what =
    rule.frequency === 'weekly'
      ? `${weekday} hằng tuần`
      : rule.frequency === 'biweekly'
        ? `${weekday}, hai tuần một lần`
        : rule.frequency === 'monthly-weekday'
          ? `${weekday} ${ordinals[weekOfMonth(firstStart)]} của mỗi tháng`
          : `ngày ${local.getDate()} hằng tháng`;
  const end = rule.count !== undefined ? `${rule.count} lần` : `đến hết ngày ${rule.until!.split('-').reverse().join('/')}`;
  return `${what}, ${end}`;
}

export interface Holiday {
  /** "2027-02-06", Vietnam's calendar. */
  date: string;
  name: string;
}

const holidayCalendar = new Holidays('VN');
const holidaysByYear = new Map<number, Map<string, string>>();

/**
 * Vietnam's public holidays of a year (Labour Code 2019, art. 112): the fixed national days and
 * Tết Nguyên Đán from the lunar calendar (date-holidays computes it). date-holidays gives New
 * Year's Eve and the first day of Tết; the second and third days are off too and are added here.
 * The day the government adds to a holiday each year (by decision) is not known in advance.
 */
export function publicHolidays(year: number): Map<string, string> {
  let days = holidaysByYear.get(year);
  if (!days) {
    days = new Map();
    for (const h of holidayCalendar.getHolidays(year)) {
      if (h.type !== 'public') continue;
      const date = h.date.slice(0, 10);
      days.set(date, h.name);
      if (h.name === 'Tết Nguyên Đán') {
        for (const n of [2, 3]) {
          const next = new Date(Date.parse(`${date}T00:00:00Z`) + (n - 1) * DAY_MS).toISOString().slice(0, 10);
          days.set(next, `${h.name} (mùng ${n})`);
        }
      }
    }
    holidaysByYear.set(year, days);
  }
  return days;
}

/** The local date of an instant: "2027-01-01". */
export function vietnamDate(instant: Date): string {
  return toWall(instant).toISOString().slice(0, 10);
}

/** The public holiday an instant falls on in Vietnam, if any. */
export function holidayOn(instant: Date): Holiday | null {
  const date = vietnamDate(instant);
  const name = publicHolidays(Number(date.slice(0, 4))).get(date);
  return name ? { date, name } : null;
}
