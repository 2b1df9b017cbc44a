/**
 * The texts every page shares (header, navigation, field labels several features show) and the
 * language choice. Vietnamese is the default; ?lang= sets the `lang` cookie, then the cookie
 * decides. A feature's own texts live in web/<feature>/texts.ts and are read together with these
 * through `pageTranslator`.
 */
import type { Context } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { capitalize, term } from '../../api/i18n/glossary.ts';
import { defineTexts, isLang, parseLang, translator, type Lang, type Namespace, type Translate } from '../../api/i18n/translator.ts';

export const commonTexts = defineTexts({
  appName: { vi: `${capitalize(term.conference.vi)} trực tuyến`, en: 'Online conferences' },
  signOut: { vi: 'Đăng xuất', en: 'Sign out' },
  otherLanguage: { vi: 'English', en: 'Tiếng Việt' },
  upcomingMeetings: { vi: `${capitalize(term.meeting.vi)} sắp tới`, en: 'Upcoming meetings' },
  newMeeting: { vi: `Lên lịch ${term.meeting.vi}`, en: `Schedule a ${term.meeting.en}` },
  mailFolderNav: { vi: 'Thư cục bộ', en: 'Mail folder' },
  invitations: { vi: `${capitalize(term.invitation.vi)} và xác nhận`, en: 'Invitations and answers' },
  title: { vi: `Tên ${term.meeting.vi}`, en: 'Title' },
  agenda: { vi: 'Nội dung / chương trình', en: 'Agenda' },
  hostSite: { vi: capitalize(term.hostSite.vi), en: capitalize(term.hostSite.en) },
  site: { vi: capitalize(term.site.vi), en: capitalize(term.site.en) },
  sites: { vi: term.site.vi, en: 'sites' },
  unit: { vi: capitalize(term.unit.vi), en: capitalize(term.unit.en) },
  time: { vi: 'Thời gian', en: 'Time' },
  timeZoneNote: { vi: `${capitalize(term.vietnamTime.vi)} (UTC+7)`, en: `${term.vietnamTime.en} (UTC+7)` },
  status: { vi: 'Trạng thái', en: 'Status' },
  sequence: { vi: 'Lần cập nhật', en: 'Revision' },
  error: { vi: 'Không thực hiện được', en: 'Could not do that' },
  back: { vi: 'Quay lại', en: 'Back' },
  notAllowed: { vi: 'Tài khoản của bạn không có quyền này.', en: 'Your account may not do this.' },
  accountsNav: { vi: 'Tài khoản', en: 'Accounts' },
  nodesNav: { vi: 'Máy chủ hội nghị', en: 'Conference servers' },
  myAccountNav: { vi: 'Tài khoản của tôi', en: 'My account' },
  auditNav: { vi: 'Nhật ký', en: 'Audit log' },
});

/** The page a refused, missing or failed page request gets (web/common/error-page.tsx). */
export const errorPageTexts = defineTexts({
  badRequestTitle: { vi: 'Yêu cầu không hợp lệ', en: 'Invalid request' },
  forbiddenTitle: { vi: 'Không có quyền truy cập', en: 'Not allowed' },
  forbidden: {
    vi: `Tài khoản của bạn không có quyền xem trang này hoặc thực hiện thao tác này. Nếu cần, vui lòng liên hệ quản trị viên của ${term.unit.vi}.`,
    en: `Your account may not open this page or do this. Ask your ${term.unit.en}’s administrator if you need to.`,
  },
  notFoundTitle: { vi: 'Không tìm thấy trang', en: 'Page not found' },
  notFound: {
    vi: `Trang hoặc ${term.meeting.vi} bạn tìm không tồn tại, hoặc đường dẫn bị sai.`,
    en: `The page or ${term.meeting.en} you asked for does not exist, or the address is wrong.`,
  },
  tooManyTitle: { vi: 'Quá nhiều yêu cầu', en: 'Too many requests' },
  tooMany: { vi: 'Vui lòng đợi một lát rồi thử lại.', en: 'Please wait a moment and try again.' },
  internalTitle: { vi: 'Hệ thống gặp lỗi', en: 'Something went wrong' },
  internal: {
    vi: 'Đã xảy ra lỗi trong hệ thống. Vui lòng thử lại; nếu vẫn lỗi, báo cho bộ phận kỹ thuật mã yêu cầu {requestId}.',
    en: 'The system ran into an error. Please try again; if it persists, tell the technical team the request id {requestId}.',
  },
  genericTitle: { vi: 'Không thực hiện được', en: 'Could not do that' },
  backHome: { vi: 'Về trang chủ', en: 'Back to the start page' },
});

