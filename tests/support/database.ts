/**
 * Chooses the database driver for a test: an in-memory PGlite, or a fresh database on the run's
 * PostgreSQL server. Suites call `describe.each(DRIVERS)` so the same assertions run on both.
 */
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { inject } from 'vitest';
import { openDatabase, type DatabaseHandle } from '../../db/client.ts';

export type Driver = 'pglite' | 'postgres';
export const DRIVERS: Driver[] = ['pglite', 'postgres'];

export interface TestDatabase extends DatabaseHandle {
  /** postgres:// URL of this test's database (PostgreSQL driver only). */
  url?: string;
}

export async function openTestDatabase(driver: Driver): Promise<TestDatabase> {
  if (driver === 'pglite') return openDatabase({ DATA_DIR: '/nonexistent', DATABASE_POOL_SIZE: 1 }, { inMemory: true });
  // Benches run outside vitest and bring their own server (TEST_POSTGRES_URL).
  const serverUrl = process.env.VITEST ? inject('postgresUrl') : process.env.TEST_POSTGRES_URL;
  if (!serverUrl) throw new Error('no PostgreSQL server: run under vitest, or set TEST_POSTGRES_URL');
  const name = `hoinghi_test_${randomBytes(6).toString('hex')}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = serverUrl.replace(/\/[^/]*$/, `/${name}`);
  const handle = await openDatabase({ DATABASE_URL: url, DATA_DIR: '/nonexistent', DATABASE_POOL_SIZE: 5 });
  let dropped: Promise<void> | undefined;
  return {
    ...handle,
    url,
    close: () =>
      (dropped ??= (async () => {
        await handle.close();
        const again = postgres(serverUrl, { max: 1, onnotice: () => {} });
        try {
          await again.unsafe(`drop database if exists ${name} with (force)`);
        } finally {
          await again.end();
        }
      })()),
  };
}
