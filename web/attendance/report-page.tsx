/**
 * One meeting's attendance record: on screen a report with totals and a row per site; on paper
 * (A4, @media print in attendance.css) the "BIÊN BẢN ĐIỂM DANH" with the national heading, the
 * meeting's facts, the same table and the signature block.
 */
import type { AuthenticatedUser, Lang } from '../../api/context.ts';
import type { MeetingReport } from '../../api/attendance/report.ts';
import type { SiteAttendance } from '../../api/attendance/ledger.ts';
import { formatVietnamDateTime, formatVietnamTime } from '../../api/time.ts';
import { leaveCauseLabel, statusLabel } from '../../api/attendance/texts.ts';
import { formatFigure, formatNumber, formatPercent } from '../../api/i18n/format.ts';
import { attendanceTranslator } from './texts.ts';
import { Layout } from '../common/layout.tsx';

export function StatusBadge(props: { site: Pick<SiteAttendance, 'status' | 'flags'>; lang: Lang }) {
  const { site, lang } = props;
  // A late arrival who also left early shows both: the headline status and the other flag.
  const extra = site.flags.filter((f) => f !== site.status);
  return (
    <span class={`badge status-${site.status}`} data-status={site.status}>
      {statusLabel(site.status, lang)}
      {extra.map((flag) => (
        <span class="flag"> + {statusLabel(flag, lang).toLocaleLowerCase(lang)}</span>
      ))}
    </span>
  );
}

function time(date: Date | null): string {
  return date === null ? '–' : formatVietnamTime(date);
}

