import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { inviteCalendar, normalizeCalendarText, renderInviteCalendar, renderSiteFeed, serialize, type InviteCalendarInput } from './ical.ts';
import type { IcalRepeating } from '../meetings/recurrence.ts';
import { expectWellFormedContentLines, rawPropertyLines, readWithBothParsers } from './ics-readers.test-support.ts';

const TITLE = 'Hội nghị trực tuyến triển khai Nghị quyết — xã Hướng Hóa, Đắk Lắk, Quảng Trị';
const HOST_HALL = 'Hội trường UBND tỉnh Quảng Trị';

function invite(overrides: Partial<InviteCalendarInput> = {}, meeting: Partial<InviteCalendarInput['meeting']> = {}): InviteCalendarInput {
  return {
    method: 'REQUEST',
    meeting: {
      uid: '7f1c2a9e-1b7d-4c55-9a43-0d6c3e2f8b11@hoinghi.local',
      sequence: 0,
      title: TITLE,
      agenda: 'Quán triệt Nghị quyết số 18-NQ/TW; phân công nhiệm vụ cho các xã, phường.',
      // 08:00–11:30 in Vietnam (UTC+7).
      startsAt: new Date('2026-11-27T01:00:00Z'),
      endsAt: new Date('2026-11-27T04:30:00Z'),
      status: 'scheduled',
      hostSiteName: HOST_HALL,
      updatedAt: new Date('2026-11-20T02:03:04Z'),
      ...meeting,
    },
    organizer: { name: 'Văn phòng UBND tỉnh', email: 'vanphong@hoinghi.local' },
    attendee: { siteName: 'UBND xã Hướng Hóa', email: 'ubnd.huonghoa@quangtri.gov.vn' },
    links: {
      join: 'https://hoinghi.local/join/7f1c2a9e?site=huong-hoa&token=abc',
      readiness: 'https://hoinghi.local/readiness/huong-hoa?token=abc',
    },
    ...overrides,
  };
}

