import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { and, eq } from 'drizzle-orm';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog, sites } from '../../db/schema.ts';
import { createTestApp, TEST_NOW, type TestApp } from '../../tests/support/app.ts';
import { DRIVERS } from '../../tests/support/database.ts';
import { readArrival, testDispatcher, testTransport, waitFor } from '../invites/delivery.test-support.ts';
import { startTestSmtpServer } from '../invites/smtp-test-server.test-support.ts';

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const hours = (n: number) => new Date(TEST_NOW.getTime() + n * 3600_000).toISOString();

/** A CSV as the export writes it (UTF-8 with BOM, CRLF, an apostrophe before what Excel would take for a formula). */
const csvOf = (rows: string[][]) => stringify(rows, { bom: true, record_delimiter: 'windows', escape_formulas: true });
const rowsOfCsv = (text: string) => parse(text, { bom: true }) as string[][];

async function xlsxOf(rows: string[][]): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet('Danh bạ');
  for (const row of rows) sheet.addRow(row);
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

async function rowsOfXlsx(bytes: ArrayBuffer): Promise<string[][]> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(bytes);
  const out: string[][] = [];
  workbook.worksheets[0]!.eachRow((row) => {
    const cells: string[] = [];
    for (let col = 1; col <= 9; col++) cells.push(String(row.getCell(col).value ?? ''));
    out.push(cells);
  });
  return out;
}

