/** The directory pages: the provinces, one unit's sites, one site's form, an import's check. */
import type { AuthenticatedUser, Lang } from '../../api/context.ts';
import type { ImportPreview } from '../../api/directory/import.ts';
import type { DirectoryEntry } from '../../api/directory/service.ts';
import type { DirectoryField } from '../../api/directory/fields.ts';
import { ErrorBox, Layout } from '../common/layout.tsx';
import { directoryTranslator, fieldText, problemText } from './texts.ts';

export interface ProvinceSummary {
  code: string;
  name: string;
  sites: number;
  withoutAddress: number;
}

export function DirectoryHomePage(props: { lang: Lang; user: AuthenticatedUser; national: DirectoryEntry[]; provinces: ProvinceSummary[] }) {
  const t = directoryTranslator(props.lang);
  return (
    <Layout title={t('directory')} lang={props.lang} user={props.user}>
      <h1>{t('directory')}</h1>
      <p class="muted">{t('intro')}</p>
      <p class="links">
        <a href="/api/directory/units/VN/export?format=xlsx">{t('exportXlsx')}</a> · <a href="/api/directory/units/VN/export?format=csv">{t('exportCsv')}</a>
      </p>
      {props.national.length > 0 && (
        <p>
          {t('nationalHall')}:{' '}
          {props.national.map((site) => (
            <a href={`/directory/sites/${site.id}`}>{site.name}</a>
          ))}
        </p>
      )}
      <table class="list" id="province-table">
        <thead>
          <tr>
            <th>{t('code')}</th>
            <th>{t('province')}</th>
            <th class="num">{t('siteCount')}</th>
            <th class="num">{t('withoutAddress')}</th>
          </tr>
        </thead>
        <tbody>
          {props.provinces.map((p) => (
            <tr data-code={p.code}>
              <td>{p.code}</td>
              <td>
                <a href={`/directory/units/${p.code}`}>{p.name}</a>
              </td>
              <td class="num">{p.sites}</td>
              <td class="num">{p.withoutAddress > 0 ? <a href={`/directory/units/${p.code}?missing=true`}>{p.withoutAddress}</a> : 0}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Layout>
  );
}

export function DirectoryUnitPage(props: {
  lang: Lang;
  user: AuthenticatedUser;
  unit: { code: string; name: string };
  total: number;
  withoutAddress: number;
  sites: DirectoryEntry[];
  missingOnly: boolean;
  error?: string;
  notice?: string;
}) {
  const t = directoryTranslator(props.lang);
  const code = props.unit.code;
  return (
    <Layout title={`${t('directory')} · ${props.unit.name}`} lang={props.lang} user={props.user}>
      <p>
        <a href="/directory">{t('directory')}</a>
      </p>
      <h1>
        {props.unit.name} ({code})
      </h1>
      {props.error && <ErrorBox lang={props.lang} message={props.error} />}
      {props.notice && (
        <p class="notice" role="status">
          {props.notice}
        </p>
      )}
      <p id="unit-summary">
        {t('siteCount')}: {props.total} · {t('withoutAddress')}: <strong>{props.withoutAddress}</strong> ·{' '}
        {props.missingOnly ? (
          <a href={`/directory/units/${code}`}>{t('showAll')}</a>
        ) : (
          <a href={`/directory/units/${code}?missing=true`}>{t('onlyWithoutAddress')}</a>
        )}
      </p>
      <p class="muted small">{t('placeholderNote')}</p>
      <p class="links">
        <a href={`/api/directory/units/${code}/export?format=xlsx`} id="export-xlsx">
          {t('exportXlsx')}
        </a>{' '}
        ·{' '}
        <a href={`/api/directory/units/${code}/export?format=csv`} id="export-csv">
          {t('exportCsv')}
        </a>{' '}
        · <a href={`/api/directory/units/${code}/export?format=csv&sep=semicolon`}>{t('exportCsvSemicolon')}</a>
      </p>
      <form method="post" action={`/directory/units/${code}/import`} enctype="multipart/form-data" class="card" id="import-form">
        <h2>{t('importTitle')}</h2>
        <p class="muted small">{t('importHint')}</p>
        <label>
          {t('chooseFile')}{' '}
          <input type="file" name="file" accept=".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" required />
        </label>{' '}
        <button type="submit" class="primary">
          {t('checkFile')}
        </button>
      </form>
      <table class="list" id="directory-table">
        <thead>
          <tr>
            <th>{t('code')}</th>
            <th>{t('site')}</th>
            <th>{t('emails')}</th>
            <th>{t('phone')}</th>
            <th>{t('responsiblePerson')}</th>
            <th></th>
          </tr>
        </thead>
        <tbody>
          {props.sites.map((site) => (
            <tr data-site-id={site.id} class={site.active ? '' : 'cancelled'}>
              <td>{site.unitCode}</td>
              <td>
                {site.name}
                {!site.active && <div class="small muted">{t('inactive')}</div>}
              </td>
              <td>{site.hasRealAddress ? site.contactEmails.join(', ') : <span class="status-failed missing-address">{t('withoutAddress')}</span>}</td>
              <td>{site.contactPhone ?? ''}</td>
              <td>{site.responsiblePerson ?? ''}</td>
              <td>
                <a href={`/directory/sites/${site.id}`}>{t('edit')}</a>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </Layout>
  );
}

export interface SiteFormValues {
  contactEmails: string;
  contactPhone: string;
  responsiblePerson: string;
  hallAddress: string;
  note: string;
  active: boolean;
}

export function siteFormValues(site: DirectoryEntry): SiteFormValues {
  return {
    contactEmails: site.contactEmails.join('\n'),
    contactPhone: site.contactPhone ?? '',
    responsiblePerson: site.responsiblePerson ?? '',
    hallAddress: site.hallAddress ?? '',
    note: site.note ?? '',
    active: site.active,
  };
}

export function DirectorySitePage(props: {
  lang: Lang;
  user: AuthenticatedUser;
  site: DirectoryEntry;
  values: SiteFormValues;
  error?: string;
  notice?: string;
  feedUrl?: string;
  canSendLink: boolean;
}) {
  const t = directoryTranslator(props.lang);
  const { site, values: v } = props;
  const unitLink = site.kind === 'commune' && site.parentCode ? site.parentCode : site.unitCode;
  return (
    <Layout title={`${t('directory')} · ${site.name}`} lang={props.lang} user={props.user}>
      <p>
        <a href="/directory">{t('directory')}</a> › <a href={`/directory/units/${unitLink}`}>{unitLink}</a>
      </p>
      <h1>
        {site.name} <span class="muted">({site.unitCode})</span>
      </h1>
      {props.error && <ErrorBox lang={props.lang} message={props.error} />}
      {props.notice && (
        <p class="notice" role="status">
          {props.notice}
        </p>
      )}
      {!site.hasRealAddress && (
        <p class="error">
          {t('withoutAddress')}. {t('placeholderNote')}
        </p>
      )}
      <form method="post" action={`/directory/sites/${site.id}`} class="card" id="site-form">
        <label>
          {t('emails')}
          <textarea name="contactEmails" rows={3}>
            {v.contactEmails}
          </textarea>
          <span class="muted small">{t('emailsHint')}</span>
        </label>
        <label>
          {t('phone')}
          <input name="contactPhone" maxlength={100} value={v.contactPhone} />
        </label>
        <label>
          {t('responsiblePerson')}
          <input name="responsiblePerson" maxlength={200} value={v.responsiblePerson} />
        </label>
        <label>
          {t('hallAddress')}
          <input name="hallAddress" maxlength={500} value={v.hallAddress} />
        </label>
        <label>
          {t('note')}
          <textarea name="note" rows={3} maxlength={2000}>
            {v.note}
          </textarea>
        </label>
        <label class="check">
          <input type="checkbox" name="active" value="true" checked={v.active} /> {t('active')}
        </label>
        <button type="submit" class="primary">
          {t('save')}
        </button>
      </form>
      <section class="card" id="calendar-feed">
        <h2>{t('calendarFeed')}</h2>
        <p class="muted small">{t('calendarFeedHint')}</p>
        {props.feedUrl && (
          <p class="notice" role="status">
            {t('feedLinkMade')} <code id="feed-url">{props.feedUrl}</code>
          </p>
        )}
        <form method="post" action={`/directory/sites/${site.id}/calendar-link`} class="inline">
          <label class="check">
            <input type="checkbox" name="rotate" value="true" /> {t('rotateFeedLink')}
          </label>{' '}
          <button type="submit" name="send" value="false">
            {t('makeFeedLink')}
          </button>{' '}
          {props.canSendLink && site.hasRealAddress && (
            <button type="submit" name="send" value="true" class="primary" id="send-feed-link">
              {t('makeAndSendFeedLink')}
            </button>
          )}
        </form>
      </section>
    </Layout>
  );
}

function show(value: unknown): string {
  if (value === null || value === undefined || value === '') return '—';
  if (Array.isArray(value)) return value.length ? value.join(', ') : '—';
  if (typeof value === 'boolean') return value ? 'có' : 'không';
  return String(value);
}

export function ImportPreviewPage(props: { lang: Lang; user: AuthenticatedUser; preview: ImportPreview; unitName: string; error?: string; notice?: string }) {
  const t = directoryTranslator(props.lang);
  const p = props.preview;
  const open = p.status === 'previewed';
  return (
    <Layout title={t('previewTitle')} lang={props.lang} user={props.user}>
      <p>
        <a href={`/directory/units/${p.unitCode}`}>
          {props.unitName} ({p.unitCode})
        </a>
      </p>
      <h1>{t('previewTitle')}</h1>
      {props.error && <ErrorBox lang={props.lang} message={props.error} />}
      {props.notice && (
        <p class="notice" role="status">
          {props.notice}
        </p>
      )}
      <p id="import-summary">
        {p.fileName ?? ''} ({p.format}) · {t('lines')}: {p.lineCount} · {t('validLines')}: {p.validCount} · {t('changedLines')}: {p.changedCount} ·{' '}
        {t('problemLines')}: <strong>{p.problems.length}</strong>
      </p>
      {open && <p class="muted">{t('nothingWritten')}</p>}
      {p.problems.length === 0 ? (
        <p class="notice">{t('noProblems')}</p>
      ) : (
        <table class="list" id="import-problems">
          <thead>
            <tr>
              <th class="num">{t('line')}</th>
              <th>{t('code')}</th>
              <th>{t('problem')}</th>
            </tr>
          </thead>
          <tbody>
            {p.problems.map((problem) => (
              <tr data-line={problem.line}>
                <td class="num">{problem.line}</td>
                <td>{problem.code}</td>
                <td>
                  {problemText(problem, props.lang)}
                  {props.lang === 'vi' && <div class="small muted">{problem.message}</div>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {open && (
        <div class="links">
          <form method="post" action={`/directory/imports/${p.id}/apply`} class="inline" id="apply-form">
            {p.problems.length > 0 && (
              <label class="check">
                <input type="checkbox" name="acceptValid" value="true" required /> {t('confirmValid')}
              </label>
            )}{' '}
            <button type="submit" class="primary">
              {p.problems.length > 0 ? t('applyValid') : t('applyAll')}
            </button>
          </form>{' '}
          <form method="post" action={`/directory/imports/${p.id}/discard`} class="inline">
            <button type="submit">{t('discard')}</button>
          </form>
        </div>
      )}
      {p.changes.length > 0 && (
        <>
          <h2>{t('changedLines')}</h2>
          <table class="list" id="import-changes">
            <thead>
              <tr>
                <th class="num">{t('line')}</th>
                <th>{t('site')}</th>
                <th>{t('change')}</th>
              </tr>
            </thead>
            <tbody>
              {p.changes.map((change) => (
                <tr>
                  <td class="num">{change.line}</td>
                  <td>
                    {change.siteName} ({change.unitCode})
                  </td>
                  <td>
                    {(Object.entries(change.changes) as [DirectoryField, { from: unknown; to: unknown }][]).map(([field, c]) => (
                      <div class="small">
                        {fieldText(field, props.lang)}: {show(c.from)} → <strong>{show(c.to)}</strong>
                      </div>
                    ))}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {p.changedCount > p.changes.length && <p class="muted">{t('andMore', { n: p.changedCount - p.changes.length })}</p>}
        </>
      )}
    </Layout>
  );
}
