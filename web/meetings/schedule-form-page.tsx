/**
 * The scheduling form, also the edit form of a meeting and the start of a copy. Works without
 * JavaScript for the common case (host, time, whole provinces); the tree picker script adds
 * search, single communes and a live count. Editing lists the current sites (untick to remove),
 * the picker adds sites, and "Xem trước" shows what each site will receive before anything is
 * saved (api/meetings/update-preview.ts).
 */
import type { AuthenticatedUser, Lang } from '../../api/context.ts';
import { NATIONAL_UNIT } from '../../api/auth/policy.ts';
import type { ConflictingMeeting } from '../../api/meetings/queries.ts';
import type { PreviewSite, UpdatePreview } from '../../api/meetings/update-preview.ts';
import { siteRoleLabel } from '../../api/attendance/texts.ts';
import { formatVietnamDateTime } from '../../api/time.ts';
import { pageTranslator } from '../common/texts.ts';
import { meetingTexts } from './texts.ts';
import { ErrorBox, Layout } from '../common/layout.tsx';

export interface ScheduleFormValues {
  title?: string;
  agenda?: string;
  referenceNumber?: string;
  hostSiteId?: string;
  date?: string;
  startTime?: string;
  endTime?: string;
  unitCodes?: string[];
  siteIds?: string[];
  allowConflicts?: boolean;
  /** Every provincial hall (the "provinceHalls" box), expanded by the page route. */
  provinceHalls?: boolean;
  /** Editing: the current participants to keep (the others are removed). */
  keepSiteIds?: string[];
  /** A new meeting only: repeat it as a series (api/meetings/series.ts); '' for once. */
  repeat?: string;
  repeatCount?: string;
  repeatUntil?: string;
}

/** The dates a series will have, shown before it is sent, each with a box to drop it. */
export interface SeriesDatesPreview {
  description: string;
  occurrences: { date: string; label: string; holiday: string | null; kept: boolean }[];
}

export interface EditMode {
  meetingId: string;
  meetingTitle: string;
  participants: { siteId: string; name: string; unitCode: string; unitName: string; role: 'host' | 'participant' }[];
  preview?: { plan: UpdatePreview; token: string };
}

export interface ProvinceChoice {
  code: string;
  name: string;
  communeCount: number;
  /** Active communes without a real e-mail address (the directory's rule). */
  withoutAddress: number;
}

/**
 * What only national accounts may invite at once: every site in the country (unit "VN") and the
 * 34 provincial halls. Provincial accounts do not see it (api/auth/policy.ts would refuse it).
 */
export interface WideScopeChoice {
  /** Active sites below the nation: provincial halls and communes. */
  nationCount: number;
  nationWithoutAddress: number;
  provinceHallCount: number;
  provinceHallsWithoutAddress: number;
}

