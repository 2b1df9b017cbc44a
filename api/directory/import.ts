/**
 * Importing a unit's directory from a spreadsheet, in two steps.
 *
 * preview: the file is read (spreadsheet.ts), its header mapped to fields, and every line
 *   checked against the unit's tree and the field rules (fields.ts): unknown code, code outside
 *   the unit, bad e-mail, bad value, the same site twice. The valid lines and the problems are
 *   stored as a `directory_imports` row; nothing in the directory changes.
 * apply:   writes the valid lines, only if there were no problems or the secretariat confirmed
 *   "only the valid lines"; one transaction, one audit row per changed site, the import marked
 *   applied (a second apply is refused).
 *
 * Lines are keyed by the official unit code. A unit with several sites (a province's hall and its
 * departments) needs the site's name as well. A column left out of the file leaves that field
 * alone; an empty cell in a present column clears it ("Hoạt động" empty: unchanged).
 * Excel drops leading zeros from codes typed as numbers ("00004" → 4): a numeric code that is not
 * in the unit is looked up again with its zeros put back, when that names exactly one unit.
 */
import { and, eq, inArray, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Executor } from '../../db/client.ts';
import { adminUnits, auditLog, directoryImports, sites } from '../../db/schema.ts';
import type { AppContext, AuthenticatedUser } from '../context.ts';
import { ConflictError, NotFoundError, quoteInput, ValidationError } from '../errors.ts';
import { toVietnamIso } from '../time.ts';
import { getUnit } from '../units/service.ts';
import { splitAddresses } from './addresses.ts';
import { directoryFields, type DirectoryField, type DirectoryFields } from './fields.ts';
import { auditSiteChanges, diffFields, EXPORT_HEADERS, listEntries, type FieldChanges } from './service.ts';
import { readSheet, type SheetFormat } from './spreadsheet.ts';

export type ImportProblemCode = 'missing_code' | 'unknown_code' | 'outside_unit' | 'ambiguous_site' | 'duplicate' | 'bad_email' | 'bad_value';

export interface ImportProblem {
  line: number;
  /** The code as written in the file. */
  code: string;
  problem: ImportProblemCode;
  field?: DirectoryField;
  message: string;
}

export interface ImportLine {
  line: number;
  siteId: string;
  values: Partial<DirectoryFields>;
}

/** What a line would change, for the preview (before → after per field). */
export interface ImportChange {
  line: number;
  siteId: string;
  unitCode: string;
  siteName: string;
  changes: FieldChanges;
}

export interface ImportPreview {
  id: string;
  unitCode: string;
  format: SheetFormat;
  fileName: string | null;
  status: 'previewed' | 'applied' | 'discarded';
  createdAt: string;
  lineCount: number;
  validCount: number;
  /** Valid lines that change something. */
  changedCount: number;
  problems: ImportProblem[];
  /** The changes of the valid lines (at most `changeLimit` listed; `changedCount` counts them all). */
  changes: ImportChange[];
}

export interface ImportResult {
  id: string;
  changed: number;
  unchanged: number;
  skipped: number;
}

type Column = 'unitCode' | 'siteName' | DirectoryField;

/** Headers people may use for each column, compared without diacritics and case. */
const HEADER_ALIASES: Record<Column, string[]> = {
  unitCode: [EXPORT_HEADERS[0], 'ma', 'ma dvhc', 'ma xa', 'unit code', 'code'],
  siteName: [EXPORT_HEADERS[2], 'ten diem cau', 'site', 'site name'],
  contactEmails: [EXPORT_HEADERS[3], 'email', 'e-mail', 'thu dien tu', 'dia chi email', 'dia chi thu dien tu'],
  contactPhone: [EXPORT_HEADERS[4], 'so dien thoai', 'phone'],
  responsiblePerson: [EXPORT_HEADERS[5], 'nguoi chiu trach nhiem', 'responsible person', 'contact person'],
  hallAddress: [EXPORT_HEADERS[6], 'dia chi', 'address', 'hall address'],
  note: [EXPORT_HEADERS[7], 'note'],
  active: [EXPORT_HEADERS[8], 'active'],
};

function headerKey(text: string): string {
  return text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/đ/g, 'd')
    .replace(/Đ/g, 'D')
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .trim();
}

const COLUMN_BY_HEADER = new Map<string, Column>(
  (Object.entries(HEADER_ALIASES) as [Column, string[]][]).flatMap(([column, names]) => names.map((name) => [headerKey(name), column] as const)),
);

const ACTIVE_WORDS = new Map<string, boolean>([
  ['co', true],
  ['x', true],
  ['1', true],
  ['yes', true],
  ['true', true],
  ['hoat dong', true],
  ['khong', false],
  ['0', false],
  ['no', false],
  ['false', false],
  ['ngung', false],
  ['ngung hoat dong', false],
]);

