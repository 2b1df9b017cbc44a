/**
 * The administrative tree served from memory. It is the same for every account, holds no
 * contacts, and changes only when the seed runs (at start-up, before the server listens; a
 * seed run from the command line beside a running server needs a restart to show), so it is
 * read from the database once and each distinct query's reply is kept as bytes with an ETag.
 * A tree still empty (read before the seed) is not kept.
 */
import { createHash } from 'node:crypto';
import { asc } from 'drizzle-orm';
import type { Executor } from '../../db/client.ts';
import { adminUnits } from '../../db/schema.ts';
import type { UnitLevel } from './service.ts';

export interface UnitFilter {
  level?: UnitLevel | undefined;
  parent?: string | undefined;
  q?: string | undefined;
  limit: number;
}

export interface CachedReply {
  body: string;
  etag: string;
}

interface Unit {
  code: string;
  name: string;
  placeType: string | null;
  level: UnitLevel;
  parentCode: string | null;
  childCount: number;
}

/** Distinct queries kept; the tree has ~3,400 units, so a few hundred replies are plenty. */
const MAX_REPLIES = 500;

export class UnitDirectory {
  readonly #db: Executor;
  #units: Promise<Unit[]> | undefined;
  readonly #replies = new Map<string, CachedReply>();

  constructor(db: Executor) {
    this.#db = db;
  }

  /** The JSON body `{ units }` for this filter (same rows and order as the SQL of listUnits). */
  async list(filter: UnitFilter): Promise<CachedReply> {
    const key = JSON.stringify([filter.level ?? null, filter.parent ?? null, filter.q ?? null, filter.limit]);
    const kept = this.#replies.get(key);
    if (kept) return kept;
    const units = await this.#tree();
    const q = filter.q?.toLowerCase();
    const rows: Unit[] = [];
    for (const unit of units) {
      if (rows.length >= filter.limit) break;
      if (filter.level && unit.level !== filter.level) continue;
      if (filter.parent && unit.parentCode !== filter.parent) continue;
      if (q !== undefined && !unit.name.toLowerCase().includes(q) && unit.code !== filter.q) continue;
      rows.push(unit);
    }
    const body = JSON.stringify({ units: rows });
    const reply = { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` };
    if (units.length > 0) {
      if (this.#replies.size >= MAX_REPLIES) this.#replies.clear();
      this.#replies.set(key, reply);
    }
    return reply;
  }

  #tree(): Promise<Unit[]> {
    this.#units ??= this.#load().then((units) => {
      if (units.length === 0) this.#units = undefined;
      return units;
    });
    return this.#units.catch((error: unknown) => {
      this.#units = undefined;
      throw error;
    });
  }

  async #load(): Promise<Unit[]> {
    const rows = await this.#db
      .select({ code: adminUnits.code, name: adminUnits.name, placeType: adminUnits.placeType, level: adminUnits.level, parentCode: adminUnits.parentCode })
      .from(adminUnits)
      .orderBy(asc(adminUnits.code));
    const children = new Map<string, number>();
    for (const row of rows) if (row.parentCode !== null) children.set(row.parentCode, (children.get(row.parentCode) ?? 0) + 1);
    return rows.map((row) => ({ ...row, childCount: children.get(row.code) ?? 0 }));
  }
}
