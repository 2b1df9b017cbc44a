/**
 * The directory of sites: who to write to, call and find for every hall and commune. Reading a
 * unit's directory, changing one site, and the export of a whole unit. Every change writes its
 * audit row (what changed, from what to what) in the same transaction as the change.
 * Imports are import.ts; who may do any of this is access.ts.
 */
import { and, asc, eq, inArray } from 'drizzle-orm';
import type { Executor, Transaction } from '../../db/client.ts';
import { adminUnits, auditLog, sites } from '../../db/schema.ts';
import type { AppContext, AuthenticatedUser } from '../context.ts';
import { NotFoundError } from '../errors.ts';
import { toVietnamIso } from '../time.ts';
import { getUnit, subtreeCodes } from '../units/service.ts';
import { hasRealAddress } from './addresses.ts';
import { DIRECTORY_FIELDS, type DirectoryFields, type DirectoryUpdateInput } from './fields.ts';
import { writeCsv, writeXlsx, type SheetFormat } from './spreadsheet.ts';

const entryColumns = {
  id: sites.id,
  unitCode: sites.unitCode,
  unitName: adminUnits.name,
  parentCode: adminUnits.parentCode,
  name: sites.name,
  kind: sites.kind,
  contactEmails: sites.contactEmails,
  contactPhone: sites.contactPhone,
  responsiblePerson: sites.responsiblePerson,
  hallAddress: sites.hallAddress,
  note: sites.note,
  active: sites.active,
  updatedAt: sites.updatedAt,
};

type EntryRow = Awaited<ReturnType<typeof listEntries>>[number];

export type DirectoryEntry = Omit<EntryRow, 'updatedAt'> & { hasRealAddress: boolean; updatedAt: string };

function entryJson(row: EntryRow): DirectoryEntry {
  return { ...row, hasRealAddress: hasRealAddress(row.contactEmails), updatedAt: toVietnamIso(row.updatedAt) };
}

/** A field's before and after, for the audit log. */
export type FieldChanges = Partial<Record<keyof DirectoryFields, { from: unknown; to: unknown }>>;

export function diffFields(current: DirectoryFields, next: Partial<DirectoryFields>): FieldChanges {
  const changes: FieldChanges = {};
  for (const field of DIRECTORY_FIELDS) {
    const to = next[field];
    if (to === undefined) continue;
    const from = current[field];
    const same = Array.isArray(from) && Array.isArray(to) ? from.length === to.length && from.every((v, i) => v === to[i]) : from === to;
    if (!same) changes[field] = { from, to };
  }
  return changes;
}

/** The header and column widths of the export; import.ts reads the same headers back. */
export const EXPORT_HEADERS = [
  'Mã đơn vị',
  'Đơn vị',
  'Điểm cầu',
  'Thư điện tử',
  'Điện thoại',
  'Người phụ trách',
  'Địa chỉ hội trường',
  'Ghi chú',
  'Hoạt động',
] as const;
const EXPORT_WIDTHS = [10, 28, 32, 40, 18, 28, 40, 30, 10];
export const ACTIVE_LABELS = { yes: 'có', no: 'không' } as const;
/** Between a site's addresses in one cell; the reader also takes commas, spaces and new lines. */
export const ADDRESS_SEPARATOR = '; ';

export function exportCells(entry: Pick<DirectoryEntry, 'unitCode' | 'unitName' | 'name' | keyof DirectoryFields>): string[] {
  return [
    entry.unitCode,
    entry.unitName,
    entry.name,
    entry.contactEmails.join(ADDRESS_SEPARATOR),
    entry.contactPhone ?? '',
    entry.responsiblePerson ?? '',
    entry.hallAddress ?? '',
    entry.note ?? '',
    entry.active ? ACTIVE_LABELS.yes : ACTIVE_LABELS.no,
  ];
}

export interface DirectoryExport {
  fileName: string;
  contentType: string;
  body: string | Buffer;
}

export class DirectoryService {
  constructor(private readonly ctx: AppContext) {}

  /** The unit and every site in it and below it, in code order (the order of the export). */
  async listUnit(unitCode: string, options: { missingOnly?: boolean } = {}) {
    const unit = await getUnit(this.ctx.db, unitCode);
    if (!unit) throw new NotFoundError('Administrative unit', unitCode);
    const rows = await listEntries(this.ctx.db, unitCode);
    const entries = rows.map(entryJson);
    return {
      unit,
      total: entries.length,
      withoutAddress: entries.filter((e) => e.active && !e.hasRealAddress).length,
      sites: options.missingOnly ? entries.filter((e) => !e.hasRealAddress) : entries,
    };
  }

