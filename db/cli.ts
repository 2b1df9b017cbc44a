/**
 * `npm run db:migrate` and `npm run db:seed`: the same steps `npm start` does at start-up, for
 * operators who run them separately (e.g. before switching DATABASE_URL in production).
 */
import { z } from 'zod';
import { openDatabase } from './client.ts';
import { databaseConfigSchema } from './config.ts';
import { seedAdministrativeTree } from './seed.ts';

const command = z.enum(['migrate', 'seed']).safeParse(process.argv[2]);
if (!command.success) {
  process.stderr.write('usage: tsx db/cli.ts migrate|seed\n');
  process.exit(2);
}
const config = databaseConfigSchema.safeParse(Object.fromEntries(Object.entries(process.env).filter(([, v]) => v)));
if (!config.success) {
  process.stderr.write(`invalid configuration:\n${config.error.issues.map((i) => `  - ${i.path.join('.')}: ${i.message}`).join('\n')}\n`);
  process.exit(2);
}

const database = await openDatabase(config.data);
try {
  if (command.data === 'seed') {
    const result = await seedAdministrativeTree(database.db);
    process.stdout.write(`seeded: ${result.unitsInserted} units and ${result.sitesInserted} sites inserted (existing rows kept)\n`);
  } else {
    process.stdout.write(`migrated (${database.driver})\n`);
  }
} finally {
  await database.close();
}
