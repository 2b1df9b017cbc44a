/**
 * toVietnamIso (api/time.ts) for large reports. A national meeting's JSON holds ~15k instants and
 * formatting each through TZDate costs more than computing the ledger. The zone's offset is
 * looked up once per minute of time (offsets change on minute boundaries in every tz database
 * entry) and the string is assembled from the shifted UTC fields; the output is identical to
 * toVietnamIso, which a property test checks.
 */
import { tzOffset } from '@date-fns/tz';
import { VIETNAM_TIME_ZONE } from '../time.ts';

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

/** "2026-12-02T09:00:00+07:00", seconds precision like formatISO. */
export function fastVietnamIso(instant: Date): string {
  const ms = instant.getTime();
  const offset = offsetMinutes(ms);
  const local = new Date(ms + offset * 60_000).toISOString();
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  return `${local.slice(0, 19)}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}
