import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TZDate } from '@date-fns/tz';
import { format } from 'date-fns';
import { toVietnamDayTime, toVietnamIso, toVietnamIsoByDateFns, VIETNAM_TIME_ZONE } from './time.ts';

describe('toVietnamIso', () => {
  it('formats exactly like date-fns in Asia/Ho_Chi_Minh, including the offsets Vietnam used in 1942–1975 (local mean time before 1911 has second offsets and is out of scope)', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date('1920-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true }), (date) => {
        expect(toVietnamIso(date)).toBe(toVietnamIsoByDateFns(date));
        expect(toVietnamDayTime(date)).toBe(format(new TZDate(date, VIETNAM_TIME_ZONE), 'dd/MM/yyyy HH:mm:ss'));
      }),
      { numRuns: 3000 },
    );
    expect(toVietnamIso(new Date('2026-12-02T02:00:00.999Z'))).toBe('2026-12-02T09:00:00+07:00');
  });
});
