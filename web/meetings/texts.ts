/** Texts of the meeting list, the meeting page and the scheduling form. */
import { capitalize, term } from '../../api/i18n/glossary.ts';
import { defineTexts } from '../../api/i18n/translator.ts';

export const meetingTexts = defineTexts({
  noMeetings: { vi: `Chưa có ${term.meeting.vi} nào.`, en: 'No meetings yet.' },
  date: { vi: 'Ngày họp', en: 'Date' },
  startTime: { vi: 'Giờ bắt đầu', en: 'Start time' },
  endTime: { vi: 'Giờ kết thúc', en: 'End time' },
  participants: { vi: `${capitalize(term.site.vi)} tham dự`, en: 'Participating sites' },
  searchUnits: { vi: 'Tìm tỉnh, xã, phường…', en: 'Search provinces, communes, wards…' },
  allCommunesOf: { vi: 'Tất cả xã/phường', en: 'All communes' },
  pickCommunes: { vi: 'Chọn từng xã', en: 'Pick communes' },
  selectedCount: { vi: 'Đã chọn', en: 'Selected' },
  allowConflicts: { vi: `Vẫn lên lịch dù trùng giờ với ${term.meeting.vi} khác`, en: 'Schedule even if it overlaps other meetings' },
  submitSchedule: { vi: `Lên lịch và gửi ${term.invitation.vi}`, en: 'Schedule and send invitations' },
  scheduled: { vi: 'Đã lên lịch', en: 'Scheduled' },
  cancelled: { vi: 'Đã hủy', en: 'Cancelled' },
  role: { vi: 'Vai trò', en: 'Role' },
  cancelMeeting: { vi: `Hủy ${term.meeting.vi}`, en: 'Cancel meeting' },
  conflictsTitle: { vi: `Trùng lịch với các ${term.meeting.vi} sau`, en: 'Overlaps these meetings' },
  invalidDateTime: { vi: 'Ngày hoặc giờ không hợp lệ', en: 'Invalid date or time' },
  openConsole: { vi: `Mở bàn điều khiển ${term.hostSite.vi}`, en: 'Open the host console' },
});
