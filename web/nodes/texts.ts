/** Texts of the conference servers page (/admin/nodes) and the scheduling form's capacity warning. */
import { defineTexts, type Lang } from '../../api/i18n/translator.ts';
import { pageTranslator } from '../common/texts.ts';

export const nodeTexts = defineTexts({
  nodesTitle: { vi: 'Máy chủ hội nghị', en: 'Conference servers' },
  nodesIntro: {
    vi: 'Mỗi máy chủ nhận tối đa số điểm cầu ghi ở cột «Sức chứa». Điểm cầu của một tỉnh được gán sẽ vào máy chủ của tỉnh đó; các điểm cầu khác vào máy chủ còn nhiều chỗ nhất.',
    en: 'Each server takes at most the sites in “Capacity”. A mapped province’s sites go to its server; the others to the server with the most room.',
  },
  noNodes: { vi: 'Chưa có máy chủ nào đăng ký.', en: 'No server has registered yet.' },
  node: { vi: 'Máy chủ', en: 'Server' },
  signalingAddress: { vi: 'Địa chỉ kết nối', en: 'Signaling address' },
  mediaAddress: { vi: 'Địa chỉ truyền hình ảnh', en: 'Media address' },
  capacity: { vi: 'Sức chứa', en: 'Capacity' },
  placed: { vi: 'Điểm cầu đã xếp', en: 'Sites placed' },
  connected: { vi: 'Đang kết nối', en: 'Connected' },
  heartbeat: { vi: 'Tín hiệu gần nhất', en: 'Last heartbeat' },
  state: { vi: 'Trạng thái', en: 'State' },
  stateAlive: { vi: 'Hoạt động', en: 'Running' },
  stateDraining: { vi: 'Ngừng nhận điểm cầu mới', en: 'Draining' },
  stateDead: { vi: 'Mất tín hiệu', en: 'Dead' },
  provinces: { vi: 'Tỉnh được gán', en: 'Mapped provinces' },
  meetings: { vi: 'Cuộc họp trên máy chủ', en: 'Meetings on the server' },
  origin: { vi: 'điểm cầu chủ trì ở đây', en: 'host site here' },
  sitesCount: { vi: 'điểm cầu', en: 'sites' },
  drain: { vi: 'Ngừng nhận điểm cầu mới', en: 'Drain' },
  undrain: { vi: 'Nhận điểm cầu trở lại', en: 'Take sites again' },
  moveSites: { vi: 'Chuyển các điểm cầu sang máy chủ khác', en: 'Move its sites to other servers' },
  moveSitesConfirm: {
    vi: 'Tôi hiểu: các điểm cầu đang họp trên máy chủ này sẽ tự kết nối lại sang máy chủ khác trong vài giây, và máy chủ ngừng nhận điểm cầu mới.',
    en: 'I understand: the sites meeting on this server reconnect to other servers within seconds, and the server takes no new sites.',
  },
  mapProvince: { vi: 'Gán tỉnh cho máy chủ', en: 'Map a province to a server' },
  province: { vi: 'Tỉnh, thành phố', en: 'Province' },
  anyNode: { vi: '(không gán — máy chủ còn nhiều chỗ nhất)', en: '(none — the server with the most room)' },
  save: { vi: 'Lưu', en: 'Save' },
  done: { vi: 'Đã lưu.', en: 'Saved.' },
  capacityWarning: {
    vi: 'Cảnh báo: cuộc họp có {sites} điểm cầu nhưng các máy chủ hội nghị đang hoạt động chỉ nhận tối đa {capacity}. Các điểm cầu vượt quá sẽ không vào được; hãy báo quản trị hệ thống bổ sung máy chủ.',
    en: 'Warning: this meeting has {sites} sites but the running conference servers take at most {capacity}. Sites beyond that cannot join; ask the system administrators for more servers.',
  },
  refusedHeading: { vi: 'Điểm cầu không vào được vì máy chủ đã đầy', en: 'Sites refused because every server was full' },
});

export function nodeTranslator(lang: Lang) {
  return pageTranslator(nodeTexts, lang);
}
