import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { formatVietnamTimeRange, vietnamClock } from './vietnam-time.ts';

describe('formatVietnamTimeRange', () => {
  const original = process.env['TZ'];
  afterEach(() => {
    process.env['TZ'] = original;
  });

  it('names the Vietnamese weekday and the Vietnam wall clock', () => {
    expect(formatVietnamTimeRange(new Date('2026-11-26T01:00:00Z'), new Date('2026-11-26T04:30:00Z'))).toBe(
      '08:00–11:30, thứ Năm 26/11/2026 (giờ Việt Nam)',
    );
    expect(formatVietnamTimeRange(new Date('2026-11-28T17:30:00Z'), new Date('2026-11-28T19:00:00Z'))).toBe(
      '00:30–02:00, Chủ nhật 29/11/2026 (giờ Việt Nam)',
    );
  });

  it('names both days when the meeting runs past midnight', () => {
    expect(formatVietnamTimeRange(new Date('2026-11-26T13:00:00Z'), new Date('2026-11-26T18:00:00Z'))).toBe(
      '20:00, thứ Năm 26/11/2026 – 01:00, thứ Sáu 27/11/2026 (giờ Việt Nam)',
    );
  });

  it('reads UTC+7 whatever the server zone is', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true }),
        fc.constantFrom('UTC', 'America/New_York', 'Europe/Berlin', 'Australia/Lord_Howe'),
        (instant, zone) => {
          process.env['TZ'] = zone;
          const plus7 = new Date(instant.getTime() + 7 * 3600_000);
          const expected = `${String(plus7.getUTCHours()).padStart(2, '0')}:${String(plus7.getUTCMinutes()).padStart(2, '0')}`;
          expect(vietnamClock(instant)).toBe(expected);
        },
      ),
    );
  });
});
