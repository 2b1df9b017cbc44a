/**
 * Spreadsheet files in and out of the directory, as tables of text: CSV for anything that opens
 * one, .xlsx (exceljs) for Excel itself. Only the file formats live here; what the columns mean
 * is import.ts's and export.ts's business.
 *
 * Reading is lenient where Excel users are: a CSV in UTF-8 with or without a BOM, or in
 * Windows-1258 (Excel's "CSV" on Vietnamese Windows); comma, semicolon or tab between fields
 * (from the header line, or Excel's `sep=` line); formula-escaping apostrophes that our own
 * export added are taken off again. An .xlsx is checked before exceljs opens it: every part of
 * the zip is inflated once with a ceiling, so a small upload cannot expand into gigabytes.
 */
import { inflateRawSync } from 'node:zlib';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import ExcelJS from 'exceljs';
import { ValidationError } from '../errors.ts';

export type SheetFormat = 'csv' | 'xlsx';

export interface SheetRow {
  /** The line (CSV) or row (xlsx) number a person sees in their editor; the header is line 1. */
  line: number;
  cells: string[];
}

export const XLSX_CONTENT_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const MAX_ROWS = 20_000;
const MAX_COLUMNS = 50;
const MAX_XLSX_INFLATED_BYTES = 64 * 1024 * 1024;

export function sniffFormat(bytes: Uint8Array): SheetFormat {
  // Every .xlsx is a zip ("PK\3\4"); no text file starts that way.
  return bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04 ? 'xlsx' : 'csv';
}

export async function readSheet(bytes: Uint8Array): Promise<{ format: SheetFormat; rows: SheetRow[] }> {
  const format = sniffFormat(bytes);
  const rows = format === 'xlsx' ? await readXlsx(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)) : readCsv(bytes);
  if (rows.length > MAX_ROWS) throw new ValidationError(`The file has more than ${MAX_ROWS} lines`, { reason: 'too_many_lines' });
  // PostgreSQL text cannot hold NUL, and no real cell has one: refuse the file, saying where.
  const withNul = rows.find((row) => row.cells.some((cell) => cell.includes('\u0000')));
  if (withNul) throw new ValidationError(`Line ${withNul.line} contains a NUL character`, { reason: 'unreadable_file' });
  return { format, rows };
}

function decodeText(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    // Not UTF-8: Excel's plain "CSV" on a Vietnamese Windows is code page 1258, whose
    // diacritics are combining marks; NFC composes them into the letters people typed.
    return new TextDecoder('windows-1258').decode(bytes).normalize('NFC');
  }
}

function readCsv(bytes: Uint8Array): SheetRow[] {
  let text = decodeText(bytes).replace(/^\uFEFF/, '');
  let delimiter: string | undefined;
  // Excel reads this line as an instruction and does not show it as a row.
  const sep = /^sep=(.)\r?\n/i.exec(text);
  if (sep) {
    delimiter = sep[1];
    text = text.slice(sep[0].length);
  }
  delimiter ??= guessDelimiter(text.slice(0, text.search(/\r?\n|$/)));
  let records: string[][];
  try {
    records = parse(text, { delimiter, relax_column_count: true, relax_quotes: true }) as string[][];
  } catch (error) {
    const line = (error as { lines?: number }).lines;
    throw new ValidationError(`The CSV file cannot be read${line ? ` (near line ${line})` : ''}`, { reason: 'unreadable_file' });
  }
  // Numbered as the spreadsheet shows rows (a cell with a line break is still one row), empty
  // rows counted but not returned.
  return records
    .map((record, index) => ({ line: index + 1, cells: record.slice(0, MAX_COLUMNS).map(unescapeFormula) }))
    .filter((row) => row.cells.some((cell) => cell.trim() !== ''));
}

function guessDelimiter(headerLine: string): string {
  const count = (ch: string) => headerLine.split(ch).length - 1;
  return [';', '\t'].reduce((best, ch) => (count(ch) > count(best) ? ch : best), ',');
}

/** csv-stringify's escape_formulas puts an apostrophe before =, +, -, @, tab and CR; take it off. */
function unescapeFormula(cell: string): string {
  return /^'[=+\-@\t\r]/.test(cell) ? cell.slice(1) : cell;
}

