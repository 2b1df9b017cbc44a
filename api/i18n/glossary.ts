/**
 * The domain's words, written once. Feature texts build on these (`${term.hostSite.vi}`) so a
 * term cannot read one way in the e-mail and another on the page, in the CSV or in the printed
 * roll-call record. Lower case as used mid-sentence; `capitalize` gives the form that starts a
 * label.
 *
 * Choices: the hall that runs a meeting is the "điểm cầu chủ trì" everywhere (not "điểm cầu
 * chính" or a bare "chủ trì"); every other site is an "điểm cầu thành phần"; after the 2025
 * reform communes and wards are "xã, phường" and provinces "tỉnh, thành phố".
 */

export const term = {
  site: { vi: 'điểm cầu', en: 'site' },
  hostSite: { vi: 'điểm cầu chủ trì', en: 'host site' },
  participantSite: { vi: 'điểm cầu thành phần', en: 'participating site' },
  commune: { vi: 'xã, phường', en: 'commune' },
  communes: { vi: 'xã, phường', en: 'communes' },
  province: { vi: 'tỉnh, thành phố', en: 'province' },
  provinces: { vi: 'tỉnh, thành phố', en: 'provinces' },
  unit: { vi: 'đơn vị', en: 'unit' },
  meeting: { vi: 'cuộc họp', en: 'meeting' },
  onlineMeeting: { vi: 'cuộc họp trực tuyến', en: 'online meeting' },
  conference: { vi: 'hội nghị', en: 'conference' },
  invitation: { vi: 'giấy mời', en: 'invitation' },
  attendance: { vi: 'điểm danh', en: 'attendance' },
  rollCallRecord: { vi: 'biên bản điểm danh', en: 'attendance record' },
  secretariat: { vi: 'văn phòng', en: 'secretariat' },
  joinMeeting: { vi: 'tham gia cuộc họp', en: 'join the meeting' },
  checkDevices: { vi: 'kiểm tra thiết bị', en: 'check your devices' },
  vietnamTime: { vi: 'giờ Việt Nam', en: 'Vietnam time' },
  agenda: { vi: 'nội dung', en: 'agenda' },
} as const;

/** Vietnamese day names as written mid-sentence, index = Date#getDay() (Sunday first). */
export const vietnameseWeekdays = ['Chủ nhật', 'thứ Hai', 'thứ Ba', 'thứ Tư', 'thứ Năm', 'thứ Sáu', 'thứ Bảy'] as const;

/** "điểm cầu chủ trì" → "Điểm cầu chủ trì", with the literal type kept for parameter checks. */
export function capitalize<S extends string>(text: S): Capitalize<S> {
  return (text.charAt(0).toUpperCase() + text.slice(1)) as Capitalize<S>;
}
