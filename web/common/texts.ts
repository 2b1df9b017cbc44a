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
  sitesWithoutAddress: { vi: '{n} điểm cầu chưa có địa chỉ e-mail', en: '{n} sites have no e-mail address' },
  fixAddresses: { vi: 'Bổ sung trong danh bạ', en: 'Add them in the directory' },
  editMeeting: { vi: 'Sửa cuộc họp', en: 'Edit meeting' },
  currentSites: { vi: 'Điểm cầu đang tham dự', en: 'Sites in the meeting' },
  untickToRemove: { vi: 'Bỏ chọn để rút điểm cầu khỏi cuộc họp (điểm cầu đó sẽ nhận thư hủy).', en: 'Untick to remove a site (it will receive a cancellation).' },
  addSites: { vi: 'Thêm điểm cầu', en: 'Add sites' },
  previewChanges: { vi: 'Xem trước thông báo sẽ gửi', en: 'Preview what will be sent' },
  saveAndNotify: { vi: 'Lưu và gửi thông báo', en: 'Save and notify' },
  whatSitesReceive: { vi: 'Các điểm cầu sẽ nhận', en: 'What the sites will receive' },
  willGetUpdate: { vi: 'Thư cập nhật', en: 'Update' },
  willGetInvitation: { vi: 'Giấy mời mới', en: 'New invitation' },
  willGetCancellation: { vi: 'Thư hủy', en: 'Cancellation' },
  nothingToSend: { vi: 'Không có thay đổi nào cần gửi.', en: 'Nothing to send.' },
  previewOutdated: { vi: 'Nội dung đã thay đổi sau khi xem trước: hãy xem lại trước khi lưu.', en: 'The form changed after the preview: check it again before saving.' },
  meetingUpdated: { vi: 'Đã lưu thay đổi; thông báo đang được gửi.', en: 'Saved; notifications are being sent.' },
  editMeetingLink: { vi: 'Sửa cuộc họp', en: 'Edit' },
  copyMeeting: { vi: 'Sao chép thành cuộc họp mới', en: 'Copy as a new meeting' },
  copiedFrom: { vi: 'Sao chép từ cuộc họp', en: 'Copied from' },
  cancelReason: { vi: 'Lý do hủy (gửi kèm thư hủy)', en: 'Reason (sent with the cancellation)' },
  confirmCancel: { vi: 'Tôi xác nhận hủy cuộc họp và gửi thư hủy tới tất cả điểm cầu', en: 'I confirm cancelling and notifying every site' },
  cancelNeedsConfirmation: { vi: 'Cần đánh dấu xác nhận trước khi hủy cuộc họp.', en: 'Tick the confirmation before cancelling.' },
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
  unsendable: { vi: 'Không gửi được: điểm cầu chưa có địa chỉ thư điện tử', en: 'Not sendable: the site has no e-mail address' },
  unsendableCount: { vi: 'Chưa có địa chỉ', en: 'No address' },
  callListLink: { vi: 'Danh sách cần gọi điện (chưa xác nhận)', en: 'Call list (not answered)' },
  fixAddress: { vi: 'Nhập địa chỉ trong danh bạ', en: 'Add the address in the directory' },
  sendToFixed: { vi: 'Gửi cho các điểm cầu đã bổ sung địa chỉ', en: 'Send to the sites whose address was added' },
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