export function ScheduleFormPage(props: {
  lang: Lang;
  user: AuthenticatedUser;
  halls: { id: string; name: string }[];
  provinces: ProvinceChoice[];
  wideScope?: WideScopeChoice;
  values: ScheduleFormValues;
  error?: string;
  notice?: string;
  conflicts?: ConflictingMeeting[];
  edit?: EditMode;
  seriesDates?: SeriesDatesPreview;
}) {
  const t = pageTranslator(meetingTexts, props.lang);
  const v = props.values;
  const checkedUnits = new Set(v.unitCodes ?? []);
  const edit = props.edit;
  const keep = new Set(v.keepSiteIds ?? edit?.participants.map((p) => p.siteId) ?? []);
  const heading = edit ? `${t('editMeeting')}: ${edit.meetingTitle}` : t('newMeeting');
  return (
    <Layout title={heading} lang={props.lang} user={props.user} scripts={['scheduling-form']}>
      <h1>{heading}</h1>
      {props.notice && (
        <p class="notice" role="status">
          {props.notice}
        </p>
      )}
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
      <form
        method="post"
        action={edit ? `/meetings/${edit.meetingId}/edit` : '/meetings/new'}
        id="schedule-form"
        class="card"
        {...(edit ? {} : { enctype: 'multipart/form-data' })}
      >
        <label>
          {t('title')}
          <input name="title" required maxlength={300} value={v.title ?? ''} />
        </label>
        <label>
          {t('referenceNumber')}
          <input name="referenceNumber" maxlength={100} value={v.referenceNumber ?? ''} placeholder={t('referenceNumberHint')} />
        </label>
        <label>
          {t('agenda')}
          <textarea name="agenda" rows={4} maxlength={20000}>
            {v.agenda ?? ''}
          </textarea>
        </label>
        {!edit && (
          <label>
            {t('attachmentField')}
            <input type="file" name="attachment" accept="application/pdf,.pdf" />
          </label>
        )}
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
        {edit && (
          <fieldset id="current-sites">
            <legend>
              {t('currentSites')} ({edit.participants.length})
            </legend>
            <p class="muted small">{t('untickToRemove')}</p>
            <ul class="tree">
              {edit.participants.map((p) => (
                <li>
                  <label>
                    <input type="checkbox" name="keepSiteIds" value={p.siteId} checked={keep.has(p.siteId)} /> {p.name}{' '}
                    <span class="muted small">
                      {p.unitName} ({p.unitCode}){p.role === 'host' ? ` · ${siteRoleLabel('host', props.lang)}` : ''}
                    </span>
                  </label>
                </li>
              ))}
            </ul>
          </fieldset>
        )}
        <fieldset id="site-picker">
          <legend>{edit ? t('addSites') : t('participants')}</legend>
          <div class="picker-bar">
            <input type="search" id="unit-search" placeholder={t('searchUnits')} autocomplete="off" />
            <span id="selected-count" aria-live="polite">
              {t('selectedCount')}: <b>0</b> {t('sites')}
            </span>
          </div>
          <ul id="search-results" class="tree" hidden></ul>
          {props.wideScope && (
            <ul class="tree" id="wide-scope">
              <li>
                <label>
                  <input
                    type="checkbox"
                    name="unitCodes"
                    value={NATIONAL_UNIT}
                    checked={checkedUnits.has(NATIONAL_UNIT)}
                    data-count={props.wideScope.nationCount}
                    data-missing={props.wideScope.nationWithoutAddress}
                  />
                  <span class="name">{t('wholeNation')}</span> <span class="muted">— {t('wholeNationHint', { n: props.wideScope.nationCount })}</span>
                </label>
              </li>
              <li>
                <label>
                  <input
                    type="checkbox"
                    name="provinceHalls"
                    value="all"
                    checked={v.provinceHalls ?? false}
                    data-count={props.wideScope.provinceHallCount}
                    data-missing={props.wideScope.provinceHallsWithoutAddress}
                  />
                  <span class="name">{t('provinceHalls')}</span> <span class="muted">({props.wideScope.provinceHallCount})</span>
                </label>
              </li>
            </ul>
          )}
          <ul class="tree" id="province-tree">
            {props.provinces.map((p) => (
              <li class="province" data-code={p.code} data-name={p.name} data-count={p.communeCount}>
                <label>
                  <input
                    type="checkbox"
                    name="unitCodes"
                    value={p.code}
                    checked={checkedUnits.has(p.code)}
                    data-count={p.communeCount}
                    data-missing={p.withoutAddress}
                  />
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
          {/* Filled in by the picker script as the selection changes (see browser/schedule-form.ts). */}
          <p
            id="address-notice"
            class="warning"
            role="status"
            hidden
            data-template={t('sitesWithoutAddress', { n: '{n}' })}
            data-link-text={t('fixAddresses')}
          ></p>
        </fieldset>
        {!edit && <RepeatSection lang={props.lang} values={v} {...(props.seriesDates ? { dates: props.seriesDates } : {})} />}
        <label class="check">
          <input type="checkbox" name="allowConflicts" value="true" checked={v.allowConflicts ?? false} /> {t('allowConflicts')}
        </label>
        {edit ? (
          <>
            {edit.preview && <ChangePreview lang={props.lang} plan={edit.preview.plan} />}
            {edit.preview && <input type="hidden" name="previewToken" value={edit.preview.token} />}
            <button type="submit" name="step" value="preview" class={edit.preview ? '' : 'primary'}>
              {t('previewChanges')}
            </button>{' '}
            {edit.preview && (
              <button type="submit" name="step" value="save" class="primary" id="save-changes">
                {t('saveAndNotify')}
              </button>
            )}
          </>
        ) : props.seriesDates ? (
          <>
            <button type="submit" name="step" value="dates">
              {t('showSeriesDates')}
            </button>{' '}
            <button type="submit" name="step" value="save" class="primary" id="save-series">
              {t('submitSeries')}
            </button>
          </>
        ) : (
          <button type="submit" class="primary">
            {t('submitSchedule')}
          </button>
        )}
      </form>
    </Layout>
  );
}

function SiteGroup(props: { id: string; title: string; sites: PreviewSite[] }) {
  return (
    <div id={props.id}>
      <h3>
        {props.title}: <span class="count">{props.sites.length}</span>
      </h3>
      {props.sites.length > 0 && (
        <ul class="small">
          {props.sites.slice(0, 200).map((s) => (
            <li data-site-id={s.id}>
              {s.name} <span class="muted">({s.unitCode})</span>
            </li>
          ))}
          {props.sites.length > 200 && <li class="muted">… {props.sites.length - 200}</li>}
        </ul>
      )}
    </div>
  );
}

/** What each site will receive if this form is saved. */
function ChangePreview(props: { lang: Lang; plan: UpdatePreview }) {
  const t = pageTranslator(meetingTexts, props.lang);
  const { plan } = props;
  const nothing = plan.updates.length + plan.invitations.length + plan.cancellations.length === 0;
  return (
    <section class="warning" id="change-preview">
      <h2>{t('whatSitesReceive')}</h2>
      {nothing ? (
        <p>{t('nothingToSend')}</p>
      ) : (
        <>
          <SiteGroup id="preview-updates" title={t('willGetUpdate')} sites={plan.updates} />
          <SiteGroup id="preview-invitations" title={t('willGetInvitation')} sites={plan.invitations} />
          <SiteGroup id="preview-cancellations" title={t('willGetCancellation')} sites={plan.cancellations} />
        </>
      )}
    </section>
  );
}

/**
 * "Lặp lại": once, or a series. Choosing a repetition and sending shows the dates first (the
 * same button, no script needed), holidays marked, each with a box to untick; the second send
 * schedules the series without the unticked dates.
 */
function RepeatSection(props: { lang: Lang; values: ScheduleFormValues; dates?: SeriesDatesPreview }) {
  const t = pageTranslator(meetingTexts, props.lang);
  const v = props.values;
  const options: [string, string][] = [
    ['', t('noRepeat')],
    ['weekly', t('repeatWeekly')],
    ['biweekly', t('repeatBiweekly')],
    ['monthly-weekday', t('repeatMonthlyWeekday')],
    ['monthly-date', t('repeatMonthlyDate')],
  ];
  return (
    <fieldset id="repeat">
      <legend>{t('repeat')}</legend>
      <div class="row">
        <label>
          {t('repeat')}
          <select name="repeat">
            {options.map(([value, label]) => (
              <option value={value} selected={(v.repeat ?? '') === value}>
                {label}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t('repeatCount')}
          <input type="number" name="repeatCount" min={2} max={100} value={v.repeatCount ?? ''} />
        </label>
        <label>
          {t('repeatUntil')}
          <input type="date" name="repeatUntil" value={v.repeatUntil ?? ''} />
        </label>
      </div>
      {props.dates && (
        <section id="series-dates">
          <h2>
            {t('seriesDates')}: {props.dates.description}
          </h2>
          <p class="muted small">{t('untickToDrop')}</p>
          <ul class="tree">
            {props.dates.occurrences.map((o) => (
              <li data-date={o.date} class={o.holiday ? 'holiday' : undefined}>
                <input type="hidden" name="shownDates" value={o.date} />
                <label>
                  <input type="checkbox" name="keepDates" value={o.date} checked={o.kept} /> {o.label}
                  {o.holiday && (
                    <strong class="holiday-name">
                      {' '}
                      — {t('publicHoliday')}: {o.holiday}
                    </strong>
                  )}
                </label>
              </li>
            ))}
          </ul>
        </section>
      )}
    </fieldset>
  );
}
