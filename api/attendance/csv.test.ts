import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ledgerCsvHeaders, renderLedgerCsv, streamLedgerCsv } from './csv.ts';
import { attendanceStatuses, computeLedger, type InvitedSite } from './ledger.ts';
import { goodLine, hanoi, invited, meeting, siteEvents } from './ledger-fixtures.ts';
import { statusLabel } from './texts.ts';

const s1 = siteEvents(1);
const s2 = siteEvents(2);
const s5 = siteEvents(5);

const invitedSites: InvitedSite[] = [
  invited(9, { role: 'host', siteName: 'Hội trường UBND tỉnh', unitName: 'Văn phòng UBND tỉnh' }),
  invited(1, { siteName: 'Xã Tân Hòa, huyện "Phú Bình"', unitName: 'UBND xã Tân Hòa' }),
  invited(2, { siteName: 'Xã Đồng Tâm', unitName: null }),
  invited(3, {
    siteName: 'Xã Bản Phố',
    rsvp: { answer: 'declined', reason: 'Trùng lịch tiếp công dân,\nđã báo cáo', answeredAt: hanoi('07:00') },
  }),
  invited(4, { siteName: 'Xã Nậm Mòn' }),
  invited(5, { siteName: '=HYPERLINK("http://x","Bấm vào")' }),
];

const events = [
  ...[siteEvents(9).join('h', '07:30'), siteEvents(9).leave('h', '10:00', 'meeting-ended')],
  s1.join('a', '07:45'),
  s1.quality('a', '08:10', { ...goodLine, lossPercent: 1, rttMs: 80 }),
  s1.quality('a', '08:11', { ...goodLine, lossPercent: 2, rttMs: 120 }),
  s1.leave('a', '08:30', 'network'),
  s1.join('b', '08:33:30'),
  s1.leave('b', '10:00', 'meeting-ended'),
  s2.join('c', '08:20'),
  s2.leave('c', '09:00', 'left'),
  s5.join('d', '08:00'),
  s5.leave('d', '10:00', 'meeting-ended'),
];

function parseCsv(text: string, delimiter = ','): Record<string, string>[] {
  return parse(text, { bom: true, columns: true, delimiter, record_delimiter: '\r\n' });
}

