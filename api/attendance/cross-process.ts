/**
 * Attendance events stored by another process — a media node of a multi-node meeting writes its
 * own sites' events — reach this process's live boards and running ledgers (live-attendance.ts
 * listens through `onAttendanceStored`) as if stored here.
 *
 * The writer NOTIFYs their ids inside its transaction (store.ts), so a notice exists only for
 * committed events; this process LISTENs (PostgreSQL only: PGlite is one process), reads the
 * events by id and hands them to its listeners. A process skips its own notices, which its
 * listeners heard already. A notice lost while the listening connection reconnects is made up
 * by the live board's periodic re-read (live-attendance.ts refreshMs).
 */
import type { Logger } from 'pino';
import type { DatabaseHandle } from '../../db/client.ts';
import { ATTENDANCE_CHANNEL, AttendanceNotice, PROCESS_TAG } from './notices.ts';
import { loadEventsById, notifyStored } from './store.ts';

/** Starts hearing other processes' events; resolves with the function that stops it. */
export async function hearOtherProcessesAttendance(handle: DatabaseHandle, log: Logger): Promise<() => Promise<void>> {
  return handle.listen(ATTENDANCE_CHANNEL, (payload) => {
    let notice: AttendanceNotice;
    try {
      notice = AttendanceNotice.parse(JSON.parse(payload));
    } catch (err) {
      log.warn({ err }, 'attendance notice refused');
      return;
    }
    if (notice.from === PROCESS_TAG) return;
    loadEventsById(handle.db, notice.ids).then(
      (events) => notifyStored(handle.db, events),
      (err: unknown) => log.warn({ err }, 'attendance events of another process not read; the live board re-reads them later'),
    );
  });
}
