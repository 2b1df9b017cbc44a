/**
 * Texts of the attendance pages (report, live board, dashboard), Vietnamese by default. Kept
 * apart from web/i18n.ts so the attendance pages can grow their vocabulary without touching
 * the core dictionary. Status words in Vietnamese are the ledger's own labels (labels.ts), so
 * the page, the CSV and the printed record use the same words.
 */
import type { LeaveCause } from '../../db/attendance-event.ts';
import type { Lang } from '../../api/context.ts';
import { attendanceStatusLabels, leaveCauseLabels } from '../../api/attendance/labels.ts';
import type { AttendanceStatus } from '../../api/attendance/ledger.ts';
import type { LiveGroup } from '../../api/attendance/live-board.ts';

const texts = {
  attendance: { vi: 'Điểm danh', en: 'Attendance' },
  attendanceReport: { vi: 'Báo cáo điểm danh', en: 'Attendance report' },
  recordTitle: { vi: 'BIÊN BẢN ĐIỂM DANH', en: 'ATTENDANCE RECORD' },
  nationalMotto1: { vi: 'CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM', en: 'SOCIALIST REPUBLIC OF VIETNAM' },
  nationalMotto2: { vi: 'Độc lập - Tự do - Hạnh phúc', en: 'Independence - Freedom - Happiness' },
  meetingTitle: { vi: 'Hội nghị', en: 'Meeting' },
  scheduledTime: { vi: 'Thời gian theo lịch', en: 'Scheduled time' },
  actualTime: { vi: 'Thời gian thực tế', en: 'Actual time' },
  hostSite: { vi: 'Điểm cầu chủ trì', en: 'Host site' },
  meetingStatus: { vi: 'Tình trạng', en: 'Status' },
  cancelledMeeting: { vi: 'Đã hủy', en: 'Cancelled' },
  phase_notStarted: { vi: 'Chưa bắt đầu', en: 'Not started' },
  phase_running: { vi: 'Đang diễn ra', en: 'In progress' },
  phase_ended: { vi: 'Đã kết thúc', en: 'Ended' },
  generatedAt: { vi: 'Lập lúc', en: 'Generated at' },
  thresholdsNote: { vi: 'Đến muộn: vào sau giờ bắt đầu quá {late} phút; về sớm: rời trước giờ kết thúc quá {early} phút.', en: 'Late: joined more than {late} min after the start; left early: left more than {early} min before the end.' },
  totals: { vi: 'Tổng hợp', en: 'Summary' },
  invited: { vi: 'Điểm cầu được mời', en: 'Sites invited' },
  present: { vi: 'Có mặt', en: 'Present' },
  late: { vi: 'Đến muộn', en: 'Late' },
  leftEarly: { vi: 'Về sớm', en: 'Left early' },
  absentWithReason: { vi: 'Vắng có lý do', en: 'Absent, excused' },
  absentWithoutReason: { vi: 'Vắng không lý do', en: 'Absent, no reason' },
  attendanceRate: { vi: 'Tỷ lệ tham dự', en: 'Attendance rate' },
  totalsNote: { vi: 'Không tính điểm cầu chủ trì.', en: 'The host site is not counted.' },
  no: { vi: 'STT', en: 'No.' },
  site: { vi: 'Điểm cầu', en: 'Site' },
  unit: { vi: 'Đơn vị', en: 'Unit' },
  status: { vi: 'Trạng thái', en: 'Status' },
  firstJoin: { vi: 'Vào lúc', en: 'First join' },
  lastLeave: { vi: 'Rời lúc', en: 'Last leave' },
  minutes: { vi: 'Số phút', en: 'Minutes' },
  drops: { vi: 'Rớt mạng', en: 'Drops' },
  longestGap: { vi: 'Gián đoạn dài nhất (phút)', en: 'Longest gap (min)' },
  quality: { vi: 'Chất lượng đường truyền', en: 'Line quality' },
  lossShort: { vi: 'mất gói', en: 'loss' },
  notes: { vi: 'Ghi chú', en: 'Notes' },
  hostMark: { vi: 'Chủ trì', en: 'Host' },
  stillConnected: { vi: 'Đang kết nối', en: 'Still connected' },
  downloadCsv: { vi: 'Tải tệp CSV (Excel)', en: 'Download CSV (Excel)' },
  downloadCsvVi: { vi: 'CSV cho Excel tiếng Việt (;)', en: 'CSV for Vietnamese Excel (;)' },
  print: { vi: 'In biên bản', en: 'Print record' },
  liveBoard: { vi: 'Theo dõi trực tiếp', en: 'Live board' },
  meetingPage: { vi: 'Thông tin cuộc họp', en: 'Meeting details' },
  preparedBy: { vi: 'Người lập biên bản', en: 'Prepared by' },
  chairedBy: { vi: 'Chủ trì cuộc họp', en: 'Chaired by' },
  signHint: { vi: '(Ký, ghi rõ họ tên)', en: '(Signature and full name)' },
  noSites: { vi: 'Không có điểm cầu nào.', en: 'No sites.' },
  // Live board
  connected: { vi: 'Đang kết nối', en: 'Connected' },
  dropped: { vi: 'Mất kết nối / đã rời', en: 'Dropped or left' },
  notJoined: { vi: 'Chưa vào', en: 'Not joined yet' },
  since: { vi: 'Từ', en: 'Since' },
  contact: { vi: 'Liên hệ', en: 'Contact' },
  declined: { vi: 'Đã báo vắng', en: 'Declined' },
  updatedAt: { vi: 'Cập nhật', en: 'Updated' },
  liveHint: { vi: 'Tự động cập nhật mỗi 5 giây.', en: 'Updates every 5 seconds.' },
  liveStale: { vi: 'Mất kết nối tới máy chủ, đang thử lại…', en: 'Lost contact with the server, retrying…' },
  openReport: { vi: 'Xem biên bản điểm danh', en: 'Open the attendance record' },
  // Dashboard
  dashboard: { vi: 'Tổng hợp điểm danh', en: 'Attendance dashboard' },
  fromDate: { vi: 'Từ ngày', en: 'From' },
  toDate: { vi: 'Đến ngày', en: 'To' },
  province: { vi: 'Tỉnh, thành phố', en: 'Province' },
  allProvinces: { vi: 'Toàn quốc', en: 'Whole country' },
  apply: { vi: 'Xem', en: 'Show' },
  meetingsCounted: { vi: 'Cuộc họp', en: 'Meetings' },
  communes: { vi: 'Xã, phường', en: 'Communes' },
  invitations: { vi: 'Lượt mời', en: 'Invitations' },
  absent: { vi: 'Vắng', en: 'Absent' },
  chronicAbsentees: { vi: 'Vắng nhiều lần', en: 'Chronic absentees' },
  qualityHotspots: { vi: 'Đường truyền kém', en: 'Poor lines' },
  lateArrivals: { vi: 'Hay đến muộn', en: 'Late arrivals' },
  rateChartByProvince: { vi: 'Tỷ lệ tham dự theo tỉnh, thành phố', en: 'Attendance rate by province' },
  rateChartByCommune: { vi: 'Tỷ lệ tham dự theo xã, phường (thấp nhất trước)', en: 'Attendance rate by commune (lowest first)' },
  commune: { vi: 'Xã, phường', en: 'Commune' },
  invitedTimes: { vi: 'Được mời', en: 'Invited' },
  attended: { vi: 'Tham dự', en: 'Attended' },
  lateTimes: { vi: 'Lần muộn', en: 'Times late' },
  absentTimes: { vi: 'Lần vắng', en: 'Times absent' },
  medianLoss: { vi: 'Mất gói trung vị (%)', en: 'Median loss (%)' },
  medianRtt: { vi: 'RTT trung vị (ms)', en: 'Median RTT (ms)' },
  meetings: { vi: 'Các cuộc họp', en: 'Meetings' },
  time: { vi: 'Thời gian', en: 'Time' },
  none: { vi: 'Không có.', en: 'None.' },
  noMeetingsInRange: { vi: 'Không có cuộc họp nào đã kết thúc trong khoảng thời gian này.', en: 'No meeting ended in this range.' },
  chronicRule: { vi: 'Vắng từ {n} lần trở lên, hoặc tham dự dưới {rate}% khi được mời từ {min} lần.', en: 'Absent {n} times or more, or attended under {rate}% once invited {min} times.' },
  hotspotRule: { vi: 'Trung vị mất gói từ {loss}% hoặc RTT từ {rtt} ms, qua ít nhất {m} cuộc họp.', en: 'Median loss of {loss}% or more, or RTT of {rtt} ms or more, over at least {m} meetings.' },
  allCommunes: { vi: 'Tất cả xã, phường (thấp nhất trước)', en: 'All communes (lowest first)' },
  showingFirst: { vi: 'Hiển thị {n} dòng đầu; chọn một tỉnh để xem đủ.', en: 'Showing the first {n} rows; choose a province to see all.' },
  report: { vi: 'Báo cáo', en: 'Reports' },
  excusedShort: { vi: 'có lý do', en: 'excused' },
} as const satisfies Record<string, Record<Lang, string>>;

