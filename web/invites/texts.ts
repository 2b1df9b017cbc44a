/** Texts of the readiness page (communes, no account), the secretariat's invitations page and the local mail folder. */
import { capitalize, term } from '../../api/i18n/glossary.ts';
import { defineTexts } from '../../api/i18n/translator.ts';

export const invitePageTexts = defineTexts({
  // Readiness page (no account: the commune opens it from its invitation)
  readinessTitle: { vi: 'Xác nhận tham dự', en: 'Confirm attendance' },
  readinessIntro: {
    vi: `Đơn vị vui lòng xác nhận có tham dự ${term.onlineMeeting.vi} dưới đây hay không.`,
    en: `Please confirm whether your site will attend the ${term.onlineMeeting.en} below.`,
  },
  yourSite: { vi: `${capitalize(term.site.vi)} của ${term.unit.vi}`, en: 'Your site' },
  willAttend: { vi: 'Sẽ tham dự', en: 'Will attend' },
  cannotAttend: { vi: 'Không tham dự được', en: 'Cannot attend' },
  delegateName: { vi: 'Người dự họp (họ tên, chức vụ)', en: 'Who will attend (name, position)' },
  declineReason: { vi: 'Lý do (nếu không tham dự được)', en: 'Reason (if not attending)' },
  answerSaved: {
    vi: 'Đã ghi nhận câu trả lời của đơn vị. Có thể thay đổi câu trả lời bất cứ lúc nào trước giờ họp.',
    en: 'Your answer has been recorded. You can change it any time before the meeting.',
  },
  attachment: { vi: 'Văn bản kèm theo', en: 'Attached document' },
  currentAnswer: { vi: 'Câu trả lời hiện tại', en: 'Current answer' },
  answeredAt: { vi: 'lúc', en: 'at' },
  attending: { vi: 'Sẽ tham dự', en: 'Attending' },
  declined: { vi: 'Không tham dự', en: 'Not attending' },
  linkUnknown: {
    vi: `Đường dẫn không hợp lệ. Vui lòng mở đúng đường dẫn trong thư mời, hoặc liên hệ ${term.secretariat.vi}.`,
    en: 'This link is not valid. Open the link from your invitation, or contact the secretariat.',
  },
  linkExpired: {
    vi: `${capitalize(term.meeting.vi)} đã kết thúc, đường dẫn này không còn hiệu lực.`,
    en: 'The meeting is over; this link is no longer valid.',
  },
  linkRevoked: {
    vi: `Đường dẫn này đã bị thu hồi: ${term.meeting.vi} đã bị hủy hoặc ${term.site.vi} không còn trong danh sách tham dự.`,
    en: 'This link has been withdrawn: the meeting was cancelled or your site is no longer invited.',
  },
  // Secretariat: invitations
  delivery: { vi: 'Gửi thư', en: 'Delivery' },
  attempts: { vi: 'Số lần gửi', en: 'Attempts' },
  lastSentSequence: { vi: 'Lần cập nhật đã gửi', en: 'Last revision sent' },
  answer: { vi: 'Trả lời', en: 'Answer' },
  noAnswer: { vi: 'Chưa trả lời', en: 'No answer' },
  resend: { vi: 'Gửi lại', en: 'Resend' },
  rotateLinks: { vi: 'Cấp đường dẫn mới', en: 'New links' },
  linksRotated: {
    vi: `Đã thu hồi đường dẫn cũ của ${term.site.vi} và gửi ${term.invitation.vi} mới.`,
    en: `The ${term.site.en}'s old links are withdrawn and a new ${term.invitation.en} is on its way.`,
  },
  resendTooSoon: {
    vi: `${capitalize(term.site.vi)} này vừa được gửi lại chưa đầy 10 phút trước.`,
    en: `This ${term.site.en} was sent it again less than 10 minutes ago.`,
  },
  resendAnyway: { vi: 'Vẫn gửi lại', en: 'Send once more' },
  resendAllFailed: { vi: 'Gửi lại tất cả thư lỗi', en: 'Resend all failed' },
  unsendable: { vi: `Không gửi được: ${term.site.vi} chưa có địa chỉ thư điện tử`, en: 'Not sendable: the site has no e-mail address' },
  unsendableCount: { vi: 'Chưa có địa chỉ', en: 'No address' },
  fixAddress: { vi: 'Nhập địa chỉ trong danh bạ', en: 'Add the address in the directory' },
  sendToFixed: { vi: `Gửi cho các ${term.site.vi} đã bổ sung địa chỉ`, en: 'Send to the sites whose address was added' },
  callListLink: { vi: 'Danh sách cần gọi điện (chưa xác nhận)', en: 'Call list (not answered)' },
  resendDone: { vi: 'Đã đưa vào hàng đợi gửi lại', en: 'Queued again' },
  removedSite: { vi: `Đã rút khỏi ${term.meeting.vi}`, en: 'Removed from the meeting' },
  queued: { vi: 'Chờ gửi', en: 'Queued' },
  sending: { vi: 'Đang gửi', en: 'Sending' },
  sent: { vi: 'Đã gửi', en: 'Sent' },
  failed: { vi: 'Lỗi', en: 'Failed' },
  superseded: { vi: 'Không cần gửi', en: 'Not needed' },
  noContactEmail: { vi: `${capitalize(term.site.vi)} chưa có địa chỉ thư điện tử`, en: 'The site has no e-mail address' },
  reminder: { vi: 'Thư nhắc', en: 'Reminder' },
  // Device checks (the rehearsal from the invitation), as the secretariat and the console see them
  deviceCheck: { vi: 'Kiểm tra thiết bị', en: 'Device check' },
  neverChecked: { vi: 'Chưa kiểm tra thiết bị', en: 'Devices not checked' },
  checkCameraOk: { vi: 'Camera tốt', en: 'Camera OK' },
  checkCameraFailed: { vi: 'Không có camera', en: 'No camera' },
  checkMicOk: { vi: 'Micrô tốt', en: 'Microphone OK' },
  checkMicFailed: { vi: 'Không có micrô', en: 'No microphone' },
  checkServerUnreached: { vi: 'Không kết nối được máy chủ', en: 'Could not reach the server' },
  lossLabel: { vi: 'mất gói', en: 'loss' },
  // The local mail folder
  mailFolder: { vi: 'Thư đã tạo (chưa cấu hình SMTP)', en: 'Generated mail (no SMTP configured)' },
  mailFolderSmtpNote: {
    vi: 'Hệ thống đang gửi thư qua máy chủ SMTP; thư mục thư cục bộ không được dùng.',
    en: 'Mail goes through the SMTP server; the local mail folder is not used.',
  },
  mailFolderEmpty: { vi: 'Chưa có thư nào.', en: 'No messages yet.' },
  mailFolderHint: {
    vi: 'Chưa cấu hình SMTP: thư được lưu tại đây. Tải tệp .eml để chuyển tiếp, hoặc tệp .ics để nhập lịch.',
    en: 'No SMTP configured: messages are kept here. Download the .eml to forward it, or the .ics to import it.',
  },
  to: { vi: 'Người nhận', en: 'To' },
  subject: { vi: 'Tiêu đề', en: 'Subject' },
  createdAt: { vi: 'Thời điểm tạo', en: 'Created' },
  download: { vi: 'Tải về', en: 'Download' },
});