  async getSite(siteId: string): Promise<DirectoryEntry> {
    const [row] = await entryQuery(this.ctx.db).where(eq(sites.id, siteId)).limit(1);
    if (!row) throw new NotFoundError('Site', siteId);
    return entryJson(row);
  }

  /** Changes some fields of one site; an unchanged value is not a change (no audit row, no timestamp). */
  async updateSite(
    siteId: string,
    input: DirectoryUpdateInput,
    actor: AuthenticatedUser,
  ): Promise<{ site: DirectoryEntry; changed: (keyof DirectoryFields)[] }> {
    const now = this.ctx.now();
    const changed = await this.ctx.db.transaction(async (tx) => {
      const [current] = await tx.select().from(sites).where(eq(sites.id, siteId)).limit(1).for('update');
      if (!current) throw new NotFoundError('Site', siteId);
      const changes = diffFields(current, input);
      const fields = Object.keys(changes) as (keyof DirectoryFields)[];
      if (fields.length === 0) return fields;
      await tx
        .update(sites)
        .set({ ...Object.fromEntries(fields.map((f) => [f, changes[f]!.to])), updatedAt: now })
        .where(eq(sites.id, siteId));
      await auditSiteChanges(tx, actor, [{ siteId, changes }], { source: 'form' });
      return fields;
    });
    if (changed.length) this.ctx.logger.info({ siteId, actorUserId: actor.id, fields: changed }, 'directory entry changed');
    return { site: await this.getSite(siteId), changed };
  }

  async export(unitCode: string, format: SheetFormat, options: { delimiter?: ',' | ';' } = {}): Promise<DirectoryExport> {
    const unit = await getUnit(this.ctx.db, unitCode);
    if (!unit) throw new NotFoundError('Administrative unit', unitCode);
    const rows = [[...EXPORT_HEADERS], ...(await listEntries(this.ctx.db, unitCode)).map(exportCells)];
    const baseName = `Danh bạ điểm cầu - ${unit.name} (${unit.code})`;
    return format === 'csv'
      ? { fileName: `${baseName}.csv`, contentType: 'text/csv; charset=utf-8', body: writeCsv(rows, options.delimiter) }
      : {
          fileName: `${baseName}.xlsx`,
          contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
          body: await writeXlsx('Danh bạ', rows, EXPORT_WIDTHS),
        };
  }
}

function entryQuery(db: Executor) {
  return db.select(entryColumns).from(sites).innerJoin(adminUnits, eq(adminUnits.code, sites.unitCode)).$dynamic();
}

export async function listEntries(db: Executor, unitCode: string) {
  return entryQuery(db)
    .where(inArray(sites.unitCode, subtreeCodes(unitCode, { includeSelf: true })))
    .orderBy(asc(sites.unitCode), asc(sites.name));
}

/** One audit row per changed site, in the change's transaction. */
export async function auditSiteChanges(
  tx: Transaction,
  actor: AuthenticatedUser,
  changed: { siteId: string; changes: FieldChanges }[],
  context: Record<string, unknown>,
): Promise<void> {
  const rows = changed.map((c) => ({
    actorUserId: actor.id,
    action: 'site.update',
    entity: 'site',
    entityId: c.siteId,
    details: { ...context, changes: c.changes },
  }));
  for (let i = 0; i < rows.length; i += 1000) await tx.insert(auditLog).values(rows.slice(i, i + 1000));
}

/**
 * Active communes without a real address, per province: the scheduling form warns before a
 * whole province is invited that some of it cannot be reached.
 */
export async function communesWithoutAddressByProvince(db: Executor): Promise<Map<string, number>> {
  const rows = await db
    .select({ province: adminUnits.parentCode, contactEmails: sites.contactEmails })
    .from(sites)
    .innerJoin(adminUnits, eq(adminUnits.code, sites.unitCode))
    .where(and(eq(sites.active, true), eq(sites.kind, 'commune')));
  const out = new Map<string, number>();
  for (const row of rows) if (row.province && !hasRealAddress(row.contactEmails)) out.set(row.province, (out.get(row.province) ?? 0) + 1);
  return out;
}
