import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { instant } from './meetings/schemas.ts';
import { parseVietnamLocal, toVietnamIso, toVietnamLocalInput } from './time.ts';

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