export function AttendanceReportPage(props: { lang: Lang; user: AuthenticatedUser; report: MeetingReport; generatedAt: Date }) {
  const { lang, report } = props;
  const t = attendanceTranslator(lang);
  const { meeting, ledger } = report;
  const totals = ledger.totals;
  const phase = ledger.phase === 'not-started' ? t('phase_notStarted') : ledger.phase === 'running' ? t('phase_running') : t('phase_ended');
  const csvHref = `/api/meetings/${meeting.id}/attendance?format=csv`;
  // Who the site said would sit in (its readiness answer): the record names the person, not only the hall.
  const delegates = new Map(report.invitedSites.flatMap((s) => (s.rsvp?.delegate ? [[s.siteId, s.rsvp.delegate] as const] : [])));
  return (
    <Layout title={`${t('attendanceReport')}: ${meeting.title}`} lang={lang} user={props.user} styles={['attendance']} scripts={['attendance-report']}>
      <article class="attendance-record" id="attendance-report" data-meeting-id={meeting.id}>
        <div class="toolbar no-print">
          <a class="button" href={`/meetings/${meeting.id}`}>
            {t('meetingPage')}
          </a>
          <a class="button" href={`/meetings/${meeting.id}/live`}>
            {t('liveBoard')}
          </a>
          <span class="spacer"></span>
          <a class="button primary" id="download-csv" href={csvHref} download>
            {t('downloadCsv')}
          </a>
          <a class="button" href={`${csvHref}&sep=semicolon`} download>
            {t('downloadCsvVi')}
          </a>
          <button type="button" id="print-record">
            {t('print')}
          </button>
        </div>

        <header class="record-heading">
          <div class="motto">
            <strong>{t('nationalMotto1')}</strong>
            <span>{t('nationalMotto2')}</span>
          </div>
          <h1>{t('recordTitle')}</h1>
          <p class="record-subtitle">{meeting.title}</p>
        </header>

        <dl class="facts">
          <dt>{t('scheduledTime')}</dt>
          <dd>
            {formatVietnamDateTime(meeting.startsAt, lang)} – {formatVietnamTime(meeting.endsAt)} (UTC+7)
          </dd>
          {(meeting.startedAt || meeting.actualEndedAt) && (
            <>
              <dt>{t('actualTime')}</dt>
              <dd>
                {meeting.startedAt ? formatVietnamTime(meeting.startedAt) : '–'} – {meeting.actualEndedAt ? formatVietnamTime(meeting.actualEndedAt) : '–'}
              </dd>
            </>
          )}
          <dt>{t('hostSite')}</dt>
          <dd>{meeting.hostSiteName ?? '–'}</dd>
          <dt>{t('meetingStatus')}</dt>
          <dd id="meeting-phase">
            {phase}
            {meeting.status === 'cancelled' && <strong class="cancelled-mark"> ({t('cancelledMeeting')})</strong>}
          </dd>
          <dt>{t('generatedAt')}</dt>
          <dd>{formatVietnamDateTime(props.generatedAt, lang)}</dd>
        </dl>

        <section class="totals" id="attendance-totals" aria-label={t('totals')}>
          <Total label={t('invited')} value={totals.invited} id="total-invited" />
          <Total label={t('present')} value={totals.present} id="total-present" tone="ok" />
          <Total label={t('late')} value={totals.late} id="total-late" tone="warn" />
          <Total label={t('leftEarly')} value={totals.leftEarly} id="total-left-early" tone="warn" />
          <Total label={t('absentWithReason')} value={totals.absentWithReason} id="total-absent-with-reason" />
          <Total label={t('absentWithoutReason')} value={totals.absentWithoutReason} id="total-absent" tone="bad" />
          <Total label={t('attendanceRate')} value={formatPercent(totals.attendanceRate, lang)} id="total-rate" />
        </section>
        <p class="muted small">
          {t('totalsNote')}{' '}
          {t('thresholdsNote', { late: formatFigure(ledger.thresholds.lateMinutes, lang), early: formatFigure(ledger.thresholds.earlyLeaveMinutes, lang) })}
        </p>

        {ledger.sites.length === 0 ? (
          <p class="muted">{t('noSites')}</p>
        ) : (
          <table class="list attendance-table" id="attendance-table">
            <thead>
              <tr>
                <th class="num">{t('no')}</th>
                <th>{t('site')}</th>
                <th>{t('delegate')}</th>
                <th>{t('status')}</th>
                <th>{t('firstJoin')}</th>
                <th>{t('lastLeave')}</th>
                <th class="num">{t('minutes')}</th>
                <th class="num">{t('drops')}</th>
                <th class="num">{t('longestGap')}</th>
                <th>{t('quality')}</th>
                <th>{t('notes')}</th>
              </tr>
            </thead>
            <tbody>
              {ledger.sites.map((site, index) => {
                const absent = site.status === 'absent' || site.status === 'absent-with-reason';
                return (
                  <tr data-site-id={site.siteId} data-status={site.status} class={site.role === 'host' ? 'host-row' : undefined}>
                    <td class="num">{index + 1}</td>
                    <td>
                      <span class="site-name">{site.siteName}</span>
                      {site.role === 'host' && <span class="host-mark"> ({t('hostMark')})</span>}
                      {site.unitName && site.unitName !== site.siteName && <div class="muted small">{site.unitName}</div>}
                    </td>
                    <td class="delegate">{delegates.get(site.siteId) ?? ''}</td>
                    <td>
                      <StatusBadge site={site} lang={lang} />
                    </td>
                    <td class="first-join">{time(site.firstJoinAt)}</td>
                    <td class="last-leave">{site.connectedNow ? t('stillConnected') : time(site.lastLeaveAt)}</td>
                    <td class="num minutes">{absent ? '–' : formatNumber(site.minutesConnected, 0, lang)}</td>
                    <td class="num">{absent ? '–' : site.drops}</td>
                    <td class="num">{absent ? '–' : formatNumber(site.longestGapMinutes, 0, lang)}</td>
                    <td class="quality">
                      {site.quality ? (
                        <span class={site.quality.lossPercent.median >= 2 || site.quality.rttMs.median >= 300 ? 'poor' : undefined}>
                          {formatNumber(site.quality.lossPercent.median, 1, lang)}% {t('lossShort')} · {Math.round(site.quality.rttMs.median)} ms
                        </span>
                      ) : (
                        '–'
                      )}
                    </td>
                    <td class="notes">
                      {site.absenceReason ?? (site.lastLeaveCause && site.flags.includes('left-early') ? leaveCauseLabel(site.lastLeaveCause, lang) : '')}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}

        <footer class="signatures">
          <div>
            <strong>{t('preparedBy')}</strong>
            <span class="muted small">{t('signHint')}</span>
          </div>
          <div>
            <strong>{t('chairedBy')}</strong>
            <span class="muted small">{t('signHint')}</span>
          </div>
        </footer>
      </article>
    </Layout>
  );
}

function Total(props: { label: string; value: number | string; id: string; tone?: 'ok' | 'warn' | 'bad' }) {
  return (
    <div class={`total ${props.tone ?? ''}`} id={props.id}>
      <span class="value">{props.value}</span>
      <span class="label">{props.label}</span>
    </div>
  );
}