export type AttendanceTextKey = keyof typeof texts;
export type AttendanceTranslate = (key: AttendanceTextKey, values?: Record<string, string | number>) => string;

export function attendanceTranslator(lang: Lang): AttendanceTranslate {
  return (key, values) => {
    let text: string = texts[key][lang];
    for (const [name, value] of Object.entries(values ?? {})) text = text.replaceAll(`{${name}}`, String(value));
    return text;
  };
}

const englishStatus: Record<AttendanceStatus, string> = {
  'on-time': 'On time',
  late: 'Late',
  'left-early': 'Left early',
  'absent-with-reason': 'Absent, excused',
  absent: 'Absent, no reason',
};

export function statusLabel(status: AttendanceStatus, lang: Lang): string {
  return lang === 'vi' ? attendanceStatusLabels[status] : englishStatus[status];
}

const englishCause: Record<LeaveCause, string> = {
  left: 'Left',
  network: 'Network lost',
  kicked: 'Disconnected by the host',
  'meeting-ended': 'Meeting ended',
  'server-failure': 'Server failure',
  shutdown: 'Server stopped',
};

export function leaveCauseLabel(cause: LeaveCause, lang: Lang): string {
  return lang === 'vi' ? leaveCauseLabels[cause] : englishCause[cause];
}

export function liveGroupLabel(group: LiveGroup, lang: Lang): string {
  const t = attendanceTranslator(lang);
  return group === 'connected' ? t('connected') : group === 'dropped' ? t('dropped') : t('notJoined');
}

/** "61,5 %" in Vietnamese, "61.5%" in English. */
export function formatPercent(fraction: number | null, lang: Lang): string {
  if (fraction === null) return '–';
  const value = (fraction * 100).toFixed(1);
  return lang === 'vi' ? `${value.replace('.', ',')} %` : `${value}%`;
}

/** A configured figure such as a threshold, with the digits it has: "0,1" in Vietnamese, "0.1" in English. */
export function formatFigure(value: number, lang: Lang): string {
  return lang === 'vi' ? String(value).replace('.', ',') : String(value);
}

export function formatNumber(value: number | null | undefined, digits: number, lang: Lang): string {
  if (value === null || value === undefined) return '–';
  const text = value.toFixed(digits);
  return lang === 'vi' ? text.replace('.', ',') : text;
}