const fieldsOfLine = directoryFields.partial();

export const applyImportInput = z.object({ acceptValid: z.boolean().default(false) }).strict();

export class DirectoryImports {
  constructor(private readonly ctx: AppContext) {}

  /** Reads and checks the file, stores the preview; writes nothing to the directory. */
  async preview(
    unitCode: string,
    file: { bytes: Uint8Array; fileName?: string | undefined },
    actor: AuthenticatedUser,
    options: { changeLimit?: number } = {},
  ): Promise<ImportPreview> {
    const unit = await getUnit(this.ctx.db, unitCode);
    if (!unit) throw new NotFoundError('Administrative unit', unitCode);
    if (file.bytes.length === 0) throw new ValidationError('The file is empty', { reason: 'empty_file' });
    const { format, rows } = await readSheet(file.bytes);
    const [header, ...body] = rows;
    if (!header) throw new ValidationError('The file is empty', { reason: 'empty_file' });
    const columns = header.cells.map((cell) => COLUMN_BY_HEADER.get(headerKey(cell)) ?? null);
    if (!columns.includes('unitCode')) {
      throw new ValidationError(`The first line must name the columns, "${EXPORT_HEADERS[0]}" among them (as in an exported file)`, {
        reason: 'missing_code_column',
      });
    }

    const entries = await listEntries(this.ctx.db, unitCode);
    const byCode = new Map<string, typeof entries>();
    for (const entry of entries) byCode.set(entry.unitCode, [...(byCode.get(entry.unitCode) ?? []), entry]);
    const outsideCodes = await knownCodes(
      this.ctx.db,
      body.map((row) => cellOf(row.cells, columns, 'unitCode').trim()).filter((code) => code && !byCode.has(code)),
    );

    const problems: ImportProblem[] = [];
    const lines: ImportLine[] = [];
    const changes: ImportChange[] = [];
    const firstLineOf = new Map<string, number>();
    for (const row of body) {
      const written = cellOf(row.cells, columns, 'unitCode').trim();
      const problem = (p: Omit<ImportProblem, 'line' | 'code'>) => problems.push({ line: row.line, code: written, ...p });
      if (!written) {
        problem({ problem: 'missing_code', message: 'No unit code on this line' });
        continue;
      }
      const code = byCode.has(written) ? written : restoreZeros(written, byCode);
      const candidates = code ? byCode.get(code)! : [];
      if (candidates.length === 0) {
        if (outsideCodes.has(written)) problem({ problem: 'outside_unit', message: `Unit ${quoteInput(written)} is not part of ${unit.name} (${unit.code})` });
        else problem({ problem: 'unknown_code', message: `No administrative unit has the code ${quoteInput(written)}` });
        continue;
      }
      const siteName = cellOf(row.cells, columns, 'siteName').normalize('NFC').trim();
      const site = candidates.length === 1 ? candidates[0]! : candidates.find((c) => c.name === siteName);
      if (!site) {
        problem({
          problem: 'ambiguous_site',
          message: `Unit ${quoteInput(written)} has ${candidates.length} sites: the line must name one of them in "${EXPORT_HEADERS[2]}"`,
        });
        continue;
      }
      const earlier = firstLineOf.get(site.id);
      if (earlier !== undefined) {
        problem({ problem: 'duplicate', message: `${site.name} (${site.unitCode}) is already on line ${earlier}` });
        continue;
      }
      firstLineOf.set(site.id, row.line);

      const raw: Record<string, unknown> = {};
      let activeProblem: string | null = null;
      columns.forEach((column, index) => {
        if (column === null || column === 'unitCode' || column === 'siteName') return;
        const cell = row.cells[index] ?? '';
        if (column === 'contactEmails') raw.contactEmails = splitAddresses(cell);
        else if (column === 'active') {
          if (cell.trim() === '') return;
          const value = ACTIVE_WORDS.get(headerKey(cell));
          if (value === undefined) activeProblem = cell;
          else raw.active = value;
        } else raw[column] = cell;
      });
      if (activeProblem !== null) {
        problem({ problem: 'bad_value', field: 'active', message: `"${EXPORT_HEADERS[8]}" must be "có" or "không", not ${quoteInput(activeProblem)}` });
        continue;
      }
      const parsed = fieldsOfLine.safeParse(raw);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        const field = issue.path[0] as DirectoryField;
        if (field === 'contactEmails') {
          const bad = (raw.contactEmails as string[])[issue.path[1] as number] ?? '';
          problem({ problem: 'bad_email', field, message: issue.path.length > 1 ? `${quoteInput(bad)} is not a valid e-mail address` : issue.message });
        } else {
          problem({ problem: 'bad_value', field, message: `${field}: ${issue.message}` });
        }
        continue;
      }
      lines.push({ line: row.line, siteId: site.id, values: parsed.data });
      const lineChanges = diffFields(site, parsed.data);
      if (Object.keys(lineChanges).length)
        changes.push({ line: row.line, siteId: site.id, unitCode: site.unitCode, siteName: site.name, changes: lineChanges });
    }

