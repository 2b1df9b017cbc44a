/**
 * Page texts in Vietnamese (the default) and English. The language comes from ?lang=, then the
 * `lang` cookie, then Vietnamese; switching is a link that sets the cookie.
 */
import type { Context } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import type { Lang } from '../../api/context.ts';

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
  // Readiness page (no account: the commune opens it from its invitation)
  readinessTitle: { vi: 'Xác nhận tham dự', en: 'Confirm attendance' },
  readinessIntro: { vi: 'Đơn vị vui lòng xác nhận có tham dự cuộc họp trực tuyến dưới đây hay không.', en: 'Please confirm whether your site will attend the online meeting below.' },
  yourSite: { vi: 'Điểm cầu của đơn vị', en: 'Your site' },
  willAttend: { vi: 'Sẽ tham dự', en: 'Will attend' },
  cannotAttend: { vi: 'Không tham dự được', en: 'Cannot attend' },
  delegateName: { vi: 'Người dự họp (họ tên, chức vụ)', en: 'Who will attend (name, position)' },
  declineReason: { vi: 'Lý do (nếu không tham dự được)', en: 'Reason (if not attending)' },
  answerSaved: { vi: 'Đã ghi nhận câu trả lời của đơn vị. Có thể thay đổi câu trả lời bất cứ lúc nào trước giờ họp.', en: 'Your answer has been recorded. You can change it any time before the meeting.' },
  currentAnswer: { vi: 'Câu trả lời hiện tại', en: 'Current answer' },
  answeredAt: { vi: 'lúc', en: 'at' },
  attending: { vi: 'Sẽ tham dự', en: 'Attending' },
  declined: { vi: 'Không tham dự', en: 'Not attending' },
  linkUnknown: { vi: 'Đường dẫn không hợp lệ. Vui lòng mở đúng đường dẫn trong thư mời, hoặc liên hệ văn phòng.', en: 'This link is not valid. Open the link from your invitation, or contact the secretariat.' },
  linkExpired: { vi: 'Cuộc họp đã kết thúc, đường dẫn này không còn hiệu lực.', en: 'The meeting is over; this link is no longer valid.' },
  linkRevoked: { vi: 'Đường dẫn này đã bị thu hồi: cuộc họp đã bị hủy hoặc điểm cầu không còn trong danh sách tham dự.', en: 'This link has been withdrawn: the meeting was cancelled or your site is no longer invited.' },
  joinComingTitle: { vi: 'Tham gia cuộc họp', en: 'Join the meeting' },
  joinComing: { vi: 'Đường dẫn hợp lệ. Trang họp trực tuyến sẽ mở tại đây khi hệ thống truyền hình sẵn sàng.', en: 'This link is valid. The live meeting page will open here once the video system is ready.' },
  // Secretariat: invitations
  invitations: { vi: 'Giấy mời và xác nhận', en: 'Invitations and answers' },
  delivery: { vi: 'Gửi thư', en: 'Delivery' },
  attempts: { vi: 'Số lần gửi', en: 'Attempts' },
  lastSentSequence: { vi: 'Lần cập nhật đã gửi', en: 'Last revision sent' },
  answer: { vi: 'Trả lời', en: 'Answer' },
  noAnswer: { vi: 'Chưa trả lời', en: 'No answer' },
  resend: { vi: 'Gửi lại', en: 'Resend' },
  resendAllFailed: { vi: 'Gửi lại tất cả thư lỗi', en: 'Resend all failed' },
  resendDone: { vi: 'Đã đưa vào hàng đợi gửi lại', en: 'Queued again' },
  removedSite: { vi: 'Đã rút khỏi cuộc họp', en: 'Removed from the meeting' },
  queued: { vi: 'Chờ gửi', en: 'Queued' },
  sending: { vi: 'Đang gửi', en: 'Sending' },
  sent: { vi: 'Đã gửi', en: 'Sent' },
  failed: { vi: 'Lỗi', en: 'Failed' },
  superseded: { vi: 'Không cần gửi', en: 'Not needed' },
  noContactEmail: { vi: 'Điểm cầu chưa có địa chỉ thư điện tử', en: 'The site has no e-mail address' },
  reminder: { vi: 'Thư nhắc', en: 'Reminder' },
  // Local outbox
  outboxNav: { vi: 'Hộp thư đi', en: 'Outbox' },
  outbox: { vi: 'Thư đã tạo (chưa cấu hình SMTP)', en: 'Generated mail (no SMTP configured)' },
  outboxSmtpNote: { vi: 'Hệ thống đang gửi thư qua máy chủ SMTP; thư mục thư cục bộ không được dùng.', en: 'Mail goes through the SMTP server; the local outbox is not used.' },
  outboxEmpty: { vi: 'Chưa có thư nào.', en: 'No messages yet.' },
  outboxHint: { vi: 'Chưa cấu hình SMTP: thư được lưu tại đây. Tải tệp .eml để chuyển tiếp, hoặc tệp .ics để nhập lịch.', en: 'No SMTP configured: messages are kept here. Download the .eml to forward it, or the .ics to import it.' },
  to: { vi: 'Người nhận', en: 'To' },
  subject: { vi: 'Tiêu đề', en: 'Subject' },
  createdAt: { vi: 'Thời điểm tạo', en: 'Created' },
  download: { vi: 'Tải về', en: 'Download' },
  // Error pages (server/app.ts answers refused and missing pages with these)
  errorBadRequestTitle: { vi: 'Yêu cầu không hợp lệ', en: 'Invalid request' },
  errorForbiddenTitle: { vi: 'Không có quyền truy cập', en: 'Not allowed' },
  errorForbidden: { vi: 'Tài khoản của bạn không có quyền xem trang này hoặc thực hiện thao tác này. Nếu cần, vui lòng liên hệ quản trị viên của đơn vị.', en: 'Your account may not open this page or do this. Ask your unit’s administrator if you need to.' },
  errorNotFoundTitle: { vi: 'Không tìm thấy trang', en: 'Page not found' },
  errorNotFound: { vi: 'Trang hoặc cuộc họp bạn tìm không tồn tại, hoặc đường dẫn bị sai.', en: 'The page or meeting you asked for does not exist, or the address is wrong.' },
  errorTooManyTitle: { vi: 'Quá nhiều yêu cầu', en: 'Too many requests' },
  errorTooMany: { vi: 'Vui lòng đợi một lát rồi thử lại.', en: 'Please wait a moment and try again.' },
  errorInternalTitle: { vi: 'Hệ thống gặp lỗi', en: 'Something went wrong' },
  errorInternal: { vi: 'Đã xảy ra lỗi trong hệ thống. Vui lòng thử lại; nếu vẫn lỗi, báo cho bộ phận kỹ thuật kèm mã yêu cầu', en: 'The system ran into an error. Please try again; if it persists, tell the technical team this request id' },
  errorGenericTitle: { vi: 'Không thực hiện được', en: 'Could not do that' },
  backHome: { vi: 'Về trang chủ', en: 'Back to the start page' },
  accountsNav: { vi: 'Tài khoản', en: 'Accounts' },
  myAccountNav: { vi: 'Tài khoản của tôi', en: 'My account' },
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
