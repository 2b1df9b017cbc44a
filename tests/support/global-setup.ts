/**
 * Vitest global setup: the browser assets built from the current sources, and one PostgreSQL
 * server for the whole run (or the one named by TEST_POSTGRES_URL), handed to test files
 * through `inject('postgresUrl')`.
 */
import type { TestProject } from 'vitest/node';
import { buildWebAssets } from '../../web/build-assets.ts';
import { startPostgresServer } from './postgres-server.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string;
  }
}

export default async function setup(project: TestProject) {
  // `npm test` has just run `npm run build:web`; `npx vitest run <file>` has not, and must not
  // test pages against bundles of older sources.
  if (process.env.npm_lifecycle_event !== 'test') await buildWebAssets();
  const given = process.env.TEST_POSTGRES_URL;
  if (given) {
    project.provide('postgresUrl', given);
    return;
  }
  const server = await startPostgresServer();
  project.provide('postgresUrl', server.url);
  return () => server.stop();
}
