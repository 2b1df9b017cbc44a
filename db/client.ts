/**
 * One database interface over two drivers: embedded PGlite (a file database under DATA_DIR,
 * the default) and postgres.js when DATABASE_URL is set. Both run the same committed drizzle
 * migrations at open, so every query in api/ is written once.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';
import { pgliteDirectory, type DatabaseConfig } from './config.ts';
import * as schema from './schema.ts';

export type Schema = typeof schema;
export type Database = PgDatabase<PgQueryResultHKT, Schema>;
/** What a transaction callback receives; usable wherever a Database is. */
export type Transaction = Parameters<Parameters<Database['transaction']>[0]>[0];
export type Executor = Database | Transaction;

export interface DatabaseHandle {
  db: Database;
  driver: 'pglite' | 'postgres';
  /**
   * PostgreSQL's LISTEN on `channel` (on a connection of its own, kept across restarts by the
   * driver): what other processes NOTIFY reaches `onPayload`. Resolves with the unlisten. PGlite
   * is one process, which hears nothing it did not do itself: a no-op there.
   */
  listen(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>>;
  /** Idempotent: closes the pool or checkpoints and closes the PGlite files. */
  close(): Promise<void>;
}

const migrationsFolder = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');

export interface OpenDatabaseOptions {
  /** PGlite only: keep the database in memory instead of DATA_DIR (tests). */
  inMemory?: boolean;
  /** Apply migrations (default true). */
  migrate?: boolean;
}

export async function openDatabase(
  config: Pick<DatabaseConfig, 'DATABASE_URL' | 'DATA_DIR' | 'DATABASE_POOL_SIZE'>,
  options: OpenDatabaseOptions = {},
): Promise<DatabaseHandle> {
  const handle = config.DATABASE_URL
    ? await openPostgres(config.DATABASE_URL, config.DATABASE_POOL_SIZE)
    : await openPglite(options.inMemory ? undefined : pgliteDirectory(config));
  if (options.migrate !== false) {
    try {
      await migrateDatabase(handle);
    } catch (error) {
      await handle.close();
      throw error;
    }
  }
  return handle;
}

async function openPostgres(url: string, poolSize: number): Promise<DatabaseHandle> {
  const { default: postgres } = await import('postgres');
  const { drizzle } = await import('drizzle-orm/postgres-js');
  const client = postgres(url, {
    max: poolSize,
    // Notices such as "relation already exists, skipping" from migrations are not problems.
    onnotice: () => {},
    connection: { application_name: 'hoinghi' },
    // Seconds before a connection tries again after failing. The driver's default grows to
    // 10-20 s after a few failures (its counter is shared by the pool), so after a PostgreSQL
    // restart the app stayed away for up to 20 s while attendance waited; capped at 1-2 s it
    // is back within about two seconds (tests/faults/postgres-crash.test.ts).
    backoff: (retries: number) => (0.5 + Math.random() / 2) * Math.min(0.1 * 2 ** retries, 2),
  });
  const db = drizzle(client, { schema }) as unknown as Database;
  let closed: Promise<void> | undefined;
  return {
    db,
    driver: 'postgres',
    listen: async (channel, onPayload) => {
      const { unlisten } = await client.listen(channel, onPayload);
      return unlisten;
    },
    close: () => (closed ??= client.end({ timeout: 5 })),
  };
}

async function openPglite(directory: string | undefined): Promise<DatabaseHandle> {
  const { PGlite } = await import('@electric-sql/pglite');
  const { drizzle } = await import('drizzle-orm/pglite');
  if (directory) await mkdir(directory, { recursive: true });
  const client = directory ? await PGlite.create(directory) : await PGlite.create();
  // What a kill -9 may not take: a commit returns only after its WAL is written to the files
  // (to the kernel; PGlite runs with fsync off, so power loss is another matter, see README).
  // This is PGlite's default; pinned because tests/faults/pglite-crash.test.ts relies on it.
  // (relaxedDurability is no concern here: it only defers syncing the browser's IndexedDB.)
  await client.exec('SET synchronous_commit = on');
  const db = drizzle(client, { schema }) as unknown as Database;
  let closed: Promise<void> | undefined;
  return {
    db,
    driver: 'pglite',
    listen: async () => async () => {},
    close: () =>
      (closed ??= (async () => {
        if (client.closed) return;
        // A checkpoint first, so the next open does not have to replay the WAL.
        await client.query('CHECKPOINT').catch(() => undefined);
        await client.close();
      })()),
  };
}

export async function migrateDatabase(handle: DatabaseHandle): Promise<void> {
  if (handle.driver === 'pglite') {
    const { migrate } = await import('drizzle-orm/pglite/migrator');
    await migrate(handle.db as never, { migrationsFolder });
  } else {
    const { migrate } = await import('drizzle-orm/postgres-js/migrator');
    await migrate(handle.db as never, { migrationsFolder });
  }
}

/** The rows of a raw `db.execute(sql…)`: postgres.js answers with the rows, PGlite with { rows }. */
export function rowsOf<T>(result: unknown): T[] {
  return (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[];
}

/** A cheap round trip, for health checks. */
export async function pingDatabase(db: Database): Promise<void> {
  await db.execute(sql`select 1`);
}
