/**
 * What a refused form says to a person. The API's messages are English for integrators; pages
 * translate the domain errors people meet most often by their code and details, and fall back
 * to the API message otherwise.
 */
import type { Lang } from '../../api/context.ts';
import type { DomainError } from '../../api/errors.ts';
import { MAX_MEETING_HOURS, type ScheduleProblem } from '../../api/meetings/rules.ts';

const scheduleProblemVi: Record<ScheduleProblem, string> = {
  end_before_start: 'Giờ kết thúc phải sau giờ bắt đầu',
  too_long: `Một cuộc họp kéo dài tối đa ${MAX_MEETING_HOURS} giờ`,
  start_in_past: 'Giờ bắt đầu đã qua',
  end_in_past: 'Giờ kết thúc đã qua',
};

const reasonVi: Record<string, string> = {
  no_participants: 'Cần chọn ít nhất một điểm cầu tham dự ngoài điểm cầu chủ trì',
  unknown_host: 'Điểm cầu chủ trì không tồn tại',
  inactive_host: 'Điểm cầu chủ trì đang ngừng hoạt động',
  unknown_sites: 'Có điểm cầu không tồn tại',
  inactive_sites: 'Có điểm cầu đang ngừng hoạt động',
  unknown_units: 'Có đơn vị hành chính không tồn tại',
};

export function describeError(error: DomainError, lang: Lang): string {
  if (lang === 'en') return error.message;
  const details = (error.details ?? {}) as { problems?: ScheduleProblem[]; reason?: string; siteCount?: number; conflicts?: unknown[] };
  if (error.code === 'schedule_conflict') {
    return `${details.siteCount ?? ''} điểm cầu đã có cuộc họp khác trùng giờ. Đánh dấu «Vẫn lên lịch dù trùng giờ» nếu vẫn muốn lên lịch.`;
  }
  if (details.problems?.length) return details.problems.map((p) => scheduleProblemVi[p]).join('; ');
  if (details.reason && reasonVi[details.reason]) return reasonVi[details.reason]!;
  if (error.code === 'unauthorized') return 'Sai thư điện tử hoặc mật khẩu';
  if (error.code === 'too_many_requests') return 'Đăng nhập sai quá nhiều lần; vui lòng thử lại sau';
  if (error.code === 'meeting_cancelled') return 'Cuộc họp đã bị hủy, không thể thay đổi';
  if (error.code === 'meeting_over') return 'Cuộc họp đã kết thúc, không thể thay đổi';
  return error.message;
}
