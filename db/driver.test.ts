/**
 * The PostgreSQL driver is the vendored, repaired build (db/vendor/README.md), installed as-is
 * by `npm ci`: this fails if the dependency falls back to the registry's unrepaired copy.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
// The package exports no ./package.json: walk up from its entry point.
let root = path.dirname(require.resolve('postgres'));
while (path.basename(root) !== 'postgres') root = path.dirname(root);

describe('the installed postgres.js', () => {
  it('is the vendored 3.4.9 build with the nextWrite guard in both module formats', () => {
    expect(JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).version).toBe('3.4.9+hoinghi.1');
    for (const file of ['src/connection.js', 'cjs/src/connection.js']) {
      expect(readFileSync(path.join(root, file), 'utf8')).toContain('/* hoinghi: nextWrite guard */');
    }
  });
});