    const [stored] = await this.ctx.db
      .insert(directoryImports)
      .values({ unitCode, fileName: file.fileName?.slice(0, 200) ?? null, format, createdBy: actor.id, lineCount: body.length, lines, problems })
      .returning();
    this.ctx.logger.info(
      { importId: stored!.id, unitCode, lines: body.length, problems: problems.length, actorUserId: actor.id },
      'directory import previewed',
    );
    return {
      id: stored!.id,
      unitCode,
      format,
      fileName: stored!.fileName,
      status: 'previewed',
      createdAt: toVietnamIso(stored!.createdAt),
      lineCount: body.length,
      validCount: lines.length,
      changedCount: changes.length,
      problems,
      changes: changes.slice(0, options.changeLimit ?? changes.length),
    };
  }

  /** A stored preview, for the confirmation page (its changes recomputed against today's directory). */
  async get(importId: string, options: { changeLimit?: number } = {}): Promise<ImportPreview> {
    const [stored] = await this.ctx.db.select().from(directoryImports).where(eq(directoryImports.id, importId)).limit(1);
    if (!stored) throw new NotFoundError('Directory import', importId);
    const lines = stored.lines as ImportLine[];
    const current = await currentFields(
      this.ctx.db,
      lines.map((l) => l.siteId),
    );
    const changes: ImportChange[] = [];
    for (const line of lines) {
      const site = current.get(line.siteId);
      if (!site) continue;
      const lineChanges = diffFields(site, line.values);
      if (Object.keys(lineChanges).length)
        changes.push({ line: line.line, siteId: line.siteId, unitCode: site.unitCode, siteName: site.name, changes: lineChanges });
    }
    return {
      id: stored.id,
      unitCode: stored.unitCode,
      format: stored.format as SheetFormat,
      fileName: stored.fileName,
      status: stored.status,
      createdAt: toVietnamIso(stored.createdAt),
      lineCount: stored.lineCount,
      validCount: lines.length,
      changedCount: changes.length,
      problems: stored.problems as ImportProblem[],
      changes: changes.slice(0, options.changeLimit ?? changes.length),
    };
  }

  /** The unit an import belongs to (for the access check before anything else is read). */
  async unitOf(importId: string): Promise<string> {
    const [stored] = await this.ctx.db.select({ unitCode: directoryImports.unitCode }).from(directoryImports).where(eq(directoryImports.id, importId)).limit(1);
    if (!stored) throw new NotFoundError('Directory import', importId);
    return stored.unitCode;
  }

  async apply(importId: string, input: z.output<typeof applyImportInput>, actor: AuthenticatedUser): Promise<ImportResult> {
    const now = this.ctx.now();
    const result = await this.ctx.db.transaction(async (tx) => {
      const [stored] = await tx.select().from(directoryImports).where(eq(directoryImports.id, importId)).limit(1).for('update');
      if (!stored) throw new NotFoundError('Directory import', importId);
      if (stored.status !== 'previewed') throw new ConflictError(`This import has already been ${stored.status}`, { status: stored.status }, 'import_closed');
      const problems = stored.problems as ImportProblem[];
      if (problems.length && !input.acceptValid) {
        throw new ValidationError(
          `${problems.length} line(s) of the file have problems; nothing was written. Correct them, or confirm importing only the valid lines.`,
          { reason: 'import_has_problems', problems },
        );
      }
      const lines = stored.lines as ImportLine[];
      const current = await currentFields(
        tx,
        lines.map((l) => l.siteId),
        { lock: true },
      );
      const changed: { siteId: string; changes: FieldChanges; next: DirectoryFields }[] = [];
      for (const line of lines) {
        const site = current.get(line.siteId);
        if (!site) continue;
        const changes = diffFields(site, line.values);
        if (Object.keys(changes).length) changed.push({ siteId: line.siteId, changes, next: { ...pickFields(site), ...line.values } });
      }
      await writeFields(tx, changed, now);
      await auditSiteChanges(tx, actor, changed, { source: 'import', importId });
      await tx.update(directoryImports).set({ status: 'applied', appliedAt: now }).where(eq(directoryImports.id, importId));
      const counts = { id: importId, changed: changed.length, unchanged: lines.length - changed.length, skipped: problems.length };
      await tx.insert(auditLog).values({
        actorUserId: actor.id,
        action: 'directory.import',
        entity: 'admin_unit',
        entityId: stored.unitCode,
        details: { ...counts, fileName: stored.fileName, acceptValid: input.acceptValid },
      });
      return counts;
    });
    this.ctx.logger.info({ importId, actorUserId: actor.id, changed: result.changed, skipped: result.skipped }, 'directory import applied');
    return result;
  }

  /** Forgets a preview the secretariat decided not to apply. */
  async discard(importId: string, actor: AuthenticatedUser): Promise<void> {
    const [updated] = await this.ctx.db
      .update(directoryImports)
      .set({ status: 'discarded' })
      .where(and(eq(directoryImports.id, importId), eq(directoryImports.status, 'previewed')))
      .returning({ id: directoryImports.id });
    if (!updated) {
      await this.unitOf(importId);
      throw new ConflictError('This import is no longer waiting for confirmation', undefined, 'import_closed');
    }
    this.ctx.logger.info({ importId, actorUserId: actor.id }, 'directory import discarded');
  }
}

