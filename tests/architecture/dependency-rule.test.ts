/**
 * The dependency rule (docs/ARCHITECTURE.md, .dependency-cruiser.cjs) holds for the tree, and
 * the check really refuses an upward import and a cycle: probe files that break it are cruised
 * and must be reported.
 */
import { execFile } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');
const bin = path.join(root, 'node_modules/.bin/depcruise');

interface Violation {
  rule: { name: string };
  from: string;
  to: string;
}

async function violations(...paths: string[]): Promise<Violation[]> {
  // depcruise exits non-zero when it finds violations; the JSON report is printed either way.
  const out = await run(bin, [...paths, '--config', '.dependency-cruiser.cjs', '--output-type', 'json'], { cwd: root, maxBuffer: 64 * 1024 * 1024 }).catch(
    (error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }),
  );
  return (JSON.parse(out.stdout) as { summary: { violations: Violation[] } }).summary.violations;
}

const probeDir = path.join(root, 'db', `.dependency-probe-${process.pid}`);
afterAll(() => rm(probeDir, { recursive: true, force: true }));

describe('the dependency rule', () => {
  it('holds for every folder', async () => {
    expect(await violations('server', 'web', 'api', 'sfu', 'db', 'tests')).toEqual([]);
  }, 120_000);

  it('refuses an upward import and a cycle', async () => {
    await mkdir(probeDir, { recursive: true });
    await writeFile(path.join(probeDir, 'upward.ts'), "import { NotFoundError } from '../../api/errors.ts';\nexport const probe = NotFoundError;\n");
    await writeFile(path.join(probeDir, 'ping.ts'), "import { pong } from './pong.ts';\nexport const ping = () => pong;\n");
    await writeFile(path.join(probeDir, 'pong.ts'), "import { ping } from './ping.ts';\nexport const pong = () => ping;\n");
    const found = await violations(path.relative(root, probeDir));
    expect([...new Set(found.map((v) => v.rule.name))].sort()).toEqual(['db-is-the-bottom', 'no-circular']);
  }, 120_000);
});
