/** The printable call list of a meeting: who has not answered, whom to ring, at which number. */
import type { AuthenticatedUser, Lang } from '../../api/context.ts';
import { invitationStateLabels, type CallList } from '../../api/directory/call-list.ts';
import { formatVietnamDateTime, formatVietnamTime } from '../../api/time.ts';
import { Layout } from '../common/layout.tsx';
import { directoryTranslator } from './texts.ts';

export function CallListPage(props: { lang: Lang; user: AuthenticatedUser; list: CallList }) {
  const t = directoryTranslator(props.lang);
  const { meeting, sites } = props.list;
  return (
    <Layout title={`${t('callList')} · ${meeting.title}`} lang={props.lang} user={props.user} styles={['directory']}>
      <p class="no-print">
        <a href={`/meetings/${meeting.id}`}>{meeting.title}</a> · <a href={`/meetings/${meeting.id}/invites`}>{t('invitations')}</a> ·{' '}
        <a href={`/api/meetings/${meeting.id}/call-list?format=csv`} id="call-list-csv">
          {t('downloadCsv')}
        </a>{' '}
        · <a href={`/api/meetings/${meeting.id}/call-list?format=csv&sep=semicolon`}>{t('exportCsvSemicolon')}</a>
      </p>
      <h1>{t('callList')}</h1>
      <p>
        <strong>{meeting.title}</strong> — {formatVietnamDateTime(meeting.startsAt, props.lang)}–{formatVietnamTime(meeting.endsAt)}
      </p>
      <p id="call-list-summary">{t('callListSummary', { n: sites.length, invited: props.list.invited })}</p>
      <table class="list call-list" id="call-list">
        <thead>
          <tr>
            <th class="num">STT</th>
            <th>{t('site')}</th>
            <th>{t('responsiblePerson')}</th>
            <th>{t('phone')}</th>
            <th>{t('emails')}</th>
            <th>{t('invitation')}</th>
            <th class="print-only">{t('calledNote')}</th>
          </tr>
        </thead>
        <tbody>
          {sites.map((s, i) => (
            <tr data-site-id={s.siteId}>
              <td class="num">{i + 1}</td>
              <td>
                {s.siteName} <span class="muted small">({s.unitCode})</span>
              </td>
              <td>{s.responsiblePerson ?? ''}</td>
              <td class="phone">{s.contactPhone ?? ''}</td>
              <td class="small">{s.hasRealAddress ? s.contactEmails.join(', ') : t('withoutAddress')}</td>
              <td class="small">{invitationStateLabels[s.invitation]}</td>
              <td class="print-only"></td>
            </tr>
          ))}
        </tbody>
      </table>
    </Layout>
  );
}
