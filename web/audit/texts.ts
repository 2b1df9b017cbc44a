/** Texts of the audit log page. */
import { defineTexts } from '../../api/i18n/translator.ts';

export const auditTexts = defineTexts({
  auditTitle: { vi: 'Nhật ký thao tác', en: 'Audit log' },
  action: { vi: 'Hành động', en: 'Action' },
  actor: { vi: 'Người thực hiện (thư điện tử)', en: 'By (e-mail)' },
  entity: { vi: 'Đối tượng', en: 'Object' },
  filter: { vi: 'Lọc', en: 'Filter' },
  downloadCsv: { vi: 'Tải CSV', en: 'Download CSV' },
});
