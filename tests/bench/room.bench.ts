/**
 * npm run bench:room — what one change costs the server in a large room, on this checkout and
 * on the room before per-change reconciling (a temporary git worktree of BENCH_ROOM_BASELINE,
 * default 3ff94ec, measured in the same run). Each runs in its own process (room-run.ts) on one
 * real mediasoup worker with synthetic sites through the Room/Peer API (WebRtcTransports,
 * producers from RTP parameters, no browsers), and prints per size: Node CPU per join and per
 * leave (the worker's CPU beside it), and the time from giveFloor until every site's consumers
 * for the floor holder exist, with the load average.
 *
 * Aims: CPU per join and per leave at 3,355 sites within 1.5x of the figure at 100; a floor
 * change reaching all sites in under 1 s. Printed, never asserted.
 *
 * Environment: BENCH_ROOM_SIZES (default "100,1000,3355"), BENCH_ROOM_BASELINE_SIZES (default
 * "100,1000": the old room is O(N^2) per change and would take hours at 3,355; "" skips it),
 * BENCH_ROOM_BASELINE (a git revision), BENCH_ROOM_SAMPLES (joins and leaves timed per size, 50),
 * BENCH_ROOM_NODE_FLAGS (extra node flags for both runs, e.g. "--max-semi-space-size=64"),
 * BENCH_ROOM_PORT_BASE (WebRTC port of the worker, 43000; RTC ports base+100..base+999).
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { printTable } from './measure.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const list = (v: string | undefined, fallback: string) =>
  (v ?? fallback)
    .split(',')
    .filter(Boolean)
    .map(Number)
    .sort((a, b) => a - b);
const sizes = list(process.env['BENCH_ROOM_SIZES'], '100,1000,3355');
const baselineSizes = list(process.env['BENCH_ROOM_BASELINE_SIZES'], '100,1000');
const baseline = process.env['BENCH_ROOM_BASELINE'] ?? '3ff94ec';
const portBase = process.env['BENCH_ROOM_PORT_BASE'] ?? '43000';
for (const s of [...sizes, ...baselineSizes]) if (!Number.isInteger(s) || s < 40) throw new Error(`sizes must be integers ≥ 40, got ${s}`);

interface Row {
  size: number;
  join: { cpuMs: number; workerCpuMs: number; wallMs: number };
  leave: { cpuMs: number; workerCpuMs: number; wallMs: number };
  floorGiven: { ms: number; cpuMs: number; workerCpuMs: number; reached: number };
  floorMoved: { ms: number; cpuMs: number; workerCpuMs: number; reached: number };
  load: number[];
  rssMb: number;
}

const out = (line: string) => process.stdout.write(`${line}\n`);
const loadavg = (l = os.loadavg()) => l.map((x) => x.toFixed(1)).join(' ');

function run(label: string, tree: string, runSizes: number[]): Promise<Row[]> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const flags = (process.env['BENCH_ROOM_NODE_FLAGS'] ?? '').split(' ').filter(Boolean);
    const child = spawn(process.execPath, [...flags, '--import', 'tsx', path.join(here, 'room-run.ts'), tree, runSizes.join(','), portBase], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const rows: Row[] = [];
    let buffered = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
        const row = JSON.parse(buffered.slice(0, nl)) as Row;
        buffered = buffered.slice(nl + 1);
        rows.push(row);
        out(`  ${label}: ${row.size} sites measured after ${((Date.now() - started) / 1000).toFixed(0)} s (load ${loadavg(row.load)})`);
      }
    });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(rows) : reject(new Error(`${label} run exited with ${code}`))));
  });
}

const table = (rows: Row[], first: Row | undefined) =>
  printTable(
    rows.map((r) => ({
      sites: r.size,
      'CPU/join': `${r.join.cpuMs.toFixed(1)} ms`,
      'x at first size': first ? (r.join.cpuMs / first.join.cpuMs).toFixed(2) : '-',
      'worker CPU/join': `${r.join.workerCpuMs.toFixed(1)} ms`,
      'CPU/leave': `${r.leave.cpuMs.toFixed(1)} ms`,
      'x at first size ': first ? (r.leave.cpuMs / first.leave.cpuMs).toFixed(2) : '-',
      'floor given → all sites': `${r.floorGiven.ms.toFixed(0)} ms (${r.floorGiven.reached}/${r.size - 1})`,
      'floor CPU (Node + worker)': `${r.floorGiven.cpuMs.toFixed(0)} + ${r.floorGiven.workerCpuMs.toFixed(0)} ms`,
      'floor moved → all sites': `${r.floorMoved.ms.toFixed(0)} ms (${r.floorMoved.reached}/${r.size - 1})`,
      'move CPU (Node + worker)': `${r.floorMoved.cpuMs.toFixed(0)} + ${r.floorMoved.workerCpuMs.toFixed(0)} ms`,
      RSS: `${r.rssMb.toFixed(0)} MB`,
      load: loadavg(r.load),
    })),
  );

out(`bench:room — Node ${process.version}, ${os.cpus().length} CPUs, load average ${loadavg()}`);
out(
  `node flags: ${process.env['BENCH_ROOM_NODE_FLAGS'] || '(none)'}; sizes ${sizes.join(', ')}; baseline ${baseline} at ${baselineSizes.join(', ') || '(skipped)'}; ${process.env['BENCH_ROOM_SAMPLES'] ?? 50} joins and leaves timed per size`,
);
const current = await run('this checkout', root, sizes);

let old: Row[] = [];
if (baselineSizes.length > 0) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hoinghi-room-baseline-'));
  execFileSync('git', ['worktree', 'add', '--detach', dir, baseline], { cwd: root, stdio: 'ignore' });
  try {
    symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'));
    old = await run(`baseline ${baseline}`, dir, baselineSizes);
  } finally {
    execFileSync('git', ['worktree', 'remove', '--force', dir], { cwd: root, stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  }
}

out('\nThis checkout (Node CPU of the process holding the room; the mediasoup worker is a process apart):');
table(current, current[0]);
if (old.length > 0) {
  out(`\nBaseline ${baseline}, the room before per-change reconciling, same machine, same run:`);
  table(old, old[0]);
}
const at = (rows: Row[], size: number) => rows.find((r) => r.size === size);
const first = current[0];
const last = current.at(-1);
if (first && last) {
  out(
    `\nAims: CPU per join at ${last.size} within 1.5x of ${first.size}: ${(last.join.cpuMs / first.join.cpuMs).toFixed(2)}x; ` +
      `leave ${(last.leave.cpuMs / first.leave.cpuMs).toFixed(2)}x; floor given reaches all ${last.size - 1} other peers in ${last.floorGiven.ms.toFixed(0)} ms (aim < 1000 ms).`,
  );
}
for (const r of old) {
  const mine = at(current, r.size);
  if (mine)
    out(
      `At ${r.size} sites the baseline spends ${(r.join.cpuMs / mine.join.cpuMs).toFixed(1)}x the CPU per join, ${(r.leave.cpuMs / mine.leave.cpuMs).toFixed(1)}x per leave, ${(r.floorGiven.ms / mine.floorGiven.ms).toFixed(1)}x the floor time.`,
    );
}
out(`load average at the end ${loadavg()}`);
