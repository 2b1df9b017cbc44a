/**
 * Child process for tests/faults/pglite-crash.test.ts: opens the PGlite database in DATA_DIR the
 * way the app does (openDatabase, migrations included), checks that every event id the test has
 * seen acknowledged is stored, then writes attendance events through the app's attendance writer until it
 * is killed. One JSON line per step on stdout:
 *   {"step":"opened","ms":…}                    the database opened (after any crash recovery)
 *   {"step":"verified","acked":n,"missing":[…]} acknowledged ids not found (must be none)
 *   {"step":"ack","ids":[…]}                    ids whose record() resolved: they are committed
 *   {"step":"damaged","error":"…"}              the database could not be opened (exit 3)
 * An id is printed only after its write returned; a kill before the line is flushed only makes
 * the test see fewer acknowledgements, never more.
 *
 *   node --import tsx pglite-writer-child.ts <dataDir> <meetingId> <siteId> <ackedFile> <prefix>
 */
import { readFileSync } from 'node:fs';
import { inArray } from 'drizzle-orm';
import { pino } from 'pino';
import { createAttendanceWriter } from '../../api/attendance/writer.ts';
import { openDatabase } from '../../db/client.ts';
import { attendanceEvents } from '../../db/schema.ts';

const [dataDir, meetingId, siteId, ackedFile, prefix] = process.argv.slice(2) as [string, string, string, string, string];
const say = (line: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(line)}\n`);

const started = Date.now();
let database;
try {
  database = await openDatabase({ DATA_DIR: dataDir, DATABASE_POOL_SIZE: 1 });
} catch (error) {
  say({ step: 'damaged', error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
  process.exit(3);
}
say({ step: 'opened', ms: Date.now() - started });

const acked = readFileSync(ackedFile, 'utf8').split('\n').filter(Boolean);
const present = new Set<string>();
for (let i = 0; i < acked.length; i += 1000) {
  const rows = await database.db
    .select({ id: attendanceEvents.eventId })
    .from(attendanceEvents)
    .where(inArray(attendanceEvents.eventId, acked.slice(i, i + 1000)));
  for (const r of rows) present.add(r.id);
}
say({ step: 'verified', acked: acked.length, missing: acked.filter((id) => !present.has(id)).slice(0, 20) });

const writer = createAttendanceWriter({ db: database.db, logger: pino({ level: 'silent' }) }, { flushDelayMs: 5, maxBatch: 50 });
for (let round = 0; ; round++) {
  // 25 sites' connections report at once, as the SFU does; the attendance writer batches them.
  const batch = Array.from({ length: 25 }, (_, k) => `${prefix}:${round}:${k}`);
  await Promise.all(
    batch.map((eventId, k) =>
      writer.record({
        kind: 'quality',
        eventId,
        meetingId,
        siteId,
        at: new Date(),
        connectionId: `${prefix}:${k}`,
        bitrateKbps: 900,
        lossPercent: 0.4,
        rttMs: 35,
        jitterMs: 3,
      }),
    ),
  );
  say({ step: 'ack', ids: batch });
}
