/** The audit log page (/audit): filters, the entries of the reader's unit subtree, a CSV link. */
import { Hono } from 'hono';
import { auditPageQuery, readAuditLog } from '../../api/audit/log.ts';
import type { AppContext, AppEnv } from '../../api/context.ts';
import { formatVietnamDateTime } from '../../api/time.ts';
import { ValidationError } from '../../api/errors.ts';
import { Layout } from '../common/layout.tsx';
import { pageAuth, signedInUser } from '../common/page-auth.ts';
import { pageTranslator } from '../common/texts.ts';
import { auditTexts } from './texts.ts';

export function auditPages(ctx: AppContext) {
  return new Hono<AppEnv>().get('/audit', pageAuth('audit.read'), async (c) => {
    const user = signedInUser(c);
    const lang = c.get('lang');
    const t = pageTranslator(auditTexts, lang);
    const parsed = auditPageQuery.safeParse(Object.fromEntries(Object.entries(c.req.query()).filter(([, v]) => v !== '')));
    if (!parsed.success) throw ValidationError.fromZod(parsed.error, 400);
    const query = parsed.data;
    const entries = await readAuditLog(ctx.db, user, { ...query, format: 'json' });
    const csv = new URLSearchParams(
      Object.entries({
        ...(query.unit ? { unit: query.unit } : {}),
        ...(query.action ? { action: query.action } : {}),
        ...(query.actor ? { actor: query.actor } : {}),
        format: 'csv',
      }),
    );
    return c.html(
      <Layout title={t('auditTitle')} lang={lang} user={user}>
        <h1>{t('auditTitle')}</h1>
        <form method="get" action="/audit" class="filters">
          <label>
            {t('unit')}
            <input type="text" name="unit" value={query.unit ?? ''} pattern="VN|[0-9]{2}|[0-9]{5}" />
          </label>
          <label>
            {t('action')}
            <input type="text" name="action" value={query.action ?? ''} />
          </label>
          <label>
            {t('actor')}
            <input type="email" name="actor" value={query.actor ?? ''} />
          </label>
          <button type="submit">{t('filter')}</button> <a href={`/api/audit?${csv.toString()}`}>{t('downloadCsv')}</a>
        </form>
        <table id="audit">
          <thead>
            <tr>
              <th>{t('time')}</th>
              <th>{t('actor')}</th>
              <th>{t('action')}</th>
              <th>{t('entity')}</th>
              <th>{t('unit')}</th>
            </tr>
          </thead>
          <tbody>
            {entries.map((e) => (
              <tr>
                <td>{formatVietnamDateTime(e.at, lang)}</td>
                <td>{e.actorEmail ?? '—'}</td>
                <td>{e.action}</td>
                <td>
                  {e.entity} {e.entityId}
                </td>
                <td>{e.unitCode ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Layout>,
    );
  });
}