function cellOf(cells: string[], columns: (Column | null)[], column: Column): string {
  const index = columns.indexOf(column);
  return index < 0 ? '' : (cells[index] ?? '');
}

function restoreZeros(written: string, byCode: Map<string, unknown>): string | null {
  if (!/^\d{1,4}$/.test(written)) return null;
  const candidates = [written.padStart(2, '0'), written.padStart(5, '0')].filter((code, i, all) => all.indexOf(code) === i && byCode.has(code));
  return candidates.length === 1 ? candidates[0]! : null;
}

/** Which of these codes name some unit at all (to tell "outside this unit" from "no such unit"). */
async function knownCodes(db: Executor, codes: string[]): Promise<Set<string>> {
  const unique = [...new Set(codes)].filter((code) => code.length <= 20);
  const out = new Set<string>();
  for (let i = 0; i < unique.length; i += 5000) {
    for (const row of await db
      .select({ code: adminUnits.code })
      .from(adminUnits)
      .where(inArray(adminUnits.code, unique.slice(i, i + 5000))))
      out.add(row.code);
  }
  return out;
}

type CurrentSite = DirectoryFields & { id: string; unitCode: string; name: string };

function pickFields(site: CurrentSite): DirectoryFields {
  return {
    contactEmails: site.contactEmails,
    contactPhone: site.contactPhone,
    responsiblePerson: site.responsiblePerson,
    hallAddress: site.hallAddress,
    note: site.note,
    active: site.active,
  };
}

async function currentFields(db: Executor, siteIds: string[], options: { lock?: boolean } = {}): Promise<Map<string, CurrentSite>> {
  const out = new Map<string, CurrentSite>();
  for (let i = 0; i < siteIds.length; i += 5000) {
    const query = db
      .select({
        id: sites.id,
        unitCode: sites.unitCode,
        name: sites.name,
        contactEmails: sites.contactEmails,
        contactPhone: sites.contactPhone,
        responsiblePerson: sites.responsiblePerson,
        hallAddress: sites.hallAddress,
        note: sites.note,
        active: sites.active,
      })
      .from(sites)
      .where(inArray(sites.id, siteIds.slice(i, i + 5000)));
    for (const row of await (options.lock ? query.for('update') : query)) out.set(row.id, row);
  }
  return out;
}

/**
 * One UPDATE for all changed sites, the new values as one JSON parameter: a province's or the
 * nation's directory is thousands of rows, and one statement each would hold the transaction
 * (and the rows' locks) for seconds on PGlite.
 */
async function writeFields(db: Executor, changed: { siteId: string; next: DirectoryFields }[], now: Date): Promise<void> {
  for (let i = 0; i < changed.length; i += 5000) {
    const json = JSON.stringify(
      changed.slice(i, i + 5000).map(({ siteId, next }) => ({
        id: siteId,
        contact_emails: next.contactEmails,
        contact_phone: next.contactPhone,
        responsible_person: next.responsiblePerson,
        hall_address: next.hallAddress,
        note: next.note,
        active: next.active,
      })),
    );
    await db.execute(sql`
      update ${sites} set contact_emails = r.contact_emails, contact_phone = r.contact_phone, responsible_person = r.responsible_person,
        hall_address = r.hall_address, note = r.note, active = r.active, updated_at = ${now.toISOString()}::timestamptz
      from json_populate_recordset(null::sites, ${json}::json) as r
      where ${sites.id} = r.id`);
  }
}
