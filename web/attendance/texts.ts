/**
 * Texts of the attendance pages (report, live board, dashboard). The ledger's own words
 * (statuses, leave causes, roles) live in api/attendance/texts.ts, shared with the CSV export;
 * domain terms come from the glossary.
 */
import { capitalize, term } from '../../api/i18n/glossary.ts';
import { defineTexts, translator, type Lang, type Translate } from '../../api/i18n/translator.ts';
import type { LiveGroup } from '../../api/attendance/live-board.ts';

export const attendanceTexts = defineTexts({
  attendance: { vi: capitalize(term.attendance.vi), en: capitalize(term.attendance.en) },
  attendanceReport: { vi: `Báo cáo ${term.attendance.vi}`, en: 'Attendance report' },
  recordTitle: { vi: term.rollCallRecord.vi.toUpperCase(), en: term.rollCallRecord.en.toUpperCase() },
  nationalMotto1: { vi: 'CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM', en: 'SOCIALIST REPUBLIC OF VIETNAM' },
  nationalMotto2: { vi: 'Độc lập - Tự do - Hạnh phúc', en: 'Independence - Freedom - Happiness' },
  meetingTitle: { vi: capitalize(term.conference.vi), en: capitalize(term.meeting.en) },
  scheduledTime: { vi: 'Thời gian theo lịch', en: 'Scheduled time' },
  actualTime: { vi: 'Thời gian thực tế', en: 'Actual time' },
  hostSite: { vi: capitalize(term.hostSite.vi), en: capitalize(term.hostSite.en) },
  meetingStatus: { vi: 'Tình trạng', en: 'Status' },
  cancelledMeeting: { vi: 'Đã hủy', en: 'Cancelled' },
  phase_notStarted: { vi: 'Chưa bắt đầu', en: 'Not started' },
  phase_running: { vi: 'Đang diễn ra', en: 'In progress' },
  phase_ended: { vi: 'Đã kết thúc', en: 'Ended' },
  generatedAt: { vi: 'Lập lúc', en: 'Generated at' },
  thresholdsNote: {
    vi: 'Đến muộn: vào sau giờ bắt đầu quá {late} phút; về sớm: rời trước giờ kết thúc quá {early} phút.',
    en: 'Late: joined more than {late} min after the start; left early: left more than {early} min before the end.',
  },
  totals: { vi: 'Tổng hợp', en: 'Summary' },
  invited: { vi: `${capitalize(term.site.vi)} được mời`, en: 'Sites invited' },
  present: { vi: 'Có mặt', en: 'Present' },
  late: { vi: 'Đến muộn', en: 'Late' },
  leftEarly: { vi: 'Về sớm', en: 'Left early' },
  absentWithReason: { vi: 'Vắng có lý do', en: 'Absent, excused' },
  absentWithoutReason: { vi: 'Vắng không lý do', en: 'Absent, no reason' },
  attendanceRate: { vi: 'Tỷ lệ tham dự', en: 'Attendance rate' },
  totalsNote: { vi: `Không tính ${term.hostSite.vi}.`, en: `The ${term.hostSite.en} is not counted.` },
  no: { vi: 'STT', en: 'No.' },
  site: { vi: capitalize(term.site.vi), en: capitalize(term.site.en) },
  unit: { vi: capitalize(term.unit.vi), en: capitalize(term.unit.en) },
  status: { vi: 'Trạng thái', en: 'Status' },
  firstJoin: { vi: 'Vào lúc', en: 'First join' },
  lastLeave: { vi: 'Rời lúc', en: 'Last leave' },
  minutes: { vi: 'Số phút', en: 'Minutes' },
  drops: { vi: 'Rớt mạng', en: 'Drops' },
  longestGap: { vi: 'Gián đoạn dài nhất (phút)', en: 'Longest gap (min)' },
  quality: { vi: 'Chất lượng đường truyền', en: 'Line quality' },
  lossShort: { vi: 'mất gói', en: 'loss' },
  notes: { vi: 'Ghi chú', en: 'Notes' },
  delegate: { vi: 'Người dự họp', en: 'Delegate' },
  hostMark: { vi: capitalize(term.hostSite.vi), en: capitalize(term.hostSite.en) },
  stillConnected: { vi: 'Đang kết nối', en: 'Still connected' },
  downloadCsv: { vi: 'Tải tệp CSV (Excel)', en: 'Download CSV (Excel)' },
  downloadCsvVi: { vi: 'CSV cho Excel tiếng Việt (;)', en: 'CSV for Vietnamese Excel (;)' },
  print: { vi: 'In biên bản', en: 'Print record' },
  liveBoard: { vi: 'Theo dõi trực tiếp', en: 'Live board' },
  meetingPage: { vi: `Thông tin ${term.meeting.vi}`, en: 'Meeting details' },
  preparedBy: { vi: 'Người lập biên bản', en: 'Prepared by' },
  chairedBy: { vi: `Chủ trì ${term.meeting.vi}`, en: 'Chaired by' },
  signHint: { vi: '(Ký, ghi rõ họ tên)', en: '(Signature and full name)' },
  noSites: { vi: `Không có ${term.site.vi} nào.`, en: 'No sites.' },
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
  openReport: { vi: `Xem ${term.rollCallRecord.vi}`, en: `Open the ${term.rollCallRecord.en}` },
  // Dashboard
  dashboard: { vi: `Tổng hợp ${term.attendance.vi}`, en: 'Attendance dashboard' },
  fromDate: { vi: 'Từ ngày', en: 'From' },
  toDate: { vi: 'Đến ngày', en: 'To' },
  province: { vi: capitalize(term.province.vi), en: capitalize(term.province.en) },
  allProvinces: { vi: 'Toàn quốc', en: 'Whole country' },
  apply: { vi: 'Xem', en: 'Show' },
  meetingsCounted: { vi: 'Cuộc họp', en: 'Meetings' },
  communes: { vi: capitalize(term.communes.vi), en: capitalize(term.communes.en) },
  invitations: { vi: 'Lượt mời', en: 'Invitations' },
  absent: { vi: 'Vắng', en: 'Absent' },
  chronicAbsentees: { vi: 'Vắng nhiều lần', en: 'Chronic absentees' },
  qualityHotspots: { vi: 'Đường truyền kém', en: 'Poor lines' },
  lateArrivals: { vi: 'Hay đến muộn', en: 'Late arrivals' },
  rateChartByProvince: { vi: `Tỷ lệ tham dự theo ${term.province.vi}`, en: `Attendance rate by ${term.province.en}` },
  rateChartByCommune: { vi: `Tỷ lệ tham dự theo ${term.commune.vi} (thấp nhất trước)`, en: `Attendance rate by ${term.commune.en} (lowest first)` },
  commune: { vi: capitalize(term.commune.vi), en: capitalize(term.commune.en) },
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
  chronicRule: {
    vi: 'Vắng từ {n} lần trở lên, hoặc tham dự dưới {rate}% khi được mời từ {min} lần.',
    en: 'Absent {n} times or more, or attended under {rate}% once invited {min} times.',
  },
  hotspotRule: {
    vi: 'Trung vị mất gói từ {loss}% hoặc RTT từ {rtt} ms, qua ít nhất {m} cuộc họp.',
    en: 'Median loss of {loss}% or more, or RTT of {rtt} ms or more, over at least {m} meetings.',
  },
  allCommunes: { vi: `Tất cả ${term.communes.vi} (thấp nhất trước)`, en: `All ${term.communes.en} (lowest first)` },
  showingFirst: { vi: 'Hiển thị {n} dòng đầu; chọn một tỉnh để xem đủ.', en: 'Showing the first {n} rows; choose a province to see all.' },
  report: { vi: 'Báo cáo', en: 'Reports' },
  excusedShort: { vi: 'có lý do', en: 'excused' },
});

export type AttendanceTranslate = Translate<typeof attendanceTexts>;

export function attendanceTranslator(lang: Lang): AttendanceTranslate {
  return translator(attendanceTexts, lang);
}

export function liveGroupLabel(group: LiveGroup, lang: Lang): string {
  const t = attendanceTranslator(lang);
  return group === 'connected' ? t('connected') : group === 'dropped' ? t('dropped') : t('notJoined');
}
