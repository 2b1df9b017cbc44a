import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { instant } from './meetings/schemas.ts';
import { TZDate } from '@date-fns/tz';
import { format } from 'date-fns';
import {
  fastVietnamIso,
  toVietnamDayTime,
  VIETNAM_TIME_ZONE,
  formatVietnamDateTime,
  formatVietnamDay,
  formatVietnamTime,
  formatVietnamTimeRange,
  parseVietnamLocal,
  toVietnamIso,
  toVietnamLocalInput,
} from './time.ts';

// Instants since 1976 (Vietnam has kept UTC+7 since the 1975 reunification) to 2100, whole seconds.
const modernInstant = fc.integer({ min: Date.UTC(1976, 0, 1) / 1000, max: Date.UTC(2100, 0, 1) / 1000 }).map((s) => new Date(s * 1000));

describe('Vietnam time', () => {
  it('writes every instant as ISO 8601 with +07:00 that reads back as the same instant', () => {
    fc.assert(
      fc.property(modernInstant, (date) => {
        const iso = toVietnamIso(date);
        expect(iso).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+07:00$/);
        expect(new Date(iso).getTime()).toBe(date.getTime());
        expect(instant.parse(iso).getTime()).toBe(date.getTime());
      }),
      { seed: 20261126, numRuns: 2000 },
    );
  });

  it('shows the wall clock seven hours ahead of UTC, and reads what a form shows back to the same minute', () => {
    fc.assert(
      fc.property(modernInstant, (date) => {
        const local = toVietnamLocalInput(date);
        const shifted = new Date(date.getTime() + 7 * 3600_000);
        expect(local).toBe(shifted.toISOString().slice(0, 16));
        expect(parseVietnamLocal(local)!.getTime()).toBe(Math.floor(date.getTime() / 60_000) * 60_000);
      }),
      { seed: 7, numRuns: 2000 },
    );
  });

  it('accepts any offset in the API and means the same instant', () => {
    fc.assert(
      fc.property(modernInstant, fc.integer({ min: -12 * 60, max: 14 * 60 }), (date, offsetMinutes) => {
        const sign = offsetMinutes < 0 ? '-' : '+';
        const abs = Math.abs(offsetMinutes);
        const local = new Date(date.getTime() + offsetMinutes * 60_000).toISOString().slice(0, 19);
        const text = `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
        expect(instant.parse(text).getTime()).toBe(date.getTime());
      }),
      { seed: 11, numRuns: 1000 },
    );
  });

  it('refuses impossible local dates instead of rolling them over', () => {
    expect(parseVietnamLocal('2026-02-30T08:00')).toBeNull();
    expect(parseVietnamLocal('2026-11-27T24:00')).toBeNull();
    expect(parseVietnamLocal('27/11/2026 08:00')).toBeNull();
    expect(parseVietnamLocal('2026-11-27T08:00')!.toISOString()).toBe('2026-11-27T01:00:00.000Z');
  });
});

describe('fastVietnamIso', () => {
  it('formats exactly like toVietnamIso, including the offsets Vietnam used in 1942–1975 (local mean time before 1911 has second offsets and is out of scope)', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date('1920-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true }), (date) => {
        expect(fastVietnamIso(date)).toBe(toVietnamIso(date));
        expect(toVietnamDayTime(date)).toBe(format(new TZDate(date, VIETNAM_TIME_ZONE), 'dd/MM/yyyy HH:mm:ss'));
      }),
      { numRuns: 3000 },
    );
    expect(fastVietnamIso(new Date('2026-12-02T02:00:00.999Z'))).toBe('2026-12-02T09:00:00+07:00');
  });
});

describe('formatVietnamTime and formatVietnamDay', () => {
  it('read the same wall clock as a TZDate, for any instant since 1920', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date('1920-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true }), (date) => {
        const wall = new TZDate(date, VIETNAM_TIME_ZONE);
        expect(formatVietnamTime(date)).toBe(format(wall, 'HH:mm'));
        expect(formatVietnamDay(date, 'en')).toBe(
          `${new Intl.DateTimeFormat('en-GB', { weekday: 'long', timeZone: VIETNAM_TIME_ZONE }).format(date)} ${format(wall, 'dd/MM/yyyy')}`,
        );
        expect(formatVietnamDay(date).endsWith(` ${format(wall, 'dd/MM/yyyy')}`)).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('formatVietnamTimeRange', () => {
  const original = process.env['TZ'];
  afterEach(() => {
    process.env['TZ'] = original;
  });

  it('names the Vietnamese weekday and the Vietnam wall clock', () => {
    expect(formatVietnamTimeRange(new Date('2026-11-26T01:00:00Z'), new Date('2026-11-26T04:30:00Z'))).toBe('08:00–11:30, thứ Năm 26/11/2026 (giờ Việt Nam)');
    expect(formatVietnamTimeRange(new Date('2026-11-28T17:30:00Z'), new Date('2026-11-28T19:00:00Z'))).toBe('00:30–02:00, Chủ nhật 29/11/2026 (giờ Việt Nam)');
  });

  it('names the English weekday for English pages', () => {
    expect(formatVietnamDateTime(new Date('2026-11-27T01:00:00Z'), 'en')).toBe('08:00, Friday 27/11/2026');
    expect(formatVietnamTimeRange(new Date('2026-11-26T01:00:00Z'), new Date('2026-11-26T04:30:00Z'), 'en')).toBe(
      '08:00–11:30, Thursday 26/11/2026 (Vietnam time)',
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
          expect(formatVietnamTime(instant)).toBe(expected);
        },
      ),
    );
  });
});
