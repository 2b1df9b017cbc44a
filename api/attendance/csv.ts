/**
 * The attendance ledger as a CSV file for leaders who open it in Excel: one row per invited
 * site, Vietnamese headers and labels, times in Hà Nội time.
 *
 * - UTF-8 with a BOM: without it Excel guesses a legacy code page and mangles "Điểm cầu".
 * - CRLF line ends (RFC 4180), which every Excel version reads.
 * - Fields that start like a formula (=, +, -, @) get a leading apostrophe: site and unit
 *   names are typed by people, and Excel would otherwise run them.
 * - Numbers use '.' by default, which round-trips through any CSV reader. Excel set to
 *   Vietnamese regional settings expects ';' between fields and ',' in decimals; pass
 *   `{ delimiter: ';', decimalSeparator: ',' }` for those users.
 */
import { tz } from '@date-fns/tz';
import { stringify } from 'csv-stringify/sync';
import { format } from 'date-fns';
import { translator } from '../i18n/translator.ts';
import { toVietnamDayTime } from '../time.ts';
import type { AttendanceLedger, SiteAttendance } from './ledger.ts';
import { attendanceLedgerTexts, flagLabel, siteRoleLabel, statusLabel } from './texts.ts';

// Leaders' spreadsheets are Vietnamese.
const t = translator(attendanceLedgerTexts, 'vi');

export const ledgerCsvHeaders = [
  t('csv.no'),
  t('csv.site'),
  t('csv.unit'),
  t('csv.role'),
  t('csv.status'),
  t('csv.flags'),
  t('csv.firstJoin'),
  t('csv.lastLeave'),
  t('csv.minutes'),
  t('csv.drops'),
  t('csv.longestGap'),
  t('csv.medianLoss'),
  t('csv.rttP95'),
  t('csv.absenceReason'),
] as const;

export const ledgerCsvTimeZone = 'Asia/Ho_Chi_Minh';
export const ledgerCsvTimeFormat = 'dd/MM/yyyy HH:mm:ss';

export interface LedgerCsvOptions {
  delimiter?: ',' | ';';
  decimalSeparator?: '.' | ',';
  timeZone?: string;
}

/** Returns the whole file as a string that starts with the BOM; send it as `text/csv; charset=utf-8`. */
export function renderLedgerCsv(ledger: AttendanceLedger, options: LedgerCsvOptions = {}): string {
  const row = csvRow(options);
  return stringify([[...ledgerCsvHeaders], ...ledger.sites.map(row)], { ...stringifyOptions(options), bom: true });
}

/** Rows per chunk of the streamed file: small enough to start sending at once, large enough to be cheap. */
const STREAM_ROWS = 500;

/**
 * The same bytes as renderLedgerCsv, produced a chunk of rows at a time as the reader pulls, so
 * a national meeting's file starts to flow at once and is never held whole as one string.
 */
export function streamLedgerCsv(ledger: AttendanceLedger, options: LedgerCsvOptions = {}): ReadableStream<Uint8Array> {
  const row = csvRow(options);
  const encoder = new TextEncoder();
  let next = -1;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (next === -1) {
        controller.enqueue(encoder.encode(stringify([[...ledgerCsvHeaders]], { ...stringifyOptions(options), bom: true })));
        next = 0;
        return;
      }
      if (next >= ledger.sites.length) {
        controller.close();
        return;
      }
      const rows = ledger.sites.slice(next, next + STREAM_ROWS).map((site, k) => row(site, next + k));
      next += STREAM_ROWS;
      controller.enqueue(encoder.encode(stringify(rows, stringifyOptions(options))));
    },
  });
}

function stringifyOptions(options: LedgerCsvOptions) {
  return { delimiter: options.delimiter ?? ',', record_delimiter: 'windows', escape_formulas: true } as const;
}

function csvRow(options: LedgerCsvOptions): (site: SiteAttendance, index: number) => string[] {
  const { decimalSeparator = '.', timeZone = ledgerCsvTimeZone } = options;
  const inZone = tz(timeZone);
  // Vietnam's own zone (the default) by fastVietnamIso's shortcut; any other through date-fns.
  const time =
    timeZone === ledgerCsvTimeZone
      ? (date: Date | null) => (date === null ? '' : toVietnamDayTime(date))
      : (date: Date | null) => (date === null ? '' : format(date, ledgerCsvTimeFormat, { in: inZone }));
  // No grouping: "1234,5" rather than "1.234,5", which Excel would read as text or as 1.2345.
  const numbers = (digits: number) =>
    new Intl.NumberFormat(decimalSeparator === ',' ? 'vi-VN' : 'en-US', {
      minimumFractionDigits: digits,
      maximumFractionDigits: digits,
      useGrouping: false,
    });
  const byDigits = [numbers(0), numbers(1), numbers(2)];
  const decimal = (value: number | null | undefined, digits: 0 | 1 | 2) => (value == null ? '' : byDigits[digits]!.format(value));

  return (site, index) => {
    const absent = site.status === 'absent' || site.status === 'absent-with-reason';
    return [
      String(index + 1),
      site.siteName,
      site.unitName ?? '',
      siteRoleLabel(site.role, 'vi'),
      statusLabel(site.status, 'vi'),
      site.flags.map((flag) => flagLabel(flag, 'vi')).join(', '),
      time(site.firstJoinAt),
      site.connectedNow ? t('stillConnected') : time(site.lastLeaveAt),
      absent ? '' : decimal(site.minutesConnected, 1),
      absent ? '' : String(site.drops),
      absent ? '' : decimal(site.longestGapMinutes, 1),
      decimal(site.quality?.lossPercent.median, 2),
      decimal(site.quality === null ? null : Math.round(site.quality.rttMs.p95), 0),
      site.absenceReason ?? '',
    ];
  };
}
