/**
 * Page texts in Vietnamese (the default) and English. The language comes from ?lang=, then the
 * `lang` cookie, then Vietnamese; switching is a link that sets the cookie.
 */
import type { Context } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import type { Lang } from '../api/context.ts';

const texts = {
  appName: { vi: 'Hội nghị trực tuyến', en: 'Online conferences' },
  signIn: { vi: 'Đăng nhập', en: 'Sign in' },
  signOut: { vi: 'Đăng xuất', en: 'Sign out' },
  email: { vi: 'Thư điện tử', en: 'E-mail' },
  password: { vi: 'Mật khẩu', en: 'Password' },
  upcomingMeetings: { vi: 'Cuộc họp sắp tới', en: 'Upcoming meetings' },
  noMeetings: { vi: 'Chưa có cuộc họp nào.', en: 'No meetings yet.' },
  newMeeting: { vi: 'Lên lịch cuộc họp', en: 'Schedule a meeting' },
  title: { vi: 'Tên cuộc họp', en: 'Title' },
  agenda: { vi: 'Nội dung / chương trình', en: 'Agenda' },
  hostSite: { vi: 'Điểm cầu chủ trì', en: 'Host site' },
  date: { vi: 'Ngày họp', en: 'Date' },
  startTime: { vi: 'Giờ bắt đầu', en: 'Start time' },
  endTime: { vi: 'Giờ kết thúc', en: 'End time' },
  timeZoneNote: { vi: 'Giờ Việt Nam (UTC+7)', en: 'Vietnam time (UTC+7)' },
  participants: { vi: 'Điểm cầu tham dự', en: 'Participating sites' },
  searchUnits: { vi: 'Tìm tỉnh, xã, phường…', en: 'Search provinces, communes, wards…' },
  allCommunesOf: { vi: 'Tất cả xã/phường', en: 'All communes' },
  pickCommunes: { vi: 'Chọn từng xã', en: 'Pick communes' },
  selectedCount: { vi: 'Đã chọn', en: 'Selected' },
  sites: { vi: 'điểm cầu', en: 'sites' },
  allowConflicts: { vi: 'Vẫn lên lịch dù trùng giờ với cuộc họp khác', en: 'Schedule even if it overlaps other meetings' },
  submitSchedule: { vi: 'Lên lịch và gửi giấy mời', en: 'Schedule and send invitations' },
  status: { vi: 'Trạng thái', en: 'Status' },
  scheduled: { vi: 'Đã lên lịch', en: 'Scheduled' },
  cancelled: { vi: 'Đã hủy', en: 'Cancelled' },
  time: { vi: 'Thời gian', en: 'Time' },
  sequence: { vi: 'Lần cập nhật', en: 'Revision' },
  role: { vi: 'Vai trò', en: 'Role' },
  host: { vi: 'Chủ trì', en: 'Host' },
  participant: { vi: 'Tham dự', en: 'Participant' },
  unit: { vi: 'Đơn vị', en: 'Unit' },
  site: { vi: 'Điểm cầu', en: 'Site' },
  cancelMeeting: { vi: 'Hủy cuộc họp', en: 'Cancel meeting' },
  conflictsTitle: { vi: 'Trùng lịch với các cuộc họp sau', en: 'Overlaps these meetings' },
  error: { vi: 'Không thực hiện được', en: 'Could not do that' },
  back: { vi: 'Quay lại', en: 'Back' },
  notAllowed: { vi: 'Tài khoản của bạn không có quyền này.', en: 'Your account may not do this.' },
} as const satisfies Record<string, Record<Lang, string>>;

export type TextKey = keyof typeof texts;
export type Translate = (key: TextKey) => string;

export function translator(lang: Lang): Translate {
  return (key) => texts[key][lang];
}

export function chooseLang(c: Context): Lang {
  const asked = c.req.query('lang');
  if (asked === 'vi' || asked === 'en') {
    setCookie(c, 'lang', asked, { path: '/', sameSite: 'Lax', maxAge: 365 * 24 * 3600 });
    return asked;
  }
  return getCookie(c, 'lang') === 'en' ? 'en' : 'vi';
}
