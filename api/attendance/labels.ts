/**
 * Vietnamese labels for the ledger's codes: one place for the words leaders read, shared by
 * the CSV export and the pages so a status never reads differently in two places.
 */
import type { LeaveCause } from '../../db/attendance-event.ts';
import type { AttendanceFlag, AttendanceStatus, SiteRole } from './ledger.ts';

export const attendanceStatusLabels: Readonly<Record<AttendanceStatus, string>> = {
  'on-time': 'Có mặt đúng giờ',
  late: 'Đến muộn',
  'left-early': 'Về sớm',
  'absent-with-reason': 'Vắng có lý do',
  absent: 'Vắng không lý do',
};

export const attendanceFlagLabels: Readonly<Record<AttendanceFlag, string>> = {
  late: 'Đến muộn',
  'left-early': 'Về sớm',
};

export const siteRoleLabels: Readonly<Record<SiteRole, string>> = {
  host: 'Điểm cầu chính',
  participant: 'Điểm cầu thành phần',
};

export const leaveCauseLabels: Readonly<Record<LeaveCause, string>> = {
  left: 'Chủ động rời',
  network: 'Mất kết nối mạng',
  kicked: 'Bị chủ trì ngắt kết nối',
  'meeting-ended': 'Hội nghị kết thúc',
  'server-failure': 'Lỗi máy chủ',
  shutdown: 'Máy chủ dừng hoạt động',
};