async function readXlsx(bytes: Buffer): Promise<SheetRow[]> {
  assertModestZip(bytes);
  const workbook = new ExcelJS.Workbook();
  try {
    await workbook.xlsx.load(bytes as unknown as ArrayBuffer);
  } catch {
    throw new ValidationError('The .xlsx file cannot be read', { reason: 'unreadable_file' });
  }
  const sheet = workbook.worksheets[0];
  if (!sheet) return [];
  const rows: SheetRow[] = [];
  sheet.eachRow({ includeEmpty: false }, (row) => {
    if (rows.length > MAX_ROWS) return;
    const cells: string[] = [];
    const width = Math.min(row.cellCount, MAX_COLUMNS);
    for (let col = 1; col <= width; col++) cells.push(cellText(row.getCell(col).value));
    if (cells.some((c) => c.trim() !== '')) rows.push({ line: row.number, cells });
  });
  return rows;
}

function cellText(value: ExcelJS.CellValue | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value instanceof Date) return value.toISOString();
  if ('richText' in value) return value.richText.map((part) => part.text).join('');
  // Excel turns typed e-mail addresses into hyperlinks: the text is what was typed.
  if ('hyperlink' in value) return cellText(value.text as ExcelJS.CellValue);
  if ('formula' in value || 'sharedFormula' in value) return cellText((value as { result?: ExcelJS.CellValue }).result);
  return '';
}

/**
 * Inflates every entry of the zip once, each bounded by what is left of the budget, so that
 * exceljs is only handed files whose content fits in memory. Sizes are taken from the central
 * directory and then enforced by zlib's maxOutputLength: a lying header cannot get past it.
 */
function assertModestZip(bytes: Buffer): void {
  const unreadable = () => new ValidationError('The .xlsx file cannot be read', { reason: 'unreadable_file' });
  let end = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 65_557); i--) {
    if (bytes.readUInt32LE(i) === 0x06054b50) {
      end = i;
      break;
    }
  }
  if (end < 0) throw unreadable();
  const entries = bytes.readUInt16LE(end + 10);
  let at = bytes.readUInt32LE(end + 16);
  let budget = MAX_XLSX_INFLATED_BYTES;
  for (let n = 0; n < entries; n++) {
    if (at + 46 > bytes.length || bytes.readUInt32LE(at) !== 0x02014b50) throw unreadable();
    const method = bytes.readUInt16LE(at + 10);
    const compressed = bytes.readUInt32LE(at + 20);
    const local = bytes.readUInt32LE(at + 42);
    at += 46 + bytes.readUInt16LE(at + 28) + bytes.readUInt16LE(at + 30) + bytes.readUInt16LE(at + 32);
    if (local + 30 > bytes.length || bytes.readUInt32LE(local) !== 0x04034b50) throw unreadable();
    const start = local + 30 + bytes.readUInt16LE(local + 26) + bytes.readUInt16LE(local + 28);
    const data = bytes.subarray(start, start + compressed);
    if (method === 0) {
      budget -= data.length;
    } else if (method === 8) {
      try {
        budget -= inflateRawSync(data, { maxOutputLength: Math.max(1, budget) }).length;
      } catch {
        throw new ValidationError('The .xlsx file is too large once unpacked', { reason: 'file_too_large' });
      }
    } else {
      throw unreadable();
    }
    if (budget < 0) throw new ValidationError('The .xlsx file is too large once unpacked', { reason: 'file_too_large' });
  }
}

/** UTF-8 with a BOM and CRLF, as Excel reads it; `;` for Excel set to Vietnamese regional settings. */
export function writeCsv(rows: string[][], delimiter: ',' | ';' = ','): string {
  return stringify(rows, { bom: true, delimiter, record_delimiter: 'windows', escape_formulas: true });
}

/** One sheet, header row bold and frozen, every cell text (codes and phones keep their leading zeros). */
export async function writeXlsx(sheetName: string, rows: string[][], widths: number[]): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  workbook.creator = 'hoinghi';
  // Fixed, so that exporting the same directory twice gives the same file.
  workbook.created = new Date(0);
  workbook.modified = new Date(0);
  const sheet = workbook.addWorksheet(sheetName, { views: [{ state: 'frozen', ySplit: 1 }] });
  sheet.columns = widths.map((width) => ({ width, style: { numFmt: '@' } }));
  for (const row of rows) sheet.addRow(row);
  sheet.getRow(1).font = { bold: true };
  return Buffer.from(await workbook.xlsx.writeBuffer());
}