describe('renderInviteCalendar', () => {
  it('renders a REQUEST both parsers read as the site’s invitation at 08:00 Vietnam time', () => {
    const ics = renderInviteCalendar(invite());
    expectWellFormedContentLines(ics);

    const calendar = readWithBothParsers(ics);
    expect(calendar.method).toBe('REQUEST');
    expect(calendar.events).toHaveLength(1);
    const [event] = calendar.events;
    expect(event).toMatchObject({
      uid: '7f1c2a9e-1b7d-4c55-9a43-0d6c3e2f8b11@hoinghi.local',
      sequence: 0,
      summary: TITLE,
      location: HOST_HALL,
      url: 'https://hoinghi.local/join/7f1c2a9e?site=huong-hoa&token=abc',
      status: 'CONFIRMED',
      startWallClock: '2026-11-27T08:00:00',
      endWallClock: '2026-11-27T11:30:00',
      timeZone: 'Asia/Ho_Chi_Minh',
      organizerEmail: 'vanphong@hoinghi.local',
    });
    expect(event?.start.toISOString()).toBe('2026-11-27T01:00:00.000Z');
    expect(event?.end.toISOString()).toBe('2026-11-27T04:30:00.000Z');
    expect(event?.attendees).toEqual([
      {
        email: 'ubnd.huonghoa@quangtri.gov.vn',
        cn: 'UBND xã Hướng Hóa',
        role: 'REQ-PARTICIPANT',
        partstat: 'NEEDS-ACTION',
        rsvp: true,
      },
    ]);
    expect(event?.description).toContain('Quán triệt Nghị quyết số 18-NQ/TW; phân công nhiệm vụ cho các xã, phường.');
    expect(event?.description).toContain('Tham gia cuộc họp: https://hoinghi.local/join/7f1c2a9e?site=huong-hoa&token=abc');
    expect(event?.description).toContain('Kiểm tra thiết bị trước cuộc họp: https://hoinghi.local/readiness/huong-hoa?token=abc');
    expect(event?.description).toContain('08:00–11:30, thứ Sáu 27/11/2026 (giờ Việt Nam)');
    expect(event?.alarmTriggers).toEqual(['-P1D', '-PT30M']);

    // What the parsers normalise away: the exact forms clients depend on.
    expect(rawPropertyLines(ics, 'DTSTAMP')).toEqual(['DTSTAMP:20261120T020304Z']);
    expect(rawPropertyLines(ics, 'DTSTART')).toContain('DTSTART;TZID=Asia/Ho_Chi_Minh:20261127T080000');
    expect(rawPropertyLines(ics, 'DTEND')).toEqual(['DTEND;TZID=Asia/Ho_Chi_Minh:20261127T113000']);
    expect(ics).toContain('BEGIN:VTIMEZONE\r\nTZID:Asia/Ho_Chi_Minh\r\n');
    expect(rawPropertyLines(ics, 'ATTENDEE')).toHaveLength(1);
  });

  it('keeps the UID across request, update and cancel, with the SEQUENCE it is given', () => {
    const request = readWithBothParsers(renderInviteCalendar(invite()));
    const update = readWithBothParsers(
      renderInviteCalendar(invite({}, { sequence: 1, startsAt: new Date('2026-11-27T07:00:00Z'), endsAt: new Date('2026-11-27T09:00:00Z') })),
    );
    const cancelIcs = renderInviteCalendar(invite({ method: 'CANCEL' }, { sequence: 2, status: 'cancelled' }));
    expectWellFormedContentLines(cancelIcs);
    const cancel = readWithBothParsers(cancelIcs);

    const uids = [request, update, cancel].map((c) => c.events[0]?.uid);
    expect(new Set(uids).size).toBe(1);
    expect([request, update, cancel].map((c) => c.events[0]?.sequence)).toEqual([0, 1, 2]);
    expect(update.events[0]?.startWallClock).toBe('2026-11-27T14:00:00');

    expect(cancel.method).toBe('CANCEL');
    expect(cancel.events[0]?.status).toBe('CANCELLED');
    expect(cancel.events[0]?.attendees).toHaveLength(1);
    expect(cancel.events[0]?.attendees[0]?.rsvp).toBe(false);
    expect(cancel.events[0]?.alarmTriggers).toEqual([]);
    expect(cancel.events[0]?.description).toContain('CUỘC HỌP ĐÃ BỊ HỦY.');
  });

  it('withdraws a site removed from a meeting that still goes ahead with a CANCEL', () => {
    const ics = renderInviteCalendar(invite({ method: 'CANCEL' }, { sequence: 3, status: 'scheduled' }));
    const calendar = readWithBothParsers(ics);
    expect(calendar.method).toBe('CANCEL');
    expect(calendar.events[0]).toMatchObject({ sequence: 3, status: 'CANCELLED' });
  });

  it('refuses to invite to a cancelled meeting and refuses non-web links', () => {
    expect(() => renderInviteCalendar(invite({}, { status: 'cancelled' }))).toThrow(/method CANCEL/);
    expect(() => renderInviteCalendar(invite({ links: { join: 'javascript:alert(1)', readiness: 'https://x.vn/r' } }))).toThrow();
    expect(() => renderInviteCalendar(invite({}, { endsAt: new Date('2026-11-27T01:00:00Z') }))).toThrow(/after/);
  });

  describe('whatever time zone the server runs in', () => {
    const original = process.env['TZ'];
    afterEach(() => {
      process.env['TZ'] = original;
    });

    it('renders the same bytes', () => {
      const byZone = ['UTC', 'America/Los_Angeles', 'Asia/Ho_Chi_Minh', 'Pacific/Kiritimati'].map((zone) => {
        process.env['TZ'] = zone;
        return renderInviteCalendar(invite());
      });
      expect(new Set(byZone).size).toBe(1);
    });
  });

  it('does not let hostile text add properties or break parameters', () => {
    const ics = renderInviteCalendar(
      invite(
        { attendee: { siteName: 'Xã "A"; B, C\\D\r\nX-EVIL:1', email: 'a@b.vn' } },
        { title: 'Họp\r\nATTENDEE:mailto:evil@example.com\r\nEND:VEVENT', agenda: 'a\nMETHOD:PUBLISH' },
      ),
    );
    expectWellFormedContentLines(ics);
    expect(rawPropertyLines(ics, 'ATTENDEE')).toHaveLength(1);
    expect(rawPropertyLines(ics, 'METHOD')).toEqual(['METHOD:REQUEST']);
    expect(rawPropertyLines(ics, 'X-EVIL')).toEqual([]);
    const [event] = readWithBothParsers(ics).events;
    expect(event?.summary).toBe('Họp\nATTENDEE:mailto:evil@example.com\nEND:VEVENT');
    expect(event?.attendees.map((a) => a.cn)).toEqual(["Xã 'A', B, C/D X-EVIL:1"]);
  });

  it('normalises decomposed Vietnamese (Unicode tổ hợp) to precomposed', () => {
    const decomposed = 'Hội nghị xã Hướng Hóa'.normalize('NFD');
    const [event] = readWithBothParsers(renderInviteCalendar(invite({}, { title: decomposed }))).events;
    expect(event?.summary).toBe('Hội nghị xã Hướng Hóa'.normalize('NFC'));
  });

  // Folding is where Vietnamese breaks first: a 75-octet limit lands inside multi-byte letters,
  // and a fold before a combining mark or inside an emoji must still unfold to the same text.
  it('round-trips arbitrary Unicode summaries and agendas through both parsers within 75 octets', () => {
    const vietnameseLetter = fc.constantFrom(...'aăâeêioôơuưyđAĂÂEÊIOÔƠUƯYĐ hnt'.split(''));
    const combiningMark = fc.constantFrom('\u0300', '\u0301', '\u0303', '\u0309', '\u0323', '\u0302', '\u0306', '\u031B');
    const emoji = fc.constantFrom('😀', '👨‍👩‍👧', '🇻🇳', '👍🏽', '🏛️');
    const special = fc.constantFrom('\\', ';', ',', ':', '"', '\n', '\r\n', '\r', '\t', '\\n', '  ', '\u2028', '\u2029', '\u0085');
    const piece = fc.oneof(
      vietnameseLetter,
      combiningMark,
      emoji,
      special,
      fc.string({ unit: 'binary', maxLength: 4 }),
      fc.string({ unit: 'grapheme', maxLength: 4 }),
    );
    const text = fc.array(piece, { minLength: 1, maxLength: 120 }).map((pieces) => pieces.join(''));
    const title = text.filter((t) => normalizeCalendarText(t.trim()).length > 0);

    fc.assert(
      fc.property(title, text, (rawTitle, rawAgenda) => {
        const ics = renderInviteCalendar(invite({}, { title: rawTitle, agenda: rawAgenda }));
        expectWellFormedContentLines(ics);
        const [event] = readWithBothParsers(ics).events;
        expect(event?.summary).toBe(normalizeCalendarText(rawTitle.trim()));
        expect(event?.description).toContain(normalizeCalendarText(rawAgenda.trim()));
      }),
      { numRuns: 300 },
    );
  });

  // serialize folds an invitation itself (the library's fold costs most of a render): the bytes
  // must be the library's, for every text, series, cancellation and attendee name.
  it('serialises an invitation byte for byte as ical-generator does', () => {
    const piece = fc.oneof(
      fc.constantFrom(...'aăâeêioôơuưyđ hnt'.split(''), '\u0301', '😀', '👨‍👩‍👧', '\n', ';', '"'),
      fc.string({ unit: 'binary', maxLength: 6 }),
      fc.string({ unit: 'grapheme', maxLength: 6 }),
    );
    const text = fc.array(piece, { minLength: 1, maxLength: 200 }).map((pieces) => pieces.join(''));
    const title = text.filter((t) => normalizeCalendarText(t.trim()).length > 0);
    const weekly: IcalRepeating = { freq: 'WEEKLY', byDay: ['MO', 'TH'], count: 6 };
    fc.assert(
      fc.property(title, text, title, fc.boolean(), fc.boolean(), (rawTitle, rawAgenda, siteName, cancelled, series) => {
        const calendar = inviteCalendar(
          invite(
            { method: cancelled ? 'CANCEL' : 'REQUEST', attendee: { siteName, email: 'ubnd.huonghoa@quangtri.gov.vn' } },
            { title: rawTitle, agenda: rawAgenda, status: cancelled ? 'cancelled' : 'scheduled', ...(series ? { repeating: weekly } : {}) },
          ),
        );
        expect(serialize(calendar)).toBe(calendar.toString() + '\r\n');
      }),
      { numRuns: 300 },
    );
  });
});

