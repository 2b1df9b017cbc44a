/**
 * The database part of the configuration. The app composes every part's schema and parses the
 * environment once at start-up (api/config.ts); drizzle.config.ts reuses this schema.
 */
import path from 'node:path';
import { z } from 'zod';

export const databaseConfigSchema = z.object({
  /** postgres://… switches from the embedded PGlite file database to a PostgreSQL server. */
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  /** Folder for everything the embedded default keeps on disk (PGlite files, mail outbox). */
  DATA_DIR: z.string().min(1).default('./data'),
  /** Connections in the postgres.js pool (ignored by PGlite, which has one). */
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(10),
});
export type DatabaseConfig = z.infer<typeof databaseConfigSchema>;

export function pgliteDirectory(config: Pick<DatabaseConfig, 'DATA_DIR'>): string {
  return path.resolve(config.DATA_DIR, 'pglite');
}
