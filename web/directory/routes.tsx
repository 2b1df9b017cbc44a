/**
 * The directory pages (secretariat): provinces with their count of sites without an address,
 * one unit's sites, one site's form and its calendar link, and the two-step import (upload →
 * check page → write or discard). Same services as /api/directory; every handler asks
 * api/directory/access.ts with the unit concerned.
 */
import { Hono, type Context } from 'hono';
import type { AppContext, AppEnv, AuthenticatedUser } from '../../api/context.ts';
import { NATIONAL_UNIT } from '../../api/auth/policy.ts';
import { assertDirectoryAccess } from '../../api/directory/access.ts';
import { hasRealAddress, splitAddresses } from '../../api/directory/addresses.ts';
import { directoryFields } from '../../api/directory/fields.ts';
import type { CalendarLinks } from '../../api/directory/calendar-link.ts';
import type { DirectoryImports } from '../../api/directory/import.ts';
import { listEntries, type DirectoryService } from '../../api/directory/service.ts';
import { DomainError, NotFoundError, ValidationError } from '../../api/errors.ts';
import { unitCode as unitCodeSchema } from '../../api/units/routes.ts';
import { parseFormBody, uuidParam } from '../../api/validation.ts';
import { meetingCallList } from '../../api/directory/call-list.ts';
import { pageAuth, signedInUser } from '../common/page-auth.ts';
import { CallListPage } from './call-list-page.tsx';
import {
  DirectoryHomePage,
  DirectorySitePage,
  DirectoryUnitPage,
  ImportPreviewPage,
  siteFormValues,
  type ProvinceSummary,
  type SiteFormValues,
} from './pages.tsx';
import { describeDirectoryError, directoryTranslator } from './texts.ts';

/** Changes listed on the check page; the count covers all of them. */
const PREVIEW_CHANGES_SHOWN = 300;

const text = (value: unknown): string => (typeof value === 'string' ? value : '');