describe('renderSiteFeed', () => {
  it('publishes a site’s meetings in start order, cancelled ones marked, without RSVP semantics', () => {
    const later = invite({}, { uid: 'later@hoinghi.local', startsAt: new Date('2026-12-01T02:00:00Z'), endsAt: new Date('2026-12-01T03:00:00Z') });
    const cancelled = invite({}, { uid: 'cancelled@hoinghi.local', status: 'cancelled', sequence: 4 });
    const ics = renderSiteFeed({
      site: { name: 'UBND xã Hướng Hóa' },
      organizer: { name: 'Văn phòng UBND tỉnh', email: 'vanphong@hoinghi.local' },
      meetings: [later, cancelled].map(({ meeting, links }) => ({ meeting, links })),
    });
    expectWellFormedContentLines(ics);
    expect(rawPropertyLines(ics, 'X-WR-TIMEZONE')).toEqual(['X-WR-TIMEZONE:Asia/Ho_Chi_Minh']);
    expect(rawPropertyLines(ics, 'X-WR-CALNAME')).toEqual(['X-WR-CALNAME:Lịch họp trực tuyến — UBND xã Hướng Hóa']);
    expect(rawPropertyLines(ics, 'ATTENDEE')).toEqual([]);
    expect(rawPropertyLines(ics, 'DTSTAMP').every((line) => line.endsWith('Z'))).toBe(true);

    const calendar = readWithBothParsers(ics);
    expect(calendar.method).toBe('PUBLISH');
    expect(calendar.events.map((e) => [e.uid, e.status, e.summary])).toEqual([
      ['cancelled@hoinghi.local', 'CANCELLED', `[ĐÃ HỦY] ${TITLE}`],
      ['later@hoinghi.local', 'CONFIRMED', TITLE],
    ]);
    expect(calendar.events[1]?.startWallClock).toBe('2026-12-01T09:00:00');
  });

  it('renders an empty feed as a valid calendar', () => {
    const ics = renderSiteFeed({
      site: { name: 'UBND xã Hướng Hóa' },
      organizer: { name: 'Văn phòng UBND tỉnh', email: 'vanphong@hoinghi.local' },
      meetings: [],
    });
    expectWellFormedContentLines(ics);
    expect(readWithBothParsers(ics)).toEqual({ method: 'PUBLISH', events: [] });
  });
});
