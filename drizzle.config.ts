import { defineConfig } from 'drizzle-kit';
import { databaseConfigSchema, pgliteDirectory } from './db/config.ts';

// Same schema and defaults as the app: drizzle-kit talks to the database the app would use.
const config = databaseConfigSchema.parse(process.env);

export default defineConfig({
  dialect: 'postgresql',
  schema: './db/schema.ts',
  out: './db/migrations',
  ...(config.DATABASE_URL ? { dbCredentials: { url: config.DATABASE_URL } } : { driver: 'pglite', dbCredentials: { url: pgliteDirectory(config) } }),
});
