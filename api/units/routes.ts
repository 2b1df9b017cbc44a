/** GET /api/units, /api/units/:code/sites, /api/sites?kind=hall: the administrative tree picker's data. */
import { Hono } from 'hono';
import { z } from 'zod';
import { requireAction } from '../auth/middleware.ts';
import { contactsVisible } from '../auth/policy.ts';
import type { AppContext, AppEnv, AuthenticatedUser } from '../context.ts';
import { NotFoundError } from '../errors.ts';
import { parseParam, parseQuery } from '../validation.ts';
import { getUnit, listSites, listSitesUnder, listUnits } from './service.ts';

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

export function unitRoutes(ctx: AppContext) {
  return new Hono<AppEnv>()
    .use(requireAction('units.read'))
    .get('/units', async (c) => c.json({ units: await listUnits(ctx.db, parseQuery(c, unitsQuery)) }))
    .get('/units/:code/sites', async (c) => {
      const code = parseParam(c.req.param('code'), unitCode, 'unit code');
      const unit = await getUnit(ctx.db, code);
      if (!unit) throw new NotFoundError('Administrative unit', code);
      const actor = c.get('user')!;
      return c.json({ unit, sites: (await listSitesUnder(ctx.db, code, { activeOnly: false })).map((site) => withVisibleContacts(actor, site)) });
    })
    .get('/sites', async (c) => {
      const actor = c.get('user')!;
      return c.json({ sites: (await listSites(ctx.db, parseQuery(c, sitesQuery))).map((site) => withVisibleContacts(actor, site)) });
    });
}

/** The tree is public to every account; a site's contacts only within the account's subtree. */
function withVisibleContacts<S extends { unitCode: string; parentCode: string | null; contactEmails: string[]; contactPhone: string | null }>(actor: AuthenticatedUser, site: S): S {
  return contactsVisible(actor, site) ? site : { ...site, contactEmails: [], contactPhone: null };
}
