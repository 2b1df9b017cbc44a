/**
 * What a refused form says to a person. The API's messages are English for integrators; pages
 * translate the domain errors people meet most often by their code and details, and fall back
 * to the API message otherwise.
 */
import type { Lang } from '../../api/context.ts';
import type { DomainError } from '../../api/errors.ts';
import { translator } from '../../api/i18n/translator.ts';
import { ATTACHMENT_MAX_BYTES } from '../../api/meetings/attachment.ts';
import { MAX_MEETING_HOURS, type ScheduleProblem } from '../../api/meetings/rules.ts';
import { errorTexts } from './texts.ts';

const reasons = [
  'no_participants',
  'unknown_host',
  'inactive_host',
  'unknown_sites',
  'inactive_sites',
  'unknown_units',
  'attachment_empty',
  'attachment_not_pdf',
] as const;
type Reason = (typeof reasons)[number];
const isReason = (reason: string | undefined): reason is Reason => (reasons as readonly string[]).includes(reason ?? '');

export function describeError(error: DomainError, lang: Lang): string {
  const t = translator(errorTexts, lang);
  const details = (error.details ?? {}) as { problems?: ScheduleProblem[]; reason?: string; siteCount?: number; conflicts?: unknown[] };
  if (error.code === 'schedule_conflict') return t('scheduleConflict', { count: details.siteCount ?? details.conflicts?.length ?? 0 });
  if (details.problems?.length) {
    return details.problems
      .map((problem) => (problem === 'too_long' ? t('problem.too_long', { hours: MAX_MEETING_HOURS }) : t(`problem.${problem}`)))
      .join('; ');
  }
  if (isReason(details.reason)) return t(`reason.${details.reason}`);
  if (error.code === 'unauthorized') return t('unauthorized');
  if (error.code === 'too_many_requests') return t('tooManyRequests');
  if (error.code === 'payload_too_large') return t('attachmentTooLarge', { mb: ATTACHMENT_MAX_BYTES / 1024 / 1024 });
  if (error.code === 'meeting_cancelled') return t('meetingCancelled');
  if (error.code === 'meeting_over') return t('meetingOver');
  return error.message;
}