describe('ledger CSV', () => {
  const ledger = computeLedger({ meeting, invitedSites, events, now: hanoi('12:00') });
  const text = renderLedgerCsv(ledger);

  it('starts with a UTF-8 BOM and ends records with CRLF', () => {
    expect([...Buffer.from(text, 'utf8').subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(text.split('\r\n')[0]).toBe(`\uFEFF${ledgerCsvHeaders.join(',')}`);
  });

  it('reads back with Vietnamese headers and exact values', () => {
    const rows = parseCsv(text);
    expect(Object.keys(rows[0]!)).toEqual([...ledgerCsvHeaders]);
    expect(rows).toEqual([
      {
        STT: '1',
        'Điểm cầu': 'Hội trường UBND tỉnh',
        'Đơn vị': 'Văn phòng UBND tỉnh',
        'Vai trò': 'Điểm cầu chủ trì',
        'Trạng thái': 'Có mặt đúng giờ',
        'Đến muộn / về sớm': '',
        'Giờ vào đầu tiên': '02/03/2026 07:30:00',
        'Giờ rời cuối': '02/03/2026 10:00:00',
        'Số phút kết nối': '120.0',
        'Số lần rớt mạng': '0',
        'Gián đoạn dài nhất (phút)': '0.0',
        'Tỷ lệ mất gói trung vị (%)': '',
        'RTT p95 (ms)': '',
        'Lý do vắng': '',
      },
      {
        STT: '2',
        'Điểm cầu': 'Xã Tân Hòa, huyện "Phú Bình"',
        'Đơn vị': 'UBND xã Tân Hòa',
        'Vai trò': 'Điểm cầu thành phần',
        'Trạng thái': 'Có mặt đúng giờ',
        'Đến muộn / về sớm': '',
        'Giờ vào đầu tiên': '02/03/2026 07:45:00',
        'Giờ rời cuối': '02/03/2026 10:00:00',
        'Số phút kết nối': '116.5',
        'Số lần rớt mạng': '1',
        'Gián đoạn dài nhất (phút)': '3.5',
        'Tỷ lệ mất gói trung vị (%)': '1.50',
        'RTT p95 (ms)': '118',
        'Lý do vắng': '',
      },
      {
        STT: '3',
        'Điểm cầu': 'Xã Đồng Tâm',
        'Đơn vị': '',
        'Vai trò': 'Điểm cầu thành phần',
        'Trạng thái': 'Đến muộn',
        'Đến muộn / về sớm': 'Đến muộn, Về sớm',
        'Giờ vào đầu tiên': '02/03/2026 08:20:00',
        'Giờ rời cuối': '02/03/2026 09:00:00',
        'Số phút kết nối': '40.0',
        'Số lần rớt mạng': '0',
        'Gián đoạn dài nhất (phút)': '0.0',
        'Tỷ lệ mất gói trung vị (%)': '',
        'RTT p95 (ms)': '',
        'Lý do vắng': '',
      },
      {
        STT: '4',
        'Điểm cầu': 'Xã Bản Phố',
        'Đơn vị': 'UBND xã 3',
        'Vai trò': 'Điểm cầu thành phần',
        'Trạng thái': 'Vắng có lý do',
        'Đến muộn / về sớm': '',
        'Giờ vào đầu tiên': '',
        'Giờ rời cuối': '',
        'Số phút kết nối': '',
        'Số lần rớt mạng': '',
        'Gián đoạn dài nhất (phút)': '',
        'Tỷ lệ mất gói trung vị (%)': '',
        'RTT p95 (ms)': '',
        'Lý do vắng': 'Trùng lịch tiếp công dân,\nđã báo cáo',
      },
      expect.objectContaining({ STT: '5', 'Trạng thái': 'Vắng không lý do', 'Lý do vắng': '' }),
      // A name typed as a formula is kept as text, not run by Excel.
      expect.objectContaining({ STT: '6', 'Điểm cầu': `'=HYPERLINK("http://x","Bấm vào")` }),
    ]);
  });

  it('uses every status label', () => {
    expect(attendanceStatuses.map((status) => statusLabel(status, 'vi'))).toEqual([
      'Có mặt đúng giờ',
      'Đến muộn',
      'Về sớm',
      'Vắng có lý do',
      'Vắng không lý do',
    ]);
  });

  it('marks a site still connected on a live export', () => {
    const live = computeLedger({ meeting, invitedSites: [invited(1)], events: [s1.join('a', '08:00')], now: hanoi('08:30:15') });
    expect(parseCsv(renderLedgerCsv(live))[0]).toMatchObject({
      'Giờ rời cuối': 'Đang kết nối',
      'Số phút kết nối': '30.3',
    });
  });

  it('writes decimal commas between semicolons for Excel set to Vietnamese', () => {
    const semicolons = renderLedgerCsv(ledger, { delimiter: ';', decimalSeparator: ',' });
    const rows = parseCsv(semicolons, ';');
    expect(rows[1]).toMatchObject({ 'Số phút kết nối': '116,5', 'Tỷ lệ mất gói trung vị (%)': '1,50' });
    expect(rows[1]!['Điểm cầu']).toBe('Xã Tân Hòa, huyện "Phú Bình"');
  });

  it('round-trips any site name, unit and reason, escaping only formula starts', () => {
    const text = fc.string({ unit: 'grapheme', maxLength: 30 });
    fc.assert(
      fc.property(text, fc.option(text, { nil: null }), text, (siteName, unitName, reason) => {
        const site = invited(1, { siteName, unitName, rsvp: { answer: 'declined', reason, answeredAt: hanoi('07:00') } });
        const [row] = parseCsv(renderLedgerCsv(computeLedger({ meeting, invitedSites: [site], events: [], now: hanoi('12:00') })));
        const asWritten = (value: string) => (/^[=+\-@\t\r]/.test(value) ? `'${value}` : value);
        expect(row!['Điểm cầu']).toBe(asWritten(siteName));
        expect(row!['Đơn vị']).toBe(asWritten(unitName ?? ''));
        expect(row!['Lý do vắng']).toBe(asWritten(reason.trim()));
      }),
      { seed: 20260302, numRuns: 300 },
    );
  });

  it('streams the same bytes as the whole file, in chunks, for 1 200 sites', async () => {
    const many = Array.from({ length: 1200 }, (_, n) => invited(100 + n, { siteName: n % 7 === 0 ? `=Xã ${n}` : `Xã ${n}` }));
    const ledger = computeLedger({ meeting, invitedSites: [...invitedSites, ...many], events, now: hanoi('12:00') });
    for (const options of [{}, { delimiter: ';', decimalSeparator: ',' }] as const) {
      const chunks: Uint8Array[] = [];
      const reader = streamLedgerCsv(ledger, options).getReader();
      for (let read = await reader.read(); !read.done; read = await reader.read()) chunks.push(read.value);
      expect(chunks.length).toBeGreaterThan(2);
      expect(Buffer.concat(chunks).toString('utf8')).toBe(renderLedgerCsv(ledger, options));
    }
  });
});
