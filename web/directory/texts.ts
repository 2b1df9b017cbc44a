/**
 * Texts of the directory pages, Vietnamese by default. Problem codes of an import are the API's
 * (api/directory/import.ts); the page says them in words.
 */
import type { DomainError } from '../../api/errors.ts';
import { term } from '../../api/i18n/glossary.ts';
import { defineTexts, type Lang } from '../../api/i18n/translator.ts';
import { describeError } from '../common/error-messages.ts';
import { pageTranslator } from '../common/texts.ts';
import type { ImportProblemCode } from '../../api/directory/import.ts';
import type { DirectoryField } from '../../api/directory/fields.ts';

export const directoryTexts = defineTexts({
  directory: { vi: 'Danh bạ điểm cầu', en: 'Site directory' },
  noFileChosen: { vi: 'Chưa chọn tệp, hoặc tệp rỗng', en: 'No file chosen, or the file is empty' },
  intro: {
    vi: 'Địa chỉ thư điện tử, điện thoại và người phụ trách của từng điểm cầu. Giấy mời họp được gửi tới các địa chỉ này.',
    en: 'E-mail addresses, phone and the person responsible for every site. Invitations go to these addresses.',
  },
  province: { vi: 'Tỉnh, thành phố', en: 'Province' },
  code: { vi: 'Mã', en: 'Code' },
  siteCount: { vi: `Số ${term.site.vi}`, en: 'Sites' },
  withoutAddress: { vi: 'Chưa có địa chỉ e-mail', en: 'No e-mail address' },
  onlyWithoutAddress: { vi: 'Chỉ hiện điểm cầu chưa có địa chỉ e-mail', en: 'Only sites without an e-mail address' },
  showAll: { vi: 'Hiện tất cả', en: 'Show all' },
  placeholderNote: {
    vi: 'Địa chỉ dạng …@diemcau.hoinghi.local là địa chỉ tạm do hệ thống tạo, không ai nhận được: điểm cầu đó được tính là chưa có địa chỉ.',
    en: 'Addresses ending in @diemcau.hoinghi.local are placeholders nobody reads: such a site counts as having no address.',
  },
  emails: { vi: 'Thư điện tử', en: 'E-mail' },
  emailsHint: { vi: 'Mỗi dòng một địa chỉ; địa chỉ đầu tiên nhận lịch họp.', en: 'One address per line; the first receives the calendar.' },
  phone: { vi: 'Điện thoại', en: 'Phone' },
  responsiblePerson: { vi: 'Người phụ trách', en: 'Person responsible' },
  hallAddress: { vi: 'Địa chỉ hội trường', en: 'Hall address' },
  note: { vi: 'Ghi chú', en: 'Note' },
  active: { vi: 'Đang hoạt động', en: 'Active' },
  inactive: { vi: 'Ngừng hoạt động', en: 'Inactive' },
  edit: { vi: 'Sửa', en: 'Edit' },
  save: { vi: 'Lưu', en: 'Save' },
  saved: { vi: 'Đã lưu.', en: 'Saved.' },
  nothingChanged: { vi: 'Không có gì thay đổi.', en: 'Nothing changed.' },
  exportCsv: { vi: 'Tải danh bạ (CSV)', en: 'Download (CSV)' },
  exportCsvSemicolon: { vi: 'CSV cho Excel tiếng Việt (dấu ;)', en: 'CSV for Vietnamese Excel (;)' },
  exportXlsx: { vi: 'Tải danh bạ (Excel .xlsx)', en: 'Download (Excel .xlsx)' },
  importTitle: { vi: 'Nhập danh bạ từ tệp', en: 'Import from a file' },
  importHint: {
    vi: 'Tải danh bạ về, sửa trong Excel rồi nhập lại (CSV hoặc .xlsx). Mỗi dòng được xác định bằng mã đơn vị hành chính. Hệ thống kiểm tra từng dòng trước; chưa ghi gì cho đến khi bạn xác nhận.',
    en: 'Download the directory, edit it in Excel and import it again (CSV or .xlsx). Lines are keyed by the unit code. Every line is checked first; nothing is written until you confirm.',
  },
  chooseFile: { vi: 'Tệp danh bạ', en: 'Directory file' },
  checkFile: { vi: 'Kiểm tra tệp', en: 'Check the file' },
  previewTitle: { vi: 'Kiểm tra tệp nhập', en: 'Import check' },
  lines: { vi: 'Số dòng', en: 'Lines' },
  validLines: { vi: 'Dòng hợp lệ', en: 'Valid lines' },
  changedLines: { vi: 'Dòng có thay đổi', en: 'Lines that change something' },
  problemLines: { vi: 'Dòng có lỗi', en: 'Lines with problems' },
  line: { vi: 'Dòng', en: 'Line' },
  problem: { vi: 'Lỗi', en: 'Problem' },
  change: { vi: 'Thay đổi', en: 'Change' },
  noProblems: { vi: 'Tất cả các dòng đều hợp lệ.', en: 'Every line is valid.' },
  nothingWritten: { vi: 'Chưa ghi gì vào danh bạ.', en: 'Nothing has been written yet.' },
  applyAll: { vi: 'Ghi vào danh bạ', en: 'Write to the directory' },
  applyValid: { vi: 'Chỉ ghi các dòng hợp lệ', en: 'Write only the valid lines' },
  confirmValid: { vi: 'Tôi xác nhận bỏ qua các dòng có lỗi', en: 'I confirm skipping the lines with problems' },
  discard: { vi: 'Hủy bỏ lần nhập này', en: 'Discard this import' },
  applied: { vi: 'Đã ghi vào danh bạ', en: 'Written to the directory' },
  discarded: { vi: 'Đã hủy bỏ lần nhập này.', en: 'This import was discarded.' },
  sitesChanged: { vi: 'điểm cầu được cập nhật', en: 'sites updated' },
  andMore: { vi: 'và {n} dòng khác', en: 'and {n} more lines' },
  calendarFeed: { vi: 'Lịch họp đăng ký (iCalendar)', en: 'Calendar subscription (iCalendar)' },
  calendarFeedHint: {
    vi: 'Đường dẫn để điểm cầu đăng ký lịch họp vào Outlook, Google Calendar hoặc điện thoại. Đường dẫn chỉ hiện một lần; tạo đường dẫn mới và thu hồi đường dẫn cũ nếu lộ ra ngoài.',
    en: 'A link the site subscribes to in Outlook, Google Calendar or a phone. It is shown once; make a new one and withdraw the old ones if it leaks.',
  },
  makeFeedLink: { vi: 'Tạo đường dẫn lịch', en: 'Make a calendar link' },
  makeAndSendFeedLink: { vi: 'Tạo và gửi qua thư điện tử cho điểm cầu', en: 'Make it and e-mail it to the site' },
  feedLinkSent: { vi: 'Đã gửi đường dẫn lịch tới: {to}', en: 'Calendar link sent to: {to}' },
  rotateFeedLink: { vi: 'Thu hồi các đường dẫn cũ', en: 'Withdraw the earlier links' },
  feedLinkMade: { vi: 'Đường dẫn lịch của điểm cầu (hãy sao chép ngay):', en: 'The site’s calendar link (copy it now):' },
  callList: { vi: 'Danh sách điểm cầu cần gọi điện xác nhận', en: 'Sites to call for confirmation' },
  callListSummary: { vi: '{n} trong số {invited} điểm cầu chưa xác nhận tham dự.', en: '{n} of {invited} sites have not answered.' },
  invitation: { vi: 'Giấy mời', en: 'Invitation' },
  downloadCsv: { vi: 'Tải về (CSV)', en: 'Download (CSV)' },
  calledNote: { vi: 'Đã gọi / ghi chú', en: 'Called / note' },
  nationalHall: { vi: 'Điểm cầu Trung ương', en: 'National hall' },
});

