/**
 * npm run bench:api — the API under load on loopback, on PGlite and on PostgreSQL, next to a
 * bare node:http handler and a bare ws server measured in the same run with the same settings:
 *  - autocannon, BENCH_CONNECTIONS (200) connections for BENCH_DURATION (30) seconds, on the
 *    read endpoints a meeting day leans on (signed in as a leader; no If-None-Match is sent,
 *    so every answer counted is a full 200, never a 304);
 *  - a join storm (PGlite run only): BENCH_SITES (170) communes join one meeting over /ws with
 *    their join links, spread evenly over BENCH_JOIN_WINDOW_MS (10,000), through the real SFU.
 * Prints p50, p99 and throughput, errors, and the ratio to the floor, with the load average.
 * Aims: /api/units ≥ 0.5x the floor, the meeting reads ≥ 0.1x on PostgreSQL, p99 < 1 s on
 * PGlite. It asserts nothing about time; it fails only if a request errs (the load smoke
 * test checks the same, briefly). BENCH_DRIVER=pglite|postgres runs one driver only.
 */
import os from 'node:os';
import type { Driver } from '../support/database.ts';
import { startPostgresServer } from '../support/postgres-server.ts';
import { percentile, printTable } from './measure.ts';
import { readEndpoints, runLoad, startBaseline, startLoadTarget } from './api-load.ts';

const DURATION = Number(process.env.BENCH_DURATION ?? 30);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 200);
const SITES = Number(process.env.BENCH_SITES ?? 170);
const JOIN_WINDOW_MS = Number(process.env.BENCH_JOIN_WINDOW_MS ?? 10_000);
const ONLY = process.env.BENCH_DRIVER as Driver | undefined;
// autocannon's default is 10 s. At 200 connections on the embedded database, a request's wait
// in the queue can pass that; it is still answered (nothing lost), and the max column says how late.
const TIMEOUT_SECONDS = Number(process.env.BENCH_TIMEOUT ?? 60);

const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
const out = (line: string) => process.stdout.write(`${line}\n`);

out(`API under load: ${CONNECTIONS} connections × ${DURATION} s per route, Node ${process.version}, ${os.cpus().length} CPUs, load average ${load()}`);
const baseline = await startBaseline();
const http = (url: string, headers: Record<string, string> = {}) =>
  runLoad({ kind: 'http', url, connections: CONNECTIONS, durationSeconds: DURATION, timeoutSeconds: TIMEOUT_SECONDS, headers });
let failed = false;
const pg = ONLY === 'pglite' ? null : await startPostgresServer();
if (pg) process.env.TEST_POSTGRES_URL = pg.url;
const summary: string[] = [];
try {
  const floor = await http(`${baseline.url}/api/meetings`);
  const floorOk = floor.requests - floor.non2xx;
  out(`bare node:http (floor): ${(floorOk / DURATION).toFixed(0)} req/s, p50 ${floor.p50} ms, p99 ${floor.p99} ms (load average ${load()})`);

  for (const driver of ['pglite', 'postgres'] as const) {
    if (ONLY && ONLY !== driver) continue;
    out(`\nStarting the app with the SFU (${driver}, provinces 44 and 01)…`);
    const target = await startLoadTarget({ provinces: ['44', '01'], sites: SITES, driver });
    try {
      const rows: Record<string, string | number>[] = [];
      for (const { name, path } of readEndpoints(target)) {
        const r = await http(`${target.url}${path}`, { cookie: target.cookie });
        const errors = r.errors + r.timeouts + r.non2xx;
        if (errors > 0 || r.requests === 0) failed = true;
        // Full 200 answers only: the bench sends no If-None-Match, and any other status is an error here.
        const okPerSecond = (r.requests - r.non2xx) / DURATION;
        const ratio = okPerSecond / (floorOk / DURATION);
        rows.push({
          endpoint: name,
          '200/s': okPerSecond.toFixed(0),
          p50: `${r.p50} ms`,
          p99: `${r.p99} ms`,
          max: `${r.max} ms`,
          errors,
          '× floor': `${ratio.toFixed(2)}x`,
          'load avg': load(),
        });
        summary.push(
          `${driver}: ${name} ${okPerSecond.toFixed(0)} req/s = ${ratio.toFixed(2)}x the bare handler, p50 ${r.p50} ms, p99 ${r.p99} ms (load average ${load()})`,
        );
      }
      out(
        `\nReads on ${driver}: ${CONNECTIONS} connections for ${DURATION} s each (request timeout ${TIMEOUT_SECONDS} s), loopback, one Node process serving.\n`,
      );
      printTable(rows);

      if (driver === 'pglite' || ONLY === 'postgres') {
        const storm = (url: string, origin: string) =>
          runLoad({ kind: 'join', url, origin, tokens: target.joinTokens, windowMs: JOIN_WINDOW_MS, timeoutMs: 30_000 });
        const bare = await storm(baseline.url, baseline.url);
        const real = await storm(target.url, target.url);
        if (real.errors.length || real.joined !== SITES) failed = true;
        const joinRow = (name: string, r: typeof real, floorP50?: number) => ({
          '': name,
          joined: `${r.joined}/${r.sites}`,
          errors: r.errors.length,
          p50: `${percentile(r.latencies, 50).toFixed(1)} ms`,
          p99: `${percentile(r.latencies, 99).toFixed(1)} ms`,
          max: `${Math.max(...r.latencies).toFixed(1)} ms`,
          'all joined after': `${(r.elapsedMs / 1000).toFixed(2)} s`,
          'p50 / floor': floorP50 === undefined ? '1.0x' : `${(percentile(r.latencies, 50) / floorP50).toFixed(1)}x`,
        });
        out(
          `\nJoin storm (${driver}): ${SITES} sites open /ws and join one meeting with their links, spread over ${JOIN_WINDOW_MS / 1000} s (latency = connect + join reply).\n`,
        );
        printTable([joinRow('bare ws (floor)', bare), joinRow('app + SFU', real, percentile(bare.latencies, 50))]);
        if (real.errors.length) out(`\nJoin errors: ${[...new Set(real.errors)].join('; ')}`);
      }
    } finally {
      await target.close();
    }
  }
} finally {
  await baseline.close();
  pg?.stop();
}
out(`\nSummary (floor = bare node:http in this run):\n${summary.map((l) => `  ${l}`).join('\n')}`);
if (failed) {
  out('\nFAILED: some requests or joins erred (see the errors column).');
  process.exit(1);
}
process.exit(0);
