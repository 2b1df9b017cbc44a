/**
 * Texts of the live meeting pages (the commune's join page and the host console), Vietnamese
 * first. Shared by the server-rendered shells and the browser scripts, so it imports only the
 * run-time-free translator and glossary: the join page's bundle carries this namespace alone.
 */
import { capitalize, term } from '../../api/i18n/glossary.ts';
import { defineTexts, translator, type Lang, type Translate } from '../../api/i18n/translator.ts';

export const conferenceTexts = defineTexts({
  // status line
  statusIdle: { vi: 'Chưa kết nối', en: 'Not connected' },
  statusConnecting: { vi: 'Đang kết nối…', en: 'Connecting…' },
  statusConnected: { vi: 'Đã kết nối', en: 'Connected' },
  statusReconnecting: { vi: 'Mất kết nối, đang thử lại…', en: 'Connection lost, retrying…' },
  statusEnded: { vi: 'Đã rời phòng họp', en: 'Left the meeting' },

  // pre-join check
  prejoinTitle: { vi: 'Kiểm tra trước khi vào phòng họp', en: 'Check before joining' },
  prejoinIntro: {
    vi: 'Hãy kiểm tra hình ảnh, âm thanh và đường truyền. Khi mọi mục đều ổn, bấm «Vào phòng họp».',
    en: 'Check your picture, sound and line. When everything is fine, press “Join the meeting”.',
  },
  checkCamera: { vi: 'Máy quay', en: 'Camera' },
  checkMicrophone: { vi: 'Micrô', en: 'Microphone' },
  checkNetwork: { vi: 'Kết nối tới máy chủ hội nghị', en: 'Connection to the conference server' },
  checking: { vi: 'Đang kiểm tra…', en: 'Checking…' },
  cameraOk: { vi: 'Hoạt động', en: 'Working' },
  cameraMissing: {
    vi: 'Không mở được máy quay — kiểm tra dây cắm và quyền truy cập của trình duyệt',
    en: 'Cannot open the camera — check the cable and the browser permission',
  },
  micOk: { vi: 'Hãy nói thử: thanh mức âm thanh phải nhảy lên', en: 'Say something: the level bar should move' },
  micMissing: {
    vi: 'Không mở được micrô — kiểm tra dây cắm và quyền truy cập của trình duyệt',
    en: 'Cannot open the microphone — check the cable and the browser permission',
  },
  networkOk: { vi: 'Tốt', en: 'Good' },
  networkSlow: { vi: 'Chậm — hình ảnh có thể bị giật', en: 'Slow — video may stutter' },
  networkFailed: { vi: 'Không kết nối được — kiểm tra mạng rồi bấm «Kiểm tra lại»', en: 'Could not connect — check the network, then press “Check again”' },
  tokenRefused: {
    vi: 'Đường dẫn tham dự không còn hiệu lực. Liên hệ văn phòng để được cấp lại.',
    en: 'This invitation link is no longer valid. Ask the secretariat for a new one.',
  },
  serverFull: {
    vi: 'Máy chủ hội nghị đã đủ số điểm cầu, chưa nhận thêm được. Vui lòng chờ ít phút rồi bấm «Kiểm tra lại», hoặc liên hệ văn phòng.',
    en: 'The conference server is full and cannot take another site yet. Wait a few minutes and press “Check again”, or call the secretariat.',
  },
  noNodeAvailable: {
    vi: 'Máy chủ hội nghị đã đủ số điểm cầu: mọi máy chủ đều đầy nên chưa nhận thêm được điểm cầu này, và văn phòng đã được báo. Vui lòng chờ ít phút rồi bấm «Kiểm tra lại».',
    en: 'The conference server is full: every server is, so this site cannot join yet, and the secretariat has been told. Wait a few minutes, then press “Check again”.',
  },

  consoleOpen: {
    vi: 'Bàn điều khiển của cuộc họp này đang mở ở một cửa sổ hoặc máy khác. Tiếp quản sẽ đóng bàn điều khiển kia.',
    en: 'The console of this meeting is open in another window or on another computer. Taking over closes that one.',
  },
  takeOver: { vi: 'Tiếp quản bàn điều khiển', en: 'Take over the console' },
  roundTrip: { vi: 'độ trễ', en: 'round trip' },
  quality: { vi: 'Chất lượng hình ảnh', en: 'Video quality' },
  qualityLow: { vi: 'Thấp (đường truyền yếu)', en: 'Low (weak line)' },
  qualityMedium: { vi: 'Trung bình', en: 'Medium' },
  qualityHigh: { vi: 'Cao', en: 'High' },
  checkAgain: { vi: 'Kiểm tra lại', en: 'Check again' },
  enterMeeting: { vi: 'Vào phòng họp', en: 'Join the meeting' },
  startHosting: { vi: 'Bắt đầu chủ trì', en: 'Start hosting' },

  // commune in the meeting
  hostLabel: { vi: capitalize(term.hostSite.vi), en: capitalize(term.hostSite.en) },
  speakingLabel: { vi: 'Đang phát biểu', en: 'Speaking' },
  spotlightLabel: { vi: 'Đang được chiếu', en: 'On screen' },
  selfLabel: { vi: 'Hình của điểm cầu', en: 'Your picture' },
  waitingForHost: { vi: `Đang chờ tín hiệu từ ${term.hostSite.vi}…`, en: `Waiting for the ${term.hostSite.en}…` },
  micMutedWaiting: { vi: 'Đang tắt tiếng — chờ chủ trì cho phát biểu', en: 'Muted — wait for the host to give you the floor' },
  micOpen: { vi: 'Micrô đang mở — mời phát biểu', en: 'Microphone open — you have the floor' },
  micMutedSelf: { vi: 'Đã tắt micrô', en: 'Microphone off' },
  raiseHand: { vi: 'Giơ tay', en: 'Raise hand' },
  lowerHand: { vi: 'Hạ tay', en: 'Lower hand' },
  handPosition: { vi: 'Đã giơ tay — thứ tự', en: 'Hand raised — position' },
  muteMe: { vi: 'Tắt micrô', en: 'Mute' },
  unmuteMe: { vi: 'Bật micrô', en: 'Unmute' },
  leave: { vi: 'Rời phòng họp', en: 'Leave' },
  audioOnlyOn: { vi: 'Chỉ nghe nói (mạng yếu)', en: 'Audio only (weak line)' },
  audioOnlyOff: { vi: 'Bật lại hình ảnh', en: 'Turn video back on' },
  audioOnlyActive: {
    vi: 'Đang ở chế độ chỉ nghe nói: không gửi và không nhận hình ảnh để giữ tiếng cho đường truyền yếu.',
    en: 'Audio only: no video is sent or received, to keep the sound on a weak line.',
  },

  // endings
  endedLeft: { vi: 'Điểm cầu đã rời phòng họp.', en: 'You left the meeting.' },
  endedKicked: { vi: 'Chủ trì đã mời điểm cầu rời phòng họp.', en: 'The host removed this site from the meeting.' },
  endedRevoked: { vi: 'Quyền tham dự của điểm cầu đã bị thu hồi.', en: 'This site’s access was withdrawn.' },
  endedExpired: { vi: 'Đường dẫn tham dự đã hết hạn.', en: 'The invitation link has expired.' },
  endedReplaced: { vi: 'Điểm cầu đã vào phòng họp từ một cửa sổ hoặc máy khác.', en: 'This site joined from another window or computer.' },
  endedMeeting: { vi: 'Cuộc họp đã kết thúc. Cảm ơn quý đại biểu.', en: 'The meeting has ended. Thank you.' },
  endedRefused: { vi: 'Không vào được phòng họp: đường dẫn không còn hiệu lực.', en: 'Could not join: the link is no longer valid.' },
  rejoin: { vi: 'Vào lại phòng họp', en: 'Join again' },

  // host console
  consoleTitle: { vi: 'Điều hành cuộc họp', en: 'Meeting console' },
  sitesHeading: { vi: 'Điểm cầu đang tham dự', en: 'Sites in the meeting' },
  invited: { vi: 'được mời', en: 'invited' },
  handQueueHeading: { vi: 'Xin phát biểu', en: 'Raised hands' },
  handQueueEmpty: { vi: 'Chưa có điểm cầu nào giơ tay.', en: 'No raised hands.' },
  floorHeading: { vi: 'Đang phát biểu', en: 'Has the floor' },
  nobody: { vi: 'Không có', en: 'Nobody' },
  giveFloor: { vi: 'Cho phát biểu', en: 'Give floor' },
  revokeFloor: { vi: 'Thu hồi phát biểu', en: 'Take floor back' },
  muteSite: { vi: 'Tắt mic', en: 'Mute' },
  spotlight: { vi: 'Chiếu lên', en: 'Spotlight' },
  unspotlight: { vi: 'Bỏ chiếu', en: 'Unspotlight' },
  kick: { vi: 'Mời rời', en: 'Remove' },
  kickConfirm: { vi: 'Bấm lần nữa để mời rời', en: 'Press again to remove' },
  shareScreen: { vi: 'Chia sẻ màn hình', en: 'Share screen' },
  stopShare: { vi: 'Dừng chia sẻ', en: 'Stop sharing' },
  endMeeting: { vi: 'Kết thúc cuộc họp', en: 'End meeting' },
  endConfirm: { vi: 'Bấm lần nữa để kết thúc cho tất cả', en: 'Press again to end for everyone' },
  pagePrev: { vi: 'Trang trước', en: 'Previous' },
  pageNext: { vi: 'Trang sau', en: 'Next' },
  pageOf: { vi: 'Trang', en: 'Page' },
  stateOnline: { vi: 'Trực tuyến', en: 'Online' },
  stateNoVideo: { vi: 'Chưa có hình', en: 'No video yet' },
  stateHand: { vi: 'Giơ tay', en: 'Hand raised' },
  stateMuted: { vi: 'Tắt tiếng', en: 'Muted' },
  stateAudioOnly: { vi: 'Chỉ âm thanh', en: 'Audio only' },
  stateLeft: { vi: 'Đã rời', en: 'Left' },
  noSites: { vi: 'Chưa có điểm cầu nào vào phòng họp.', en: 'No site has joined yet.' },
  leftSitesHeading: { vi: 'Đã rời phòng họp', en: 'Left the meeting' },
  notJoinedHeading: { vi: 'Chưa vào phòng họp — kiểm tra thiết bị', en: 'Not in the meeting yet — device checks' },
  actionFailed: { vi: 'Không thực hiện được', en: 'Could not do that' },
  consoleEnded: { vi: 'Cuộc họp đã kết thúc cho tất cả điểm cầu.', en: 'The meeting has ended for every site.' },
  notFoundTitle: { vi: 'Không tìm thấy cuộc họp', en: 'Meeting not found' },
  invalidLinkTitle: { vi: 'Đường dẫn không hợp lệ', en: 'Invalid link' },
  invalidLink: {
    vi: 'Đường dẫn tham dự không đúng hoặc đã hết hạn. Liên hệ văn phòng để được cấp lại.',
    en: 'This invitation link is wrong or has expired. Ask the secretariat for a new one.',
  },
  linkExpired: { vi: 'Cuộc họp đã kết thúc nên đường dẫn tham dự đã hết hạn.', en: 'The meeting is over, so this link has expired.' },
  linkRevoked: {
    vi: 'Đường dẫn tham dự đã bị thu hồi (cuộc họp bị hủy hoặc điểm cầu không còn trong danh sách). Liên hệ văn phòng nếu cần.',
    en: 'This link was withdrawn (the meeting was cancelled or the site removed). Ask the secretariat if needed.',
  },
  unavailable: { vi: 'Hệ thống đang bận, vui lòng thử lại sau ít phút.', en: 'The system is busy; please try again in a few minutes.' },
});

export type ConferenceTextKey = keyof typeof conferenceTexts;

export function conferenceTranslator(lang: Lang): Translate<typeof conferenceTexts> {
  return translator(conferenceTexts, lang);
}
