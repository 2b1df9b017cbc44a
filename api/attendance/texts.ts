/**
 * The words of attendance that leave the server: the ledger's statuses, flags, roles and leave
 * causes, and the CSV's column headers. One namespace for the CSV export, the pages and the
 * printed roll-call record, so a status never reads differently in two places.
 */
import type { LeaveCause } from '../../db/attendance-event.ts';
import { capitalize, term } from '../i18n/glossary.ts';
import { defineTexts, translator, type Lang } from '../i18n/translator.ts';
import type { AttendanceFlag, AttendanceStatus, SiteRole } from './ledger.ts';

export const attendanceLedgerTexts = defineTexts({
  'status.on-time': { vi: 'Có mặt đúng giờ', en: 'On time' },
  'status.late': { vi: 'Đến muộn', en: 'Late' },
  'status.left-early': { vi: 'Về sớm', en: 'Left early' },
  'status.absent-with-reason': { vi: 'Vắng có lý do', en: 'Absent, excused' },
  'status.absent': { vi: 'Vắng không lý do', en: 'Absent, no reason' },
  'flag.late': { vi: 'Đến muộn', en: 'Late' },
  'flag.left-early': { vi: 'Về sớm', en: 'Left early' },
  'role.host': { vi: capitalize(term.hostSite.vi), en: capitalize(term.hostSite.en) },
  'role.participant': { vi: capitalize(term.participantSite.vi), en: capitalize(term.participantSite.en) },
  'cause.left': { vi: 'Chủ động rời', en: 'Left' },
  'cause.network': { vi: 'Mất kết nối mạng', en: 'Network lost' },
  'cause.kicked': { vi: `Bị ${term.hostSite.vi} ngắt kết nối`, en: `Disconnected by the ${term.hostSite.en}` },
  'cause.meeting-ended': { vi: `${capitalize(term.meeting.vi)} kết thúc`, en: 'Meeting ended' },
  'cause.server-failure': { vi: 'Lỗi máy chủ', en: 'Server failure' },
  'cause.shutdown': { vi: 'Máy chủ dừng hoạt động', en: 'Server stopped' },
  stillConnected: { vi: 'Đang kết nối', en: 'Still connected' },
  'csv.fileName': { vi: `${capitalize(term.attendance.vi)} - {title} - {day}.csv`, en: 'Attendance - {title} - {day}.csv' },
  'csv.no': { vi: 'STT', en: 'No.' },
  'csv.site': { vi: capitalize(term.site.vi), en: capitalize(term.site.en) },
  'csv.unit': { vi: capitalize(term.unit.vi), en: capitalize(term.unit.en) },
  'csv.role': { vi: 'Vai trò', en: 'Role' },
  'csv.status': { vi: 'Trạng thái', en: 'Status' },
  'csv.flags': { vi: 'Đến muộn / về sớm', en: 'Late / left early' },
  'csv.firstJoin': { vi: 'Giờ vào đầu tiên', en: 'First join' },
  'csv.lastLeave': { vi: 'Giờ rời cuối', en: 'Last leave' },
  'csv.minutes': { vi: 'Số phút kết nối', en: 'Minutes connected' },
  'csv.drops': { vi: 'Số lần rớt mạng', en: 'Drops' },
  'csv.longestGap': { vi: 'Gián đoạn dài nhất (phút)', en: 'Longest gap (min)' },
  'csv.medianLoss': { vi: 'Tỷ lệ mất gói trung vị (%)', en: 'Median packet loss (%)' },
  'csv.rttP95': { vi: 'RTT p95 (ms)', en: 'RTT p95 (ms)' },
  'csv.absenceReason': { vi: 'Lý do vắng', en: 'Reason for absence' },
});

export function statusLabel(status: AttendanceStatus, lang: Lang): string {
  return translator(attendanceLedgerTexts, lang)(`status.${status}`);
}

export function flagLabel(flag: AttendanceFlag, lang: Lang): string {
  return translator(attendanceLedgerTexts, lang)(`flag.${flag}`);
}

export function siteRoleLabel(role: SiteRole, lang: Lang): string {
  return translator(attendanceLedgerTexts, lang)(`role.${role}`);
}

export function leaveCauseLabel(cause: LeaveCause, lang: Lang): string {
  return translator(attendanceLedgerTexts, lang)(`cause.${cause}`);
}
