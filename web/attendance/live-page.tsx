/**
 * The live board: three columns (connected, dropped or left, not joined yet) with the phone
 * and e-mail of every missing site. Rendered here once; web/attendance/browser/live.ts then
 * polls /api/meetings/:id/attendance/live and redraws the same markup.
 */
import { leaveCauses } from '../../db/attendance-event.ts';
import type { AuthenticatedUser, Lang } from '../../api/context.ts';
import { attendanceStatuses } from '../../api/attendance/ledger.ts';
import { liveGroups, type LiveBoardJson } from '../../api/attendance/live-board.ts';
import { formatVietnamDateTime } from '../../api/time.ts';
import { leaveCauseLabel, statusLabel } from '../../api/attendance/texts.ts';
import { attendanceTranslator, liveGroupLabel } from './texts.ts';
import { Layout } from '../common/layout.tsx';

/** The words the browser script needs, in the page's language. */
export function liveLabels(lang: Lang) {
  const t = attendanceTranslator(lang);
  return {
    groups: Object.fromEntries(liveGroups.map((g) => [g, liveGroupLabel(g, lang)])),
    statuses: Object.fromEntries(attendanceStatuses.map((s) => [s, statusLabel(s, lang)])),
    causes: Object.fromEntries(leaveCauses.map((c) => [c, leaveCauseLabel(c, lang)])),
    since: t('since'),
    declined: t('declined'),
    updatedAt: t('updatedAt'),
    stale: t('liveStale'),
    hostMark: t('hostMark'),
    drops: t('drops'),
  };
}
export type LiveLabels = ReturnType<typeof liveLabels>;

export function AttendanceLivePage(props: { lang: Lang; user: AuthenticatedUser; board: LiveBoardJson }) {
  const { lang, board } = props;
  const t = attendanceTranslator(lang);
  const labels = liveLabels(lang);
  return (
    <Layout title={`${t('liveBoard')}: ${board.meeting.title}`} lang={lang} user={props.user} styles={['attendance']} scripts={['attendance-live']}>
      <div class="heading">
        <h1>
          {t('liveBoard')}: {board.meeting.title}
        </h1>
        <a class="button" href={`/meetings/${board.meeting.id}/attendance`}>
          {t('openReport')}
        </a>
      </div>
      <p class="muted">
        {formatVietnamDateTime(new Date(board.meeting.startsAt), lang)} · {t('liveHint')} <span id="live-updated"></span>
      </p>
      <p id="live-stale" class="error" hidden>
        {t('liveStale')}
      </p>
      <div id="live-board" class="live-board" data-meeting-id={board.meeting.id} data-lang={lang} data-labels={JSON.stringify(labels)}>
        {liveGroups.map((group) => {
          const sites = board.sites.filter((s) => s.group === group);
          return (
            <section class={`live-column live-${group}`} data-group={group}>
              <h2>
                {labels.groups[group]} <span class="count">{sites.length}</span>
              </h2>
              <ul>
                {sites.map((s) => (
                  <LiveSite site={s} labels={labels} />
                ))}
              </ul>
            </section>
          );
        })}
      </div>
    </Layout>
  );
}

function LiveSite(props: { site: LiveBoardJson['sites'][number]; labels: LiveLabels }) {
  const { site, labels } = props;
  return (
    <li data-site-id={site.siteId}>
      <strong>{site.siteName}</strong>
      {site.role === 'host' && <span class="host-mark"> ({labels.hostMark})</span>}
      {site.since && (
        <span class="muted small">
          {' '}
          · {labels.since} {site.since.slice(11, 16)}
        </span>
      )}
      {site.group === 'dropped' && site.lastLeaveCause && <div class="small">{labels.causes[site.lastLeaveCause]}</div>}
      {site.rsvp?.answer === 'declined' && (
        <div class="small">
          {labels.declined}
          {site.rsvp.reason ? `: ${site.rsvp.reason}` : ''}
        </div>
      )}
      {(site.contactPhone || site.contactEmails.length > 0) && (
        <div class="contact small">
          {site.contactPhone && <a href={`tel:${site.contactPhone.replace(/[^\d+]/g, '')}`}>{site.contactPhone}</a>}
          {site.contactEmails.map((email) => (
            <a href={`mailto:${email}`}>{email}</a>
          ))}
        </div>
      )}
    </li>
  );
}
