/**
 * npm run bench:api — the API under load on loopback, next to a bare node:http handler and a
 * bare ws server measured in the same run with the same settings:
 *  - autocannon, BENCH_CONNECTIONS (200) connections for BENCH_DURATION (30) seconds, on the
 *    read endpoints a meeting day leans on (signed in as a leader);
 *  - a join storm: BENCH_SITES (170) communes join one meeting over /ws with their join links,
 *    spread evenly over BENCH_JOIN_WINDOW_MS (10,000), through the real SFU.
 * Prints p50, p99 and throughput, errors, and the ratio to the floor. It asserts nothing about
 * time; it fails only if a request errs (the load smoke test checks the same, briefly).
 */
import { percentile, printTable } from './measure.ts';
import { readEndpoints, runLoad, startBaseline, startLoadTarget } from './api-load.ts';

const DURATION = Number(process.env.BENCH_DURATION ?? 30);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 200);
const SITES = Number(process.env.BENCH_SITES ?? 170);
const JOIN_WINDOW_MS = Number(process.env.BENCH_JOIN_WINDOW_MS ?? 10_000);
// autocannon's default is 10 s. At 200 connections on the embedded database, a request's wait
// in the queue can pass that; it is still answered (nothing lost), and the max column says how late.
const TIMEOUT_SECONDS = Number(process.env.BENCH_TIMEOUT ?? 60);

process.stdout.write(`Starting the app with the SFU (PGlite, provinces 44 and 01) and the baseline…\n`);
const target = await startLoadTarget({ provinces: ['44', '01'], sites: SITES });
const baseline = await startBaseline();
let failed = false;
try {
  const http = (url: string, headers: Record<string, string> = {}) => runLoad({ kind: 'http', url, connections: CONNECTIONS, durationSeconds: DURATION, timeoutSeconds: TIMEOUT_SECONDS, headers });
  const rows: Record<string, string | number>[] = [];
  const floor = await http(`${baseline.url}/api/meetings`);
  rows.push({ endpoint: 'bare node:http (floor)', requests: floor.requests, 'req/s': floor.rps.toFixed(0), p50: `${floor.p50} ms`, p99: `${floor.p99} ms`, max: `${floor.max} ms`, errors: floor.errors + floor.timeouts + floor.non2xx, 'p50 / floor': '1.0x', 'req/s / floor': '1.00' });
  for (const { name, path } of readEndpoints(target)) {
    const r = await http(`${target.url}${path}`, { cookie: target.cookie });
    const errors = r.errors + r.timeouts + r.non2xx;
    if (errors > 0 || r.requests === 0) failed = true;
    rows.push({
      endpoint: name,
      requests: r.requests,
      'req/s': r.rps.toFixed(0),
      p50: `${r.p50} ms`,
      p99: `${r.p99} ms`,
      max: `${r.max} ms`,
      errors,
      'p50 / floor': `${(r.p50 / Math.max(floor.p50, 1)).toFixed(1)}x`,
      'req/s / floor': (r.rps / floor.rps).toFixed(2),
    });
  }
  process.stdout.write(`\nReads: ${CONNECTIONS} connections for ${DURATION} s each (request timeout ${TIMEOUT_SECONDS} s), loopback, one Node process serving (PGlite in memory).\n\n`);
  printTable(rows);

  const storm = (url: string, origin: string) => runLoad({ kind: 'join', url, origin, tokens: target.joinTokens, windowMs: JOIN_WINDOW_MS, timeoutMs: 30_000 });
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
  process.stdout.write(`\nJoin storm: ${SITES} sites open /ws and join one meeting with their links, spread over ${JOIN_WINDOW_MS / 1000} s (latency = connect + join reply).\n\n`);
  printTable([joinRow('bare ws (floor)', bare), joinRow('app + SFU', real, percentile(bare.latencies, 50))]);
  if (real.errors.length) process.stdout.write(`\nJoin errors: ${[...new Set(real.errors)].join('; ')}\n`);
} finally {
  await baseline.close();
  await target.close();
}
if (failed) {
  process.stdout.write('\nFAILED: some requests or joins erred (see the errors column).\n');
  process.exit(1);
}
process.exit(0);