export function directoryPages(ctx: AppContext, directory: DirectoryService, imports: DirectoryImports, calendarLinks: CalendarLinks) {
  const app = new Hono<AppEnv>();
  const guard = pageAuth('directory.manage');

  const idOr404 = (c: Context<AppEnv>, what: string) => {
    const id = uuidParam.safeParse(c.req.param('id'));
    if (!id.success) throw new NotFoundError(what, c.req.param('id'));
    return id.data;
  };
  const unitOr404 = (c: Context<AppEnv>) => {
    const code = unitCodeSchema.safeParse(c.req.param('code'));
    if (!code.success) throw new NotFoundError('Administrative unit', c.req.param('code'));
    return code.data;
  };

  app.get('/directory', guard, async (c) => {
    // Below the nation the directory starts at the account's own unit.
    const own = signedInUser(c);
    if (own && own.unitCode !== NATIONAL_UNIT) return c.redirect(`/directory/units/${own.unitCode}`, 303);
    const user = await assertDirectoryAccess(ctx.db, own, NATIONAL_UNIT);
    const entries = await listEntries(ctx.db, 'VN');
    const provinces = new Map<string, ProvinceSummary>();
    for (const entry of entries) {
      const provinceCode = entry.kind === 'commune' ? entry.parentCode : entry.unitCode.length === 2 ? entry.unitCode : null;
      if (!provinceCode) continue;
      let summary = provinces.get(provinceCode);
      if (!summary) {
        summary = { code: provinceCode, name: '', sites: 0, withoutAddress: 0 };
        provinces.set(provinceCode, summary);
      }
      if (entry.unitCode === provinceCode) summary.name = entry.unitName;
      summary.sites++;
      if (entry.active && !hasRealAddress(entry.contactEmails)) summary.withoutAddress++;
    }
    const national = entries.filter((e) => e.unitCode === 'VN').map((e) => ({ ...e, hasRealAddress: hasRealAddress(e.contactEmails), updatedAt: '' }));
    return c.html(
      <DirectoryHomePage
        lang={c.get('lang')}
        user={user}
        national={national}
        provinces={[...provinces.values()].sort((a, b) => a.code.localeCompare(b.code))}
      />,
    );
  });

  const renderUnit = async (c: Context<AppEnv>, user: AuthenticatedUser, code: string, extra: { error?: string; notice?: string; status?: number } = {}) => {
    const missingOnly = c.req.query('missing') === 'true';
    const listing = await directory.listUnit(code, { missingOnly });
    return c.html(
      <DirectoryUnitPage
        lang={c.get('lang')}
        user={user}
        unit={listing.unit}
        total={listing.total}
        withoutAddress={listing.withoutAddress}
        sites={listing.sites}
        missingOnly={missingOnly}
        {...extra}
      />,
      (extra.status ?? 200) as 200,
    );
  };

  app.get('/directory/units/:code', guard, async (c) => {
    const code = unitOr404(c);
    const user = await assertDirectoryAccess(ctx.db, signedInUser(c), code);
    const notice = c.req.query('applied');
    const t = directoryTranslator(c.get('lang'));
    return renderUnit(c, user, code, notice && /^\d+$/.test(notice) ? { notice: `${t('applied')}: ${notice} ${t('sitesChanged')}.` } : {});
  });

  app.post('/directory/units/:code/import', guard, async (c) => {
    const code = unitOr404(c);
    const user = await assertDirectoryAccess(ctx.db, signedInUser(c), code);
    const form = await parseFormBody(c);
    const file = form.file;
    try {
      if (!(file instanceof File) || file.size === 0) throw new ValidationError(directoryTranslator(c.get('lang'))('noFileChosen'));
      const preview = await imports.preview(code, { bytes: new Uint8Array(await file.arrayBuffer()), fileName: file.name }, user);
      return c.redirect(`/directory/imports/${preview.id}`, 303);
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      return renderUnit(c, user, code, { error: describeDirectoryError(error, c.get('lang')), status: error.status });
    }
  });

  const renderImport = async (c: Context<AppEnv>, user: AuthenticatedUser, id: string, extra: { error?: string; notice?: string; status?: number } = {}) => {
    const preview = await imports.get(id, { changeLimit: PREVIEW_CHANGES_SHOWN });
    const unit = await directory.listUnit(preview.unitCode).then((l) => l.unit);
    return c.html(<ImportPreviewPage lang={c.get('lang')} user={user} preview={preview} unitName={unit.name} {...extra} />, (extra.status ?? 200) as 200);
  };

  app.get('/directory/imports/:id', guard, async (c) => {
    const id = idOr404(c, 'Directory import');
    const user = await assertDirectoryAccess(ctx.db, signedInUser(c), await imports.unitOf(id));
    return renderImport(c, user, id, c.req.query('discarded') === '1' ? { notice: directoryTranslator(c.get('lang'))('discarded') } : {});
  });

  app.post('/directory/imports/:id/apply', guard, async (c) => {
    const id = idOr404(c, 'Directory import');
    const unit = await imports.unitOf(id);
    const user = await assertDirectoryAccess(ctx.db, signedInUser(c), unit);
    const form = await parseFormBody(c);
    try {
      const result = await imports.apply(id, { acceptValid: form.acceptValid === 'true' }, user);
      return c.redirect(`/directory/units/${unit}?applied=${result.changed}`, 303);
    } catch (error) {
      if (!(error instanceof DomainError) || error.status === 404) throw error;
      return renderImport(c, user, id, { error: describeDirectoryError(error, c.get('lang')), status: error.status });
    }
  });

  app.post('/directory/imports/:id/discard', guard, async (c) => {
    const id = idOr404(c, 'Directory import');
    const user = await assertDirectoryAccess(ctx.db, signedInUser(c), await imports.unitOf(id));
    try {
      await imports.discard(id, user);
    } catch (error) {
      if (!(error instanceof DomainError) || error.status === 404) throw error;
      return renderImport(c, user, id, { error: describeDirectoryError(error, c.get('lang')), status: error.status });
    }
    return c.redirect(`/directory/imports/${id}?discarded=1`, 303);
  });

  const renderSite = async (
    c: Context<AppEnv>,
    user: AuthenticatedUser,
    siteId: string,
    extra: { values?: SiteFormValues; error?: string; notice?: string; feedUrl?: string; status?: number } = {},
  ) => {
    const site = await directory.getSite(siteId);
    const { values, status, ...rest } = extra;
    return c.html(
      <DirectorySitePage lang={c.get('lang')} user={user} site={site} values={values ?? siteFormValues(site)} canSendLink={calendarLinks.canSend} {...rest} />,
      (status ?? 200) as 200,
    );
  };

  app.get('/directory/sites/:id', guard, async (c) => {
    const id = idOr404(c, 'Site');
    const user = await assertDirectoryAccess(ctx.db, signedInUser(c), (await directory.getSite(id)).unitCode);
    return renderSite(c, user, id, c.req.query('saved') === '1' ? { notice: directoryTranslator(c.get('lang'))('saved') } : {});
  });

  app.post('/directory/sites/:id', guard, async (c) => {
    const id = idOr404(c, 'Site');
    const user = await assertDirectoryAccess(ctx.db, signedInUser(c), (await directory.getSite(id)).unitCode);
    const form = await parseFormBody(c);
    const values: SiteFormValues = {
      contactEmails: text(form.contactEmails),
      contactPhone: text(form.contactPhone),
      responsiblePerson: text(form.responsiblePerson),
      hallAddress: text(form.hallAddress),
      note: text(form.note),
      active: form.active === 'true',
    };
    const parsed = directoryFields.safeParse({ ...values, contactEmails: splitAddresses(values.contactEmails) });
    if (!parsed.success) {
      const error = ValidationError.fromZod(parsed.error);
      return renderSite(c, user, id, { values, error: describeDirectoryError(error, c.get('lang')), status: 422 });
    }
    const { changed } = await directory.updateSite(id, parsed.data, user);
    if (changed.length === 0) return renderSite(c, user, id, { notice: directoryTranslator(c.get('lang'))('nothingChanged') });
    return c.redirect(`/directory/sites/${id}?saved=1`, 303);
  });

  app.post('/directory/sites/:id/calendar-link', guard, async (c) => {
    const id = idOr404(c, 'Site');
    const user = await assertDirectoryAccess(ctx.db, signedInUser(c), (await directory.getSite(id)).unitCode);
    const form = await parseFormBody(c);
    // Shown once, on this response: only its hash is stored.
    c.header('Cache-Control', 'no-store');
    try {
      const issued = await calendarLinks.issue(id, { rotate: form.rotate === 'true', send: form.send === 'true' }, user);
      const t = directoryTranslator(c.get('lang'));
      return renderSite(c, user, id, { feedUrl: issued.url, ...(issued.sentTo.length ? { notice: t('feedLinkSent', { to: issued.sentTo.join(', ') }) } : {}) });
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      return renderSite(c, user, id, { error: describeDirectoryError(error, c.get('lang')), status: error.status });
    }
  });

  app.get('/meetings/:id/call-list', pageAuth('meeting.manage'), async (c) => {
    const id = idOr404(c, 'Meeting');
    const list = await meetingCallList(ctx.db, id);
    const user = await assertDirectoryAccess(ctx.db, signedInUser(c), (await directory.getSite(list.meeting.hostSiteId)).unitCode);
    return c.html(<CallListPage lang={c.get('lang')} user={user} list={list} />);
  });

  return app;
}