/** What a refused form says (web/common/error-messages.ts). */
export const errorTexts = defineTexts({
  scheduleConflict: {
    vi: `{count} ${term.site.vi} đã có ${term.meeting.vi} khác trùng giờ. Đánh dấu «Vẫn lên lịch dù trùng giờ» nếu vẫn muốn lên lịch.`,
    en: `{count} ${term.site.en}s already have another ${term.meeting.en} at that time. Tick “Schedule even if it overlaps” to schedule it anyway.`,
  },
  'problem.end_before_start': { vi: 'Giờ kết thúc phải sau giờ bắt đầu', en: 'The end must be after the start' },
  'problem.too_long': { vi: `Một ${term.meeting.vi} kéo dài tối đa {hours} giờ`, en: `A ${term.meeting.en} lasts at most {hours} hours` },
  'problem.start_in_past': { vi: 'Giờ bắt đầu đã qua', en: 'The start is in the past' },
  'problem.end_in_past': { vi: 'Giờ kết thúc đã qua', en: 'The end is in the past' },
  'reason.no_participants': {
    vi: `Cần chọn ít nhất một ${term.site.vi} tham dự ngoài ${term.hostSite.vi}`,
    en: `Choose at least one ${term.site.en} besides the ${term.hostSite.en}`,
  },
  'reason.unknown_host': { vi: `${capitalize(term.hostSite.vi)} không tồn tại`, en: `The ${term.hostSite.en} does not exist` },
  'reason.inactive_host': { vi: `${capitalize(term.hostSite.vi)} đang ngừng hoạt động`, en: `The ${term.hostSite.en} is inactive` },
  'reason.unknown_sites': { vi: `Có ${term.site.vi} không tồn tại`, en: `Some ${term.site.en}s do not exist` },
  'reason.inactive_sites': { vi: `Có ${term.site.vi} đang ngừng hoạt động`, en: `Some ${term.site.en}s are inactive` },
  'reason.unknown_units': { vi: 'Có đơn vị hành chính không tồn tại', en: 'Some administrative units do not exist' },
  'reason.attachment_empty': { vi: 'Tệp đính kèm rỗng', en: 'The attached file is empty' },
  'reason.attachment_not_pdf': { vi: 'Tệp đính kèm phải là tệp PDF', en: 'The attachment must be a PDF file' },
  attachmentTooLarge: { vi: 'Tệp đính kèm lớn hơn {mb} MB', en: 'The attachment is larger than {mb} MB' },
  unauthorized: { vi: 'Sai thư điện tử hoặc mật khẩu', en: 'Wrong e-mail or password' },
  tooManyRequests: { vi: 'Đăng nhập sai quá nhiều lần; vui lòng thử lại sau', en: 'Too many failed sign-ins; please try again later' },
  meetingCancelled: { vi: `${capitalize(term.meeting.vi)} đã bị hủy, không thể thay đổi`, en: `The ${term.meeting.en} was cancelled and cannot be changed` },
  meetingOver: { vi: `${capitalize(term.meeting.vi)} đã kết thúc, không thể thay đổi`, en: `The ${term.meeting.en} is over and cannot be changed` },
});

export type CommonTranslate = Translate<typeof commonTexts>;

/** A page's t(): the shared texts plus its feature's namespace. */
export function pageTranslator<N extends Namespace>(featureTexts: N, lang: Lang): Translate<typeof commonTexts & N> {
  return translator({ ...commonTexts, ...featureTexts }, lang);
}

export function commonTranslator(lang: Lang): CommonTranslate {
  return translator(commonTexts, lang);
}

export function chooseLang(c: Context): Lang {
  const asked = c.req.query('lang');
  if (isLang(asked)) {
    setCookie(c, 'lang', asked, { path: '/', sameSite: 'Lax', maxAge: 365 * 24 * 3600 });
    return asked;
  }
  return parseLang(getCookie(c, 'lang'));
}
