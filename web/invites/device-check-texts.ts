/**
 * Texts of the device check page (/ready/:token/check). Shared by the server-rendered page and
 * its browser script, so it imports only the run-time-free translator and glossary.
 */
import { capitalize, term } from '../../api/i18n/glossary.ts';
import { defineTexts, translator, type Lang, type Translate } from '../../api/i18n/translator.ts';

export const deviceCheckTexts = defineTexts({
  checkTitle: { vi: capitalize(term.checkDevices.vi), en: capitalize(term.checkDevices.en) },
  checkIntro: {
    vi: `Trang này kiểm tra camera, micrô và đường truyền tới máy chủ họp của ${term.site.vi} trong vài giây. Việc kiểm tra không tính là tham dự và không ai trong ${term.meeting.vi} nhìn thấy hình ảnh này.`,
    en: `This page checks your camera, microphone and line to the meeting server for a few seconds. It does not count as attending, and nobody in the ${term.meeting.en} sees this picture.`,
  },
  yourSite: { vi: `${capitalize(term.site.vi)} của ${term.unit.vi}`, en: 'Your site' },
  camera: { vi: 'Camera', en: 'Camera' },
  microphone: { vi: 'Micrô', en: 'Microphone' },
  line: { vi: 'Đường truyền tới máy chủ', en: 'Line to the server' },
  checking: { vi: 'Đang kiểm tra…', en: 'Checking…' },
  cameraOk: { vi: 'Hoạt động', en: 'Working' },
  cameraMissing: { vi: 'Không tìm thấy camera hoặc chưa cho phép', en: 'No camera found, or not allowed' },
  micOk: { vi: 'Hoạt động — hãy nói thử, vạch mức phải dao động', en: 'Working — speak: the level should move' },
  micMissing: { vi: 'Không tìm thấy micrô hoặc chưa cho phép', en: 'No microphone found, or not allowed' },
  lineGood: { vi: 'Tốt', en: 'Good' },
  lineSlow: { vi: 'Chậm hoặc mất gói nhiều: hình ảnh có thể bị giật', en: 'Slow or lossy: the picture may stutter' },
  lineFailed: { vi: 'Không kết nối được máy chủ họp', en: 'Could not reach the meeting server' },
  roundTrip: { vi: 'độ trễ khứ hồi', en: 'round trip' },
  loss: { vi: 'mất gói', en: 'loss' },
  checkAgain: { vi: 'Kiểm tra lại', en: 'Check again' },
  resultSaved: { vi: `Đã gửi kết quả kiểm tra cho ${term.secretariat.vi}.`, en: 'The result has been sent to the secretariat.' },
  resultNotSaved: { vi: 'Chưa gửi được kết quả kiểm tra; vui lòng thử lại sau.', en: 'The result could not be sent; please try again later.' },
  lastCheck: { vi: 'Lần kiểm tra gần nhất', en: 'Last check' },
  answerLink: { vi: 'Xác nhận tham dự', en: 'Confirm attendance' },
  checkLink: { vi: capitalize(term.checkDevices.vi), en: capitalize(term.checkDevices.en) },
});
export type DeviceCheckTextKey = keyof typeof deviceCheckTexts;

export function deviceCheckTranslator(lang: Lang): Translate<typeof deviceCheckTexts> {
  return translator(deviceCheckTexts, lang);
}
