/**
 * What invitations say: e-mail subjects and bodies, the calendar's DESCRIPTION and alarms.
 * Vietnamese is what is sent today; the English texts are kept complete so a site could be
 * addressed in English without new wording.
 */
import { capitalize, term } from '../i18n/glossary.ts';
import { defineTexts } from '../i18n/translator.ts';

export const inviteTexts = defineTexts({
  seriesTime: { vi: '{rule}; lần đầu {first}', en: '{rule}; first {first}' },
  subjectInvitation: { vi: `${capitalize(term.invitation.vi)} họp trực tuyến: {title}`, en: `Invitation to an online meeting: {title}` },
  subjectUpdate: { vi: 'Thay đổi lịch họp: {title}', en: 'Meeting rescheduled: {title}' },
  subjectCancellation: { vi: `Hủy ${term.meeting.vi}: {title}`, en: 'Meeting cancelled: {title}' },
  subjectWithdrawal: { vi: `Thu hồi ${term.invitation.vi} họp: {title}`, en: 'Invitation withdrawn: {title}' },
  subjectReminder: { vi: 'Nhắc lịch họp: {title} — {time} {day}', en: 'Meeting reminder: {title} — {time} {day}' },
  leadInvitation: {
    vi: `Trân trọng kính mời ${term.unit.vi} tham dự ${term.onlineMeeting.vi} sau:`,
    en: `You are kindly invited to the following ${term.onlineMeeting.en}:`,
  },
  leadUpdate: {
    vi: `Lịch ${term.onlineMeeting.vi} dưới đây đã thay đổi. Thông tin mới nhất:`,
    en: `The ${term.onlineMeeting.en} below has changed. The latest details:`,
  },
  leadCancellation: {
    vi: `${capitalize(term.onlineMeeting.vi)} dưới đây đã bị hủy. Lịch họp trong lịch của ${term.unit.vi} sẽ được gỡ bỏ.`,
    en: `The ${term.onlineMeeting.en} below has been cancelled. It will be removed from your calendar.`,
  },
  leadWithdrawal: {
    vi: `${capitalize(term.site.vi)} {site} không còn trong danh sách tham dự ${term.onlineMeeting.vi} dưới đây. Lịch họp trong lịch của ${term.unit.vi} sẽ được gỡ bỏ.`,
    en: `The ${term.site.en} {site} is no longer invited to the ${term.onlineMeeting.en} below. It will be removed from your calendar.`,
  },
  leadReminder: {
    vi: `${capitalize(term.site.vi)} {site} chưa xác nhận sẵn sàng cho ${term.onlineMeeting.vi} dưới đây. Đề nghị ${term.unit.vi} ${term.checkDevices.vi} và xác nhận trước giờ họp.`,
    en: `The ${term.site.en} {site} has not yet confirmed it is ready for the ${term.onlineMeeting.en} below. Please ${term.checkDevices.en} and confirm before the meeting.`,
  },
  closingCancelled: { vi: `${capitalize(term.unit.vi)} không cần trả lời thư này.`, en: 'No reply is needed.' },
  closingInvitation: {
    vi: `Lịch họp được gửi kèm thư này (invite.ics); ${term.unit.vi} vui lòng chấp nhận để lịch được thêm vào lịch của ${term.unit.vi}, và ${term.checkDevices.vi} trước giờ họp.`,
    en: `The meeting is attached (invite.ics); please accept it so it is added to your calendar, and ${term.checkDevices.en} before the meeting.`,
  },
  closingReminder: { vi: `Nếu ${term.unit.vi} đã xác nhận, xin bỏ qua thư này.`, en: 'If you have already confirmed, please ignore this message.' },
  dear: { vi: 'Kính gửi', en: 'To' },
  cancelReason: { vi: 'Lý do', en: 'Reason' },
  referenceNumber: { vi: 'Số hiệu văn bản', en: 'Reference' },
  meeting: { vi: capitalize(term.meeting.vi), en: capitalize(term.meeting.en) },
  onlineMeeting: { vi: capitalize(term.onlineMeeting.vi), en: capitalize(term.onlineMeeting.en) },
  time: { vi: 'Thời gian', en: 'Time' },
  hostSite: { vi: capitalize(term.hostSite.vi), en: capitalize(term.hostSite.en) },
  yourSite: { vi: `${capitalize(term.site.vi)} của ${term.unit.vi}`, en: 'Your site' },
  agenda: { vi: capitalize(term.agenda.vi), en: capitalize(term.agenda.en) },
  joinMeeting: { vi: capitalize(term.joinMeeting.vi), en: capitalize(term.joinMeeting.en) },
  checkDevices: { vi: capitalize(term.checkDevices.vi), en: capitalize(term.checkDevices.en) },
  checkDevicesBefore: { vi: `${capitalize(term.checkDevices.vi)} trước ${term.meeting.vi}`, en: `${capitalize(term.checkDevices.en)} before the meeting` },
  copyLink: { vi: 'Nếu nút không mở được, sao chép đường dẫn:', en: 'If the button does not open, copy the link:' },
  calendarCancelled: { vi: `${term.meeting.vi.toUpperCase()} ĐÃ BỊ HỦY.`, en: 'THE MEETING HAS BEEN CANCELLED.' },
  calendarCancelledPrefix: { vi: '[ĐÃ HỦY] ', en: '[CANCELLED] ' },
  feedName: { vi: `Lịch họp trực tuyến — {site}`, en: 'Online meetings — {site}' },
  alarmDayBefore: { vi: 'Ngày mai họp trực tuyến: {title}', en: 'Online meeting tomorrow: {title}' },
  alarmHalfHour: { vi: '30 phút nữa họp trực tuyến: {title}', en: 'Online meeting in 30 minutes: {title}' },
});