describe.each(DRIVERS)('directory of sites on %s', (driver) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp(driver);
  }, 120_000);
  afterAll(async () => {
    await t.close();
  });

  const exportText = async (code: string) => {
    const response = await t.app.request(`/api/directory/units/${code}/export?format=csv`, { headers: { cookie: t.cookies.secretariat } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    // Bytes, not response.text(): that would drop the BOM this file must start with.
    return Buffer.from(await response.arrayBuffer()).toString('utf8');
  };
  const upload = async (code: string, body: string | Buffer, type: string) => {
    const response = await t.app.request(`/api/directory/units/${code}/imports`, {
      method: 'POST',
      headers: { cookie: t.cookies.secretariat, 'content-type': type },
      body: typeof body === 'string' ? body : new Uint8Array(body),
    });
    // biome-ignore lint/suspicious/noExplicitAny: response bodies are read field by field, as in t.request()
    return { status: response.status, body: (await response.json()) as any };
  };
  const apply = (id: string, body: Record<string, unknown> = {}) =>
    t.request('POST', `/api/directory/imports/${id}/apply`, { cookie: t.cookies.secretariat, body });

  it('imports a directory of all 3,321 communes from CSV and from .xlsx; 3 bad lines write nothing and are listed exactly', async () => {
    const [header, ...all] = rowsOfCsv(await exportText('VN'));
    const communes = all.filter((row) => row[0]!.length === 5);
    expect(communes).toHaveLength(3321);

    for (const format of ['csv', 'xlsx'] as const) {
      const edited = communes.map((row) => {
        const code = row[0]!;
        const next = [...row];
        next[3] = `vanthu.${code}@${format}.gov.vn`;
        next[4] = `0${code.slice(0, 3)} 3852 ${code.slice(2)}`;
        next[5] = `Nguyễn Văn ${format} ${code}`;
        return next;
      });
      const file = async (rows: string[][]) => (format === 'csv' ? csvOf([header!, ...rows]) : await xlsxOf([header!, ...rows]));
      const type = format === 'csv' ? 'text/csv' : XLSX;

      // Three bad lines: an unknown code, a bad address, the same commune twice.
      const bad = edited.map((row) => [...row]);
      bad[9]![0] = '99999';
      bad[199]![3] = 'vanthu.khong-hop-le';
      bad[2999]![0] = bad[4]![0]!;
      bad[2999]![2] = bad[4]![2]!;
      const before = await exportText('VN');
      const refused = await upload('VN', await file(bad), type);
      expect(refused.status, JSON.stringify(refused.body).slice(0, 500)).toBe(201);
      expect(refused.body.lineCount).toBe(3321);
      expect(refused.body.problems.map((p: { line: number; problem: string }) => [p.line, p.problem])).toEqual([
        [11, 'unknown_code'],
        [201, 'bad_email'],
        [3001, 'duplicate'],
      ]);
      const notApplied = await apply(refused.body.id);
      expect(notApplied.status).toBe(422);
      expect(notApplied.body.error.details.problems).toHaveLength(3);
      expect(await exportText('VN')).toBe(before);

      // The same file without the bad lines goes in whole.
      const preview = await upload('VN', await file(edited), type);
      expect(preview.body).toMatchObject({ format, lineCount: 3321, validCount: 3321, changedCount: 3321, problems: [] });
      expect(await exportText('VN')).toBe(before);
      const applied = await apply(preview.body.id);
      expect(applied.body).toMatchObject({ changed: 3321, unchanged: 0, skipped: 0 });
      expect((await apply(preview.body.id)).status).toBe(409);

      const after = rowsOfCsv(await exportText('VN')).filter((row) => row[0]!.length === 5);
      expect(after).toEqual(edited);
      const refusedAgain = await apply(refused.body.id);
      expect(refusedAgain.status).toBe(422);
    }
    const audits = await t.database.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, 'site.update'), eq(auditLog.entity, 'site')));
    expect(audits.length).toBe(2 * 3321);
  }, 300_000);

  it('confirmed, an import with bad lines writes only the valid ones', async () => {
    const [header, ...rows] = rowsOfCsv(await exportText('44'));
    const edited = rows.slice(0, 4).map((row) => [...row]);
    edited[0]![5] = 'Trần Thị Confirmed';
    edited[1]![3] = 'hai@cham@sai';
    edited[2]![0] = '01'; // Hà Nội, not Quảng Trị
    edited[3]![8] = 'có lẽ';
    const preview = await upload('44', csvOf([header!, ...edited]), 'text/csv');
    expect(preview.body.problems.map((p: { line: number; problem: string }) => [p.line, p.problem])).toEqual([
      [3, 'bad_email'],
      [4, 'outside_unit'],
      [5, 'bad_value'],
    ]);
    const applied = await apply(preview.body.id, { acceptValid: true });
    expect(applied.body).toMatchObject({ changed: 1, skipped: 3 });
    const [site] = await t.database.db
      .select()
      .from(sites)
      .where(and(eq(sites.unitCode, edited[0]![0]!), eq(sites.name, edited[0]![2]!)));
    expect(site!.responsiblePerson).toBe('Trần Thị Confirmed');
  });

  it('edits 5 lines of an export, imports it, and exports exactly the edited file (CSV and .xlsx)', async () => {
    const original = await exportText('44');
    const [header, ...rows] = rowsOfCsv(original);
    const edited = rows.map((row) => [...row]);
    const picks = [3, 17, 40, 41, 77];
    edited[picks[0]!]![3] = 'chutich@quangtri.gov.vn; vanphong@quangtri.gov.vn';
    edited[picks[1]!]![4] = '+84 233 3852 000';
    edited[picks[2]!]![6] = 'Số 1, đường Hùng Vương; phòng họp tầng 2';
    edited[picks[3]!]![7] = 'Hay mất điện buổi chiều,\n gọi trước 30 phút';
    edited[picks[4]!]![8] = 'không';
    const file = csvOf([header!, ...edited]);
    expect(file).not.toBe(original);

    const preview = await upload('44', file, 'text/csv');
    expect(preview.body).toMatchObject({ problems: [], changedCount: 5 });
    expect(preview.body.changes.map((c: { line: number }) => c.line)).toEqual(picks.map((i) => i + 2));
    expect((await apply(preview.body.id)).status).toBe(200);
    expect(await exportText('44')).toBe(file);

    // The same through .xlsx: edit the exported workbook, import it, export it again.
    const xlsxResponse = await t.app.request('/api/directory/units/44/export?format=xlsx', { headers: { cookie: t.cookies.secretariat } });
    expect(xlsxResponse.headers.get('content-type')).toBe(XLSX);
    const sheet = await rowsOfXlsx(await xlsxResponse.arrayBuffer());
    expect(sheet).toEqual([header, ...edited]);
    sheet[5]![5] = 'Lê Văn Xlsx';
    sheet[6]![3] = '';
    const xPreview = await upload('44', await xlsxOf(sheet), XLSX);
    expect(xPreview.body).toMatchObject({ format: 'xlsx', problems: [], changedCount: 2 });
    await apply(xPreview.body.id);
    const again = await t.app.request('/api/directory/units/44/export?format=xlsx', { headers: { cookie: t.cookies.secretariat } });
    expect(await rowsOfXlsx(await again.arrayBuffer())).toEqual(sheet);
  });

  it('changes one site through the API, audited, and refuses bad values and other roles', async () => {
    const { body } = await t.request('GET', '/api/directory/units/44', { cookie: t.cookies.secretariat });
    const site = body.sites.find((s: { kind: string; active: boolean }) => s.kind === 'commune' && s.active);
    const personBefore = site.responsiblePerson;
    const patch = (input: unknown, cookie = t.cookies.secretariat) => t.request('PATCH', `/api/directory/sites/${site.id}`, { cookie, body: input });

    expect((await patch({ contactEmails: ['khong-phai-email'] })).status).toBe(400);
    expect((await patch({ contactPhone: 'gọi cho anh Ba' })).status).toBe(400);
    expect((await patch({ note: 'x' }, t.cookies.leader)).status).toBe(403);
    expect((await patch({ note: 'x' }, '')).status).toBe(401);

    const changed = await patch({
      contactEmails: ['vanthu@xa.gov.vn', 'VANTHU@xa.gov.vn', 'chutich@xa.gov.vn'],
      responsiblePerson: '  Phạm Thị Hoa  ',
      note: '',
    });
    expect(changed.status).toBe(200);
    expect(changed.body.site).toMatchObject({
      contactEmails: ['vanthu@xa.gov.vn', 'chutich@xa.gov.vn'],
      responsiblePerson: 'Phạm Thị Hoa',
      note: null,
      hasRealAddress: true,
    });
    expect(changed.body.changed.sort()).toEqual(['contactEmails', 'responsiblePerson']);
    expect((await patch({ responsiblePerson: 'Phạm Thị Hoa' })).body.changed).toEqual([]);

    const audits = await t.database.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.entity, 'site'), eq(auditLog.entityId, site.id), eq(auditLog.action, 'site.update')));
    const formAudits = audits.filter((a) => a.details?.source === 'form');
    expect(formAudits).toHaveLength(1);
    expect(formAudits[0]!.details).toMatchObject({ changes: { responsiblePerson: { from: personBefore, to: 'Phạm Thị Hoa' } } });

    const missing = await t.request('GET', '/api/directory/units/44?missing=true', { cookie: t.cookies.secretariat });
    expect(missing.body.sites.every((s: { hasRealAddress: boolean }) => !s.hasRealAddress)).toBe(true);
    expect(missing.body.sites.some((s: { id: string }) => s.id === site.id)).toBe(false);
  });

  it('refuses files it cannot read with a clear error and writes nothing', async () => {
    const garbage = await upload('44', Buffer.from('PK\u0003\u0004 not really a zip'), XLSX);
    expect(garbage.status).toBe(422);
    expect(garbage.body.error.message).toMatch(/xlsx/);
    const noHeader = await upload('44', 'a,b,c\r\n1,2,3\r\n', 'text/csv');
    expect(noHeader.status).toBe(422);
    expect(noHeader.body.error.message).toMatch(/Mã đơn vị/);
    expect((await upload('ZZ', 'x', 'text/csv')).status).toBe(400);
    const asJson = await t.request('POST', '/api/directory/units/44/imports', { cookie: t.cookies.secretariat, body: { rows: [] } });
    expect(asJson.status).toBe(400);
  });

  it('sends the next invitation to the imported address (real SMTP server, parsed)', async () => {
    const smtp = await startTestSmtpServer();
    try {
      const [header, ...rows] = rowsOfCsv(await exportText('44'));
      const commune = rows.find((row) => row[0]!.length === 5 && row[8] === 'có' && row[0] !== '44')!;
      const line = [...commune];
      line[3] = 'uybannhandan@phuong-dong-ha.quangtri.gov.vn';
      const preview = await upload('44', csvOf([header!, line]), 'text/csv');
      expect(preview.body.problems).toEqual([]);
      await apply(preview.body.id);

      const [site] = await t.database.db
        .select()
        .from(sites)
        .where(and(eq(sites.unitCode, commune[0]!), eq(sites.name, commune[2]!)));
      const [hall] = await t.database.db
        .select()
        .from(sites)
        .where(and(eq(sites.unitCode, '44'), eq(sites.kind, 'hall')));
      const created = await t.request('POST', '/api/meetings', {
        cookie: t.cookies.secretariat,
        body: {
          title: 'Giao ban sau khi nhập danh bạ',
          hostSiteId: hall!.id,
          startsAt: hours(30),
          endsAt: hours(32),
          siteIds: [site!.id],
          allowConflicts: true,
        },
      });
      expect(created.status).toBe(201);
      const dispatcher = testDispatcher(t, testTransport(smtp.url));
      try {
        await dispatcher.drain();
        await waitFor(() => smtp.received.length >= 2, 'both invitations');
      } finally {
        await dispatcher.close();
      }
      const toCommune = smtp.received.filter((m) => m.rcptTo.includes('uybannhandan@phuong-dong-ha.quangtri.gov.vn'));
      expect(toCommune).toHaveLength(1);
      expect(toCommune[0]!.rcptTo).toEqual(['uybannhandan@phuong-dong-ha.quangtri.gov.vn']);
      const arrival = await readArrival(toCommune[0]!);
      expect(arrival.to).toBe('uybannhandan@phuong-dong-ha.quangtri.gov.vn');
      expect(arrival.subject).toContain('Giao ban sau khi nhập danh bạ');
      expect(arrival.event?.attendees.map((a) => a.email)).toEqual(['uybannhandan@phuong-dong-ha.quangtri.gov.vn']);
    } finally {
      await smtp.close();
    }
  });
});
