/**
 * Scheduling rules that do not need the database. Intervals are half-open [start, end): a
 * meeting ending at 10:00 does not overlap one starting at 10:00.
 */
export const MAX_MEETING_HOURS = 12;
/** A start this far in the past is still accepted: the form was filled in a minute ago. */
export const PAST_TOLERANCE_MS = 5 * 60_000;

export interface Interval {
  startsAt: Date;
  endsAt: Date;
}

export function overlaps(a: Interval, b: Interval): boolean {
  return a.startsAt.getTime() < b.endsAt.getTime() && b.startsAt.getTime() < a.endsAt.getTime();
}

export type ScheduleProblem = 'end_before_start' | 'too_long' | 'start_in_past' | 'end_in_past';

export const scheduleProblemText: Record<ScheduleProblem, string> = {
  end_before_start: 'endsAt must be after startsAt',
  too_long: `a meeting may last at most ${MAX_MEETING_HOURS} hours`,
  start_in_past: 'startsAt must not be in the past',
  end_in_past: 'endsAt must be in the future',
};

/** Problems with a meeting's times; empty when it is fine. */
export function scheduleProblems(next: Interval, now: Date, options: { startChanged: boolean }): ScheduleProblem[] {
  const problems: ScheduleProblem[] = [];
  const start = next.startsAt.getTime();
  const end = next.endsAt.getTime();
  if (end <= start) problems.push('end_before_start');
  if (end - start > MAX_MEETING_HOURS * 3600_000) problems.push('too_long');
  if (options.startChanged && start < now.getTime() - PAST_TOLERANCE_MS) problems.push('start_in_past');
  if (end <= now.getTime()) problems.push('end_in_past');
  return problems;
}
