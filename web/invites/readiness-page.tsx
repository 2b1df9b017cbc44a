/** The commune's readiness page (no account) and the page for a link that cannot be used. */
import type { Lang } from '../../api/context.ts';
import type { LinkProblem } from '../../api/errors.ts';
import type { ReadinessView } from '../../api/invites/readiness.ts';
import { formatVietnamDateTime, formatVietnamTime } from '../../api/time.ts';
import { formatFileSize } from '../../api/i18n/format.ts';
import { pageTranslator } from '../common/texts.ts';
import { invitePageTexts } from './texts.ts';
import { ErrorBox, Layout } from '../common/layout.tsx';

export function ReadinessPage(props: {
  lang: Lang;
  view: ReadinessView;
  action: string;
  saved?: boolean;
  error?: string;
  values?: { delegateName?: string; reason?: string };
}) {
  const t = pageTranslator(invitePageTexts, props.lang);
  const { meeting, answer } = props.view;
  const delegateName = props.values?.delegateName ?? answer?.delegateName ?? '';
  const reason = props.values?.reason ?? answer?.reason ?? '';
  return (
    <Layout title={t('readinessTitle')} lang={props.lang} user={null}>
      <section class="card">
        <h1>{t('readinessTitle')}</h1>
        {props.saved && (
          <p class="notice" role="status" id="answer-saved">
            {t('answerSaved')}
          </p>
        )}
        {props.error && <ErrorBox lang={props.lang} message={props.error} />}
        <p>{t('readinessIntro')}</p>
        <dl class="facts">
          <dt>{t('title')}</dt>
          <dd id="meeting-title">{meeting.title}</dd>
          <dt>{t('time')}</dt>
          <dd>
            {formatVietnamDateTime(meeting.startsAt, props.lang)}–{formatVietnamTime(meeting.endsAt)} ({t('timeZoneNote')})
          </dd>
          <dt>{t('hostSite')}</dt>
          <dd>{props.view.hostSiteName}</dd>
          <dt>{t('yourSite')}</dt>
          <dd id="site-name">{props.view.siteName}</dd>
          {meeting.agenda && (
            <>
              <dt>{t('agenda')}</dt>
              <dd class="pre">{meeting.agenda}</dd>
            </>
          )}
          {props.view.attachment && (
            <>
              <dt>{t('attachment')}</dt>
              <dd>
                <a id="attachment-link" href={`${props.action}/attachment`} download>
                  {props.view.attachment.fileName}
                </a>{' '}
                <span class="muted">({formatFileSize(props.view.attachment.sizeBytes, props.lang)})</span>
              </dd>
            </>
          )}
          {answer && (
            <>
              <dt>{t('currentAnswer')}</dt>
              <dd id="current-answer">
                {t(answer.answer)} ({t('answeredAt')} {formatVietnamDateTime(answer.answeredAt, props.lang)})
              </dd>
            </>
          )}
        </dl>
        <p>
          <a class="button" id="check-link" href={`${props.action}/check`}>
            {t('deviceCheck')}
          </a>
        </p>
        <form method="post" action={props.action}>
          <label>
            {t('delegateName')}
            <input type="text" name="delegateName" maxlength={200} value={delegateName} />
          </label>
          <label>
            {t('declineReason')}
            <textarea name="reason" maxlength={1000} rows={3}>
              {reason}
            </textarea>
          </label>
          <div class="answer-buttons">
            <button type="submit" name="answer" value="attending" class="primary">
              {t('willAttend')}
            </button>
            <button type="submit" name="answer" value="declined" class="danger">
              {t('cannotAttend')}
            </button>
          </div>
        </form>
      </section>
    </Layout>
  );
}

const PROBLEM_TEXT = { unknown: 'linkUnknown', expired: 'linkExpired', revoked: 'linkRevoked' } as const;

export function LinkProblemPage(props: { lang: Lang; problem: LinkProblem }) {
  const t = pageTranslator(invitePageTexts, props.lang);
  return (
    <Layout title={t('readinessTitle')} lang={props.lang} user={null}>
      <section class="card narrow">
        <h1>{t('readinessTitle')}</h1>
        <p class="error" role="alert" id="link-problem">
          {t(PROBLEM_TEXT[props.problem])}
        </p>
      </section>
    </Layout>
  );
}
