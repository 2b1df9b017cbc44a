/**
 * GET /api/units, /api/units/:code/sites, /api/sites?kind=hall: the administrative tree picker's
 * data. /api/units is the same for everyone and holds no contacts: it comes from memory with an
 * ETag (`no-cache`: any cache may keep it but must ask again, and asking checks the sign-in).
 * The sites carry contacts and stay private (the API's default Cache-Control).
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { requireAction } from '../auth/middleware.ts';
import { contactsVisible } from '../auth/policy.ts';
import type { AppContext, AppEnv, AuthenticatedUser } from '../context.ts';
import { NotFoundError } from '../errors.ts';
import { parseParam, parseQuery } from '../validation.ts';
import { hasRealAddress } from '../directory/addresses.ts';
import { matchesEtag } from '../etag.ts';
import { UnitDirectory } from './directory.ts';
import { getUnit, listSites, listSitesUnder } from './service.ts';

/** The picker warns about sites nobody can write to (api/directory/addresses.ts). */
const withAddressFlag = <S extends { contactEmails: string[] }>(sites: S[]) => sites.map((s) => ({ ...s, hasRealAddress: hasRealAddress(s.contactEmails) }));

export const unitCode = z.string().regex(/^(VN|\d{2}|\d{5})$/, 'must be "VN", a 2-digit province code or a 5-digit commune code');

export const unitsQuery = z.object({
  level: z.enum(['national', 'province', 'commune']).optional(),
  parent: unitCode.optional(),
  q: z.string().trim().min(1).max(100).optional(),
  limit: z.coerce.number().int().min(1).max(5000).default(5000),
});

export const sitesQuery = z.object({
  kind: z.enum(['hall', 'commune', 'department']).optional(),
  q: z.string().trim().min(1).max(100).optional(),
  limit: z.coerce.number().int().min(1).max(5000).default(200),
});

const count = z.number().int().min(0);
const unitBody = z
  .object({
    code: z.string(),
    name: z.string(),
    placeType: z.string().nullable(),
    level: z.enum(['national', 'province', 'commune']),
    parentCode: z.string().nullable(),
    childCount: count,
  })
  .strict();
const siteBody = z
  .object({
    id: z.uuid(),
    name: z.string(),
    kind: z.enum(['hall', 'commune', 'department']),
    unitCode: z.string(),
    unitName: z.string(),
    parentCode: z.string().nullable(),
    contactEmails: z.array(z.string()),
    contactPhone: z.string().nullable(),
    active: z.boolean(),
    hasRealAddress: z.boolean(),
  })
  .strict();

/** GET /api/units */
export const unitListBody = z.object({ units: z.array(unitBody) }).strict();
/** GET /api/sites */
export const siteListBody = z.object({ sites: z.array(siteBody) }).strict();
/** GET /api/units/:code/sites: the unit as stored, and every site below it. */
export const unitSitesBody = z.object({ unit: z.looseObject({ code: z.string(), name: z.string() }), sites: z.array(siteBody) }).strict();

export function unitRoutes(ctx: AppContext) {
  const directory = new UnitDirectory(ctx.db);
  return new Hono<AppEnv>()
    .use(requireAction('units.read'))
    .get('/units', async (c) => {
      const reply = await directory.list(parseQuery(c, unitsQuery));
      const headers = { ETag: reply.etag, 'Cache-Control': 'no-cache' };
      if (matchesEtag(c.req.header('if-none-match'), reply.etag)) return c.body(null, 304, headers);
      return c.body(reply.body, 200, { ...headers, 'Content-Type': 'application/json; charset=UTF-8' });
    })
    .get('/units/:code/sites', async (c) => {
      const code = parseParam(c.req.param('code'), unitCode, 'unit code');
      const unit = await getUnit(ctx.db, code);
      if (!unit) throw new NotFoundError('Administrative unit', code);
      const actor = c.get('user')!;
      return c.json({
        unit,
        sites: withAddressFlag(await listSitesUnder(ctx.db, code, { activeOnly: false })).map((site) => withVisibleContacts(actor, site)),
      } satisfies z.input<typeof unitSitesBody>);
    })
    .get('/sites', async (c) => {
      const actor = c.get('user')!;
      return c.json({
        sites: withAddressFlag(await listSites(ctx.db, parseQuery(c, sitesQuery))).map((site) => withVisibleContacts(actor, site)),
      } satisfies z.input<typeof siteListBody>);
    });
}

/** The tree is public to every account; a site's contacts only within the account's subtree. */
function withVisibleContacts<S extends { unitCode: string; parentCode: string | null; contactEmails: string[]; contactPhone: string | null }>(
  actor: AuthenticatedUser,
  site: S,
): S {
  return contactsVisible(actor, site) ? site : { ...site, contactEmails: [], contactPhone: null };
}
