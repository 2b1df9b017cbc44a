/**
 * The scheduling form. Works without JavaScript for the common case (host, time, whole
 * provinces); the tree picker script adds search, single communes and a live count.
 */
import type { AuthenticatedUser, Lang } from '../../api/context.ts';
import type { ConflictingMeeting } from '../../api/meetings/queries.ts';
import { formatVietnamDateTime } from '../../api/time.ts';
import { pageTranslator } from '../common/texts.ts';
import { meetingTexts } from './texts.ts';
import { ErrorBox, Layout } from '../common/layout.tsx';

export interface ScheduleFormValues {
  title?: string;
  agenda?: string;
  hostSiteId?: string;
  date?: string;
  startTime?: string;
  endTime?: string;
  unitCodes?: string[];
  siteIds?: string[];
  allowConflicts?: boolean;
}

export interface ProvinceChoice {
  code: string;
  name: string;
  communeCount: number;
}

export function ScheduleFormPage(props: {
  lang: Lang;
  user: AuthenticatedUser;
  halls: { id: string; name: string }[];
  provinces: ProvinceChoice[];
  values: ScheduleFormValues;
  error?: string;
  conflicts?: ConflictingMeeting[];
}) {
  const t = pageTranslator(meetingTexts, props.lang);
  const v = props.values;
  const checkedUnits = new Set(v.unitCodes ?? []);
  return (
    <Layout title={t('newMeeting')} lang={props.lang} user={props.user} scripts={['scheduling-form']}>
      <h1>{t('newMeeting')}</h1>
      {props.error && (
        <ErrorBox lang={props.lang} message={props.error}>
          {props.conflicts && props.conflicts.length > 0 && (
            <div class="conflicts">
              <p>{t('conflictsTitle')}:</p>
              <ul>
                {props.conflicts.map((c) => (
                  <li>
                    <a href={`/meetings/${c.meetingId}`}>{c.title}</a> — {formatVietnamDateTime(c.startsAt, props.lang)} — {c.siteCount} {t('sites')}
                    {': '}
                    {c.sites.map((s) => s.name).join(', ')}
                    {c.siteCount > c.sites.length ? ', …' : ''}
                  </li>
                ))}
              </ul>
            </div>
          )}
        </ErrorBox>
      )}
      <form method="post" action="/meetings/new" id="schedule-form" class="card">
        <label>
          {t('title')}
          <input name="title" required maxlength={300} value={v.title ?? ''} />
        </label>
        <label>
          {t('agenda')}
          <textarea name="agenda" rows={4} maxlength={20000}>
            {v.agenda ?? ''}
          </textarea>
        </label>
        <label>
          {t('hostSite')}
          <select name="hostSiteId" required>
            {props.halls.map((h) => (
              <option value={h.id} selected={h.id === v.hostSiteId}>
                {h.name}
              </option>
            ))}
          </select>
        </label>
        <div class="row">
          <label>
            {t('date')}
            <input type="date" name="date" required value={v.date ?? ''} />
          </label>
          <label>
            {t('startTime')}
            <input type="time" name="startTime" required value={v.startTime ?? ''} />
          </label>
          <label>
            {t('endTime')}
            <input type="time" name="endTime" required value={v.endTime ?? ''} />
          </label>
          <span class="muted">{t('timeZoneNote')}</span>
        </div>
        <fieldset id="site-picker">
          <legend>{t('participants')}</legend>
          <div class="picker-bar">
            <input type="search" id="unit-search" placeholder={t('searchUnits')} autocomplete="off" />
            <span id="selected-count" aria-live="polite">
              {t('selectedCount')}: <b>0</b> {t('sites')}
            </span>
          </div>
          <ul id="search-results" class="tree" hidden></ul>
          <ul class="tree" id="province-tree">
            {props.provinces.map((p) => (
              <li class="province" data-code={p.code} data-name={p.name} data-count={p.communeCount}>
                <label>
                  <input type="checkbox" name="unitCodes" value={p.code} checked={checkedUnits.has(p.code)} data-count={p.communeCount} />
                  <span class="name">{p.name}</span>{' '}
                  <span class="muted">
                    — {t('allCommunesOf')} ({p.communeCount})
                  </span>
                </label>
                <button type="button" class="link expand" data-code={p.code}>
                  {t('pickCommunes')}
                </button>
                <ul class="communes" hidden></ul>
              </li>
            ))}
          </ul>
          {(v.siteIds ?? []).map((id) => (
            <input type="hidden" name="siteIds" value={id} />
          ))}
        </fieldset>
        <label class="check">
          <input type="checkbox" name="allowConflicts" value="true" checked={v.allowConflicts ?? false} /> {t('allowConflicts')}
        </label>
        <button type="submit" class="primary">
          {t('submitSchedule')}
        </button>
      </form>
    </Layout>
  );
}
