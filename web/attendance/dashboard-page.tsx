/**
 * The leaders' dashboard: filters (date range, province) in the query string, totals, a bar
 * chart of attendance rates (drawn by web/attendance/browser/dashboard.ts from the JSON API),
 * the communes to follow up (chronic absentees, late arrivals, poor lines), every commune,
 * and the meetings counted, each linking to its attendance record.
 */
import type { AuthenticatedUser, Lang } from '../../api/context.ts';
import type { AttendanceDashboard } from '../../api/attendance/dashboard.ts';
import { formatVietnamDateTime, formatVietnamTime } from '../../api/time.ts';
import { formatNumber, formatPercent } from '../../api/i18n/format.ts';
import { attendanceTranslator } from './texts.ts';
import { Layout } from '../common/layout.tsx';

/** Rows of the all-communes table shown without a province filter (3,321 rows help nobody). */
const NATIONAL_ROW_LIMIT = 200;

type CommuneRow = AttendanceDashboard['communes'][number];

export function AttendanceDashboardPage(props: {
  lang: Lang;
  user: AuthenticatedUser;
  dashboard: AttendanceDashboard;
  provinces: { code: string; name: string }[];
}) {
  const { lang, dashboard: d } = props;
  const t = attendanceTranslator(lang);
  const chronic = d.communes.filter((c) => c.chronicAbsentee);
  const hotspots = d.communes.filter((c) => c.qualityHotspot).sort((a, b) => (b.quality?.medianLossPercent ?? 0) - (a.quality?.medianLossPercent ?? 0));
  const late = d.communes.filter((c) => c.late > 0).sort((a, b) => b.late - a.late || a.unitCode.localeCompare(b.unitCode));
  const shown = d.province ? d.communes : d.communes.slice(0, NATIONAL_ROW_LIMIT);
  const query = new URLSearchParams({ from: d.range.from, to: d.range.to, ...(d.province ? { province: d.province.code } : {}) }).toString();
  const showCommune = (c: CommuneRow) => (d.province ? c.siteName : `${c.siteName}, ${c.provinceName ?? ''}`);
  return (
    <Layout title={t('dashboard')} lang={lang} user={props.user} styles={['attendance']} scripts={['attendance-dashboard']}>
      <h1>
        {t('dashboard')}
        {d.province ? ` · ${d.province.name}` : ` · ${t('allProvinces')}`}
      </h1>
      <form method="get" action="/reports" class="filters card" id="dashboard-filters">
        <label>
          {t('fromDate')}
          <input type="date" name="from" value={d.range.from} required />
        </label>
        <label>
          {t('toDate')}
          <input type="date" name="to" value={d.range.to} required />
        </label>
        <label>
          {t('province')}
          <select name="province">
            <option value="">{t('allProvinces')}</option>
            {props.provinces.map((p) => (
              <option value={p.code} selected={d.province?.code === p.code}>
                {p.name}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" class="primary">
          {t('apply')}
        </button>
      </form>

      <section class="totals" id="dashboard-totals">
        <Total label={t('meetingsCounted')} value={d.totals.meetings} />
        <Total label={t('communes')} value={d.totals.communes} />
        <Total label={t('invitations')} value={d.totals.invitations} />
        <Total label={t('attendanceRate')} value={formatPercent(d.totals.attendanceRate, lang)} tone="ok" />
        <Total label={t('late')} value={d.totals.late} tone="warn" />
        <Total label={t('absent')} value={d.totals.absent} tone="bad" />
        <Total label={t('chronicAbsentees')} value={d.totals.chronicAbsentees} tone="bad" />
        <Total label={t('qualityHotspots')} value={d.totals.qualityHotspots} tone="warn" />
      </section>

      {d.totals.meetings === 0 ? (
        <p class="muted">{t('noMeetingsInRange')}</p>
      ) : (
        <>
          <section class="card chart-card">
            <h2>{d.province ? t('rateChartByCommune') : t('rateChartByProvince')}</h2>
            <div class="chart-box">
              <canvas
                id="rate-chart"
                data-query={query}
                data-lang={lang}
                data-by={d.province ? 'commune' : 'province'}
                data-label={t('attendanceRate')}
                aria-label={d.province ? t('rateChartByCommune') : t('rateChartByProvince')}
              ></canvas>
            </div>
          </section>

          <div class="follow-up">
            <section class="card" id="chronic-absentees">
              <h2>
                {t('chronicAbsentees')} <span class="count">{chronic.length}</span>
              </h2>
              <p class="muted small">
                {t('chronicRule', {
                  n: d.rules.chronicAbsentee.minAbsences,
                  rate: d.rules.chronicAbsentee.maxRate * 100,
                  min: d.rules.chronicAbsentee.minInvitedForRate,
                })}
              </p>
              {chronic.length === 0 ? (
                <p class="muted">{t('none')}</p>
              ) : (
                <table class="list compact">
                  <thead>
                    <tr>
                      <th>{t('commune')}</th>
                      <th class="num">{t('absentTimes')}</th>
                      <th class="num">{t('attendanceRate')}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {chronic.map((c) => (
                      <tr data-site-id={c.siteId}>
                        <td>{showCommune(c)}</td>
                        <td class="num">
                          {c.absent}/{c.invited}
                          {c.absentWithReason > 0 && (
                            <span class="muted small">
                              {' '}
                              ({c.absentWithReason} {t('excusedShort')})
                            </span>
                          )}
                        </td>
                        <td class="num">{formatPercent(c.attendanceRate, lang)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </section>
            <section class="card" id="late-arrivals">
              <h2>
                {t('lateArrivals')} <span class="count">{late.length}</span>
              </h2>
              {late.length === 0 ? (
                <p class="muted">{t('none')}</p>
              ) : (
                <table class="list compact">
                  <thead>
                    <tr>
                      <th>{t('commune')}</th>
                      <th class="num">{t('lateTimes')}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {late.slice(0, 20).map((c) => (
                      <tr data-site-id={c.siteId}>
                        <td>{showCommune(c)}</td>
                        <td class="num">
                          {c.late}/{c.attended}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </section>
            <section class="card" id="quality-hotspots">
              <h2>
                {t('qualityHotspots')} <span class="count">{hotspots.length}</span>
              </h2>
              <p class="muted small">
                {t('hotspotRule', {
                  loss: formatNumber(d.rules.qualityHotspot.lossPercent, 0, lang),
                  rtt: d.rules.qualityHotspot.rttMs,
                  m: d.rules.qualityHotspot.minMeetingsSampled,
                })}
              </p>
              {hotspots.length === 0 ? (
                <p class="muted">{t('none')}</p>
              ) : (
                <table class="list compact">
                  <thead>
                    <tr>
                      <th>{t('commune')}</th>
                      <th class="num">{t('medianLoss')}</th>
                      <th class="num">{t('medianRtt')}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {hotspots.map((c) => (
                      <tr data-site-id={c.siteId}>
                        <td>{showCommune(c)}</td>
                        <td class="num">{formatNumber(c.quality?.medianLossPercent, 1, lang)}</td>
                        <td class="num">{formatNumber(c.quality?.medianRttMs, 0, lang)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </section>
          </div>

          <h2>{t('meetings')}</h2>
          <table class="list" id="dashboard-meetings">
            <thead>
              <tr>
                <th>{t('time')}</th>
                <th>{t('meetingTitle')}</th>
                <th class="num">{t('invitedTimes')}</th>
                <th class="num">{t('attended')}</th>
                <th class="num">{t('late')}</th>
                <th class="num">{t('attendanceRate')}</th>
              </tr>
            </thead>
            <tbody>
              {d.meetings.map((m) => (
                <tr>
                  <td>
                    {formatVietnamDateTime(new Date(m.startsAt), lang)}–{formatVietnamTime(new Date(m.endsAt))}
                  </td>
                  <td>
                    <a href={`/meetings/${m.id}/attendance`}>{m.title}</a>
                  </td>
                  <td class="num">{m.invited}</td>
                  <td class="num">{m.attended}</td>
                  <td class="num">{m.late}</td>
                  <td class="num">{formatPercent(m.attendanceRate, lang)}</td>
                </tr>
              ))}
            </tbody>
          </table>

          <h2>{t('allCommunes')}</h2>
          {shown.length < d.communes.length && <p class="muted small">{t('showingFirst', { n: shown.length })}</p>}
          <table class="list" id="dashboard-communes">
            <thead>
              <tr>
                <th>{t('commune')}</th>
                <th class="num">{t('invitedTimes')}</th>
                <th class="num">{t('attended')}</th>
                <th class="num">{t('attendanceRate')}</th>
                <th class="num">{t('lateTimes')}</th>
                <th class="num">{t('absentTimes')}</th>
                <th class="num">{t('medianLoss')}</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((c) => (
                <tr data-site-id={c.siteId} class={c.chronicAbsentee ? 'flag-bad' : undefined}>
                  <td>{showCommune(c)}</td>
                  <td class="num">{c.invited}</td>
                  <td class="num">{c.attended}</td>
                  <td class="num">{formatPercent(c.attendanceRate, lang)}</td>
                  <td class="num">{c.late}</td>
                  <td class="num">{c.absent}</td>
                  <td class="num">{formatNumber(c.quality?.medianLossPercent, 1, lang)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </Layout>
  );
}

function Total(props: { label: string; value: number | string; tone?: 'ok' | 'warn' | 'bad' }) {
  return (
    <div class={`total ${props.tone ?? ''}`}>
      <span class="value">{props.value}</span>
      <span class="label">{props.label}</span>
    </div>
  );
}