/** The directory pages' t(): these texts with the shared ones. */
export function directoryTranslator(lang: Lang) {
  return pageTranslator(directoryTexts, lang);
}

const problemVi: Record<ImportProblemCode, string> = {
  missing_code: 'Thiếu mã đơn vị',
  unknown_code: 'Mã đơn vị không tồn tại',
  outside_unit: 'Đơn vị không thuộc phạm vi danh bạ này',
  ambiguous_site: 'Đơn vị có nhiều điểm cầu: cần ghi đúng tên điểm cầu',
  duplicate: 'Trùng: điểm cầu này đã có ở dòng trước',
  bad_email: 'Địa chỉ thư điện tử không hợp lệ',
  bad_value: 'Giá trị không hợp lệ',
};

const fieldVi: Record<DirectoryField, string> = {
  contactEmails: 'Thư điện tử',
  contactPhone: 'Điện thoại',
  responsiblePerson: 'Người phụ trách',
  hallAddress: 'Địa chỉ hội trường',
  note: 'Ghi chú',
  active: 'Hoạt động',
};

export function problemText(problem: { problem: ImportProblemCode; field?: DirectoryField; message: string }, lang: Lang): string {
  if (lang === 'en') return problem.message;
  return problem.field && problem.problem === 'bad_value' ? `${problemVi[problem.problem]}: ${fieldVi[problem.field]}` : problemVi[problem.problem];
}

export function fieldText(field: DirectoryField, lang: Lang): string {
  // The English page shows the column's own name; Vietnamese has its words.
  if (lang === 'en') return field;
  return fieldVi[field];
}

const reasonVi: Record<string, string> = {
  import_has_problems: 'Tệp còn dòng có lỗi nên chưa ghi gì. Sửa các dòng đó, hoặc xác nhận chỉ ghi các dòng hợp lệ.',
  unreadable_file: 'Không đọc được tệp: hãy dùng tệp CSV hoặc Excel .xlsx (có thể tải danh bạ về làm mẫu).',
  missing_code_column: 'Dòng đầu tiên của tệp phải là tên các cột, trong đó có cột «Mã đơn vị» (như tệp tải về).',
  empty_file: 'Tệp rỗng.',
  too_many_lines: 'Tệp có quá nhiều dòng.',
  file_too_large: 'Tệp quá lớn khi giải nén.',
  no_address: 'Điểm cầu chưa có địa chỉ thư điện tử thật để gửi đường dẫn.',
  no_transport: 'Máy chủ chưa cấu hình gửi thư.',
};

/** A refused directory action in the reader's language. */
export function describeDirectoryError(error: DomainError, lang: Lang): string {
  if (lang === 'vi') {
    const details = (error.details ?? {}) as { reason?: string; issues?: { path: string }[] };
    if (details.reason && reasonVi[details.reason]) return reasonVi[details.reason]!;
    if (error.code === 'import_closed') return 'Lần nhập này đã được ghi hoặc đã hủy bỏ.';
    if (details.issues?.length) {
      const fields = [...new Set(details.issues.map((i) => i.path.split('.')[0] as DirectoryField))].filter((f) => f in fieldVi);
      if (fields.length) return `Giá trị không hợp lệ: ${fields.map((f) => fieldVi[f]).join(', ')}`;
    }
  }
  return describeError(error, lang);
}
