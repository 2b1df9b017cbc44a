/**
 * Child process for api/attendance/cross-process.test.ts: another process of the same
 * PostgreSQL (as a media node is) storing attendance events through the app's store.
 *
 *   node --import tsx attendance-writer-child.ts <databaseUrl> <eventsJson>
 *
 * Prints {"stored":n} once they are committed, then exits.
 */
import { recordAttendanceEvents } from '../../api/attendance/store.ts';
import { AttendanceEvent } from '../../db/attendance-event.ts';
import { openDatabase } from '../../db/client.ts';

const [databaseUrl, eventsJson] = process.argv.slice(2) as [string, string];
const events = AttendanceEvent.array().parse(JSON.parse(eventsJson));
const database = await openDatabase({ DATABASE_URL: databaseUrl, DATA_DIR: '/nonexistent', DATABASE_POOL_SIZE: 1 }, { migrate: false });
const { inserted } = await recordAttendanceEvents(database.db, events);
process.stdout.write(`${JSON.stringify({ stored: inserted })}\n`);
await database.close();
