/** The list of upcoming meetings and one meeting's page. */
import type { AuthenticatedUser, Lang } from '../../api/context.ts';
import type { MeetingDetail, MeetingSummary } from '../../api/meetings/queries.ts';
import { formatFileSize } from '../../api/i18n/format.ts';
import { formatVietnamDateTime, formatVietnamTime } from '../../api/time.ts';
import { attendanceTranslator } from '../attendance/texts.ts';
import { siteRoleLabel } from '../../api/attendance/texts.ts';
import { pageTranslator } from '../common/texts.ts';
import { meetingTexts } from './texts.ts';
import { ErrorBox, Layout } from '../common/layout.tsx';
import { MeetingNodeNotes, type MeetingNodeFacts } from '../nodes/meeting-notes.tsx';

export function MeetingListPage(props: { lang: Lang; user: AuthenticatedUser; meetings: MeetingSummary[] }) {
  const t = pageTranslator(meetingTexts, props.lang);
  return (
    <Layout title={t('upcomingMeetings')} lang={props.lang} user={props.user}>
      <div class="heading">
        <h1>{t('upcomingMeetings')}</h1>
        {props.user.role !== 'leader' && (
          <a class="button primary" href="/meetings/new">
            {t('newMeeting')}
          </a>
        )}
      </div>
      {props.meetings.length === 0 ? (
        <p class="muted">{t('noMeetings')}</p>
      ) : (
        <table class="list" id="meeting-list">
          <thead>
            <tr>
              <th>{t('time')}</th>
              <th>{t('title')}</th>
              <th>{t('hostSite')}</th>
              <th class="num">{t('participants')}</th>
              <th>{t('status')}</th>
            </tr>
          </thead>
          <tbody>
            {props.meetings.map((m) => (
              <tr class={m.status}>
                <td>
                  {formatVietnamDateTime(m.startsAt, props.lang)}–{formatVietnamTime(m.endsAt)}
                </td>
                <td>
                  <a href={`/meetings/${m.id}`}>{m.title}</a>
                </td>
                <td>{m.hostSite.name}</td>
                <td class="num">{m.participantCount}</td>
                <td>{t(m.status)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Layout>
  );
}

export function MeetingPage(props: {
  lang: Lang;
  user: AuthenticatedUser;
  meeting: MeetingDetail;
  error?: string;
  notice?: string;
  /** The rule of the series this meeting is an occurrence of, in words. */
  seriesRule?: string;
  nodes?: MeetingNodeFacts;
}) {
  const t = pageTranslator(meetingTexts, props.lang);
  const m = props.meeting;
  const canChange = props.user.role !== 'leader' && m.status === 'scheduled';
  return (
    <Layout title={m.title} lang={props.lang} user={props.user}>
      <h1>{m.title}</h1>
      {props.error && <ErrorBox lang={props.lang} message={props.error} />}
      {props.notice && (
        <p class="notice" role="status">
          {props.notice}
        </p>
      )}
      {props.nodes && <MeetingNodeNotes lang={props.lang} facts={props.nodes} />}
      <dl class="facts">
        <dt>{t('time')}</dt>
        <dd>
          {formatVietnamDateTime(m.startsAt, props.lang)}–{formatVietnamTime(m.endsAt)} ({t('timeZoneNote')})
          {props.seriesRule && (
            <>
              <br />
              <span id="series-rule">{t('seriesOf', { rule: props.seriesRule })}</span>
            </>
          )}
        </dd>
        {m.referenceNumber && (
          <>
            <dt>{t('referenceNumber')}</dt>
            <dd id="reference-number">{m.referenceNumber}</dd>
          </>
        )}
        <dt>{t('hostSite')}</dt>
        <dd>{m.hostSite.name}</dd>
        <dt>{t('status')}</dt>
        <dd id="meeting-status">{t(m.status)}</dd>
        <dt>{t('sequence')}</dt>
        <dd>{m.sequence}</dd>
        <dt>{t('participants')}</dt>
        <dd id="participant-count">{m.participantCount}</dd>
        {m.agenda && (
          <>
            <dt>{t('agenda')}</dt>
            <dd class="pre">{m.agenda}</dd>
          </>
        )}
        {m.attachment && (
          <>
            <dt>{t('attachment')}</dt>
            <dd>
              <a id="attachment-link" href={`/meetings/${m.id}/attachment`} download>
                {m.attachment.fileName}
              </a>{' '}
              <span class="muted">({formatFileSize(m.attachment.sizeBytes, props.lang)})</span>
            </dd>
          </>
        )}
      </dl>
      <p class="links">
        {canChange && (
          <>
            <a href={`/meetings/${m.id}/console`} id="console-link" class="button primary">
              {t('openConsole')}
            </a>{' '}
          </>
        )}
        <a href={`/meetings/${m.id}/invites`} id="invites-link">
          {t('invitations')}
        </a>{' '}
        · <a href={`/meetings/${m.id}/attendance`}>{attendanceTranslator(props.lang)('attendanceReport')}</a> ·{' '}
        <a href={`/meetings/${m.id}/live`}>{attendanceTranslator(props.lang)('liveBoard')}</a>
      </p>
      {props.user.role !== 'leader' && (
        <p class="links">
          {canChange && (
            <>
              <a href={`/meetings/${m.id}/edit`} id="edit-link" class="button">
                {t('editMeetingLink')}
              </a>{' '}
            </>
          )}
          <a href={`/meetings/new?copy=${m.id}`} id="copy-link">
            {t('copyMeeting')}
          </a>
        </p>
      )}
      {canChange && (
        <details class="card" id="meeting-attachment">
          <summary>{m.attachment ? t('replaceAttachment') : t('addAttachment')}</summary>
          <p class="muted small">{t('attachmentHint')}</p>
          <form method="post" action={`/meetings/${m.id}/attachment`} enctype="multipart/form-data">
            <input type="file" name="attachment" accept="application/pdf,.pdf" required />
            <button type="submit">{t('sendAttachment')}</button>
          </form>
          {m.attachment && (
            <form method="post" action={`/meetings/${m.id}/attachment`}>
              <input type="hidden" name="remove" value="yes" />
              <button type="submit" class="link">
                {t('removeAttachment')}
              </button>
            </form>
          )}
        </details>
      )}
      {canChange && (
        <details class="card" id="cancel-meeting">
          <summary>{t('cancelMeeting')}</summary>
          <form method="post" action={`/meetings/${m.id}/cancel`}>
            <label>
              {t('cancelReason')}
              <textarea name="reason" rows={2} maxlength={1000}></textarea>
            </label>
            <label class="check">
              <input type="checkbox" name="confirm" value="yes" required /> {t('confirmCancel')}
            </label>
            <button type="submit" class="danger">
              {t('cancelMeeting')}
            </button>
          </form>
        </details>
      )}
      <h2>
        {t('participants')} ({m.participantCount})
      </h2>
      <table class="list">
        <thead>
          <tr>
            <th>{t('site')}</th>
            <th>{t('unit')}</th>
            <th>{t('role')}</th>
          </tr>
        </thead>
        <tbody>
          {m.participants.map((p) => (
            <tr>
              <td>{p.name}</td>
              <td>
                {p.unitName} ({p.unitCode})
              </td>
              <td>{siteRoleLabel(p.role, props.lang)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Layout>
  );
}
