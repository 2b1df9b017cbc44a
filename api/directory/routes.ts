/**
 * /api/directory: a unit's directory of sites, one site's contacts, export and import.
 *
 *   GET   /api/directory/units/:code                 the sites of the unit and below (?missing=true: without a real address)
 *   GET   /api/directory/units/:code/export          ?format=csv|xlsx (&sep=semicolon)
 *   POST  /api/directory/units/:code/imports         the file as the body (text/csv or .xlsx) → the preview, 201
 *   GET   /api/directory/imports/:id                 a stored preview
 *   POST  /api/directory/imports/:id/apply           { acceptValid? } → written, or 422 listing the problems
 *   POST  /api/directory/imports/:id/discard
 *   GET   /api/directory/sites/:id, PATCH …          one site's directory entry
 *   GET   /api/meetings/:id/call-list                the sites that have not answered, with contacts (?format=csv)
 *
 * Every handler asks access.ts first, with the unit the request is about.
 */
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { attachmentDisposition } from '../attendance/download.ts';
import type { Executor } from '../../db/client.ts';
import type { AppEnv } from '../context.ts';
import { toVietnamIso } from '../time.ts';
import { UnauthorizedError, ValidationError } from '../errors.ts';
import { unitCode } from '../units/routes.ts';
import { parseJsonBody, parseParam, parseQuery, uuidParam } from '../validation.ts';
import { assertDirectoryAccess } from './access.ts';
import { callListCsv, meetingCallList } from './call-list.ts';
import { directoryUpdateInput } from './fields.ts';
import { applyImportInput, type DirectoryImports } from './import.ts';
import type { DirectoryService, DirectoryExport } from './service.ts';

export const directoryListQuery = z.object({ missing: z.enum(['true', 'false']).optional() }).strict();
export const directoryExportQuery = z.object({ format: z.enum(['csv', 'xlsx']).default('csv'), sep: z.enum(['comma', 'semicolon']).default('comma') }).strict();
export const callListQuery = z.object({ format: z.enum(['json', 'csv']).default('json'), sep: z.enum(['comma', 'semicolon']).default('comma') }).strict();
export const directoryImportQuery = z.object({ fileName: z.string().max(200).optional() }).strict();

const count = z.number().int().min(0);
/** What the directory routes answer (the fuzz tests hold every success to these). */
export const directoryEntryBody = z.looseObject({
  id: z.uuid(),
  unitCode: z.string(),
  name: z.string(),
  contactEmails: z.array(z.string()),
  hasRealAddress: z.boolean(),
  active: z.boolean(),
});
export const directoryUnitBody = z.looseObject({
  unit: z.looseObject({ code: z.string() }),
  total: count,
  withoutAddress: count,
  sites: z.array(directoryEntryBody),
});
export const directoryImportPreviewBody = z.looseObject({
  id: z.uuid(),
  lineCount: count,
  validCount: count,
  changedCount: count,
  problems: z.array(z.looseObject({ line: count, code: z.string(), problem: z.string(), message: z.string() })),
});

export function sendExport(c: Context<AppEnv>, file: DirectoryExport) {
  return c.body(typeof file.body === 'string' ? file.body : new Uint8Array(file.body), 200, {
    'Content-Type': file.contentType,
    'Content-Disposition': attachmentDisposition(file.fileName),
    'Cache-Control': 'no-store',
  });
}

export function directoryRoutes(db: Executor, directory: DirectoryService, imports: DirectoryImports) {
  const unitParam = (c: Context<AppEnv>) => parseParam(c.req.param('code'), unitCode, 'unit code');
  const idParam = (c: Context<AppEnv>, what: string) => parseParam(c.req.param('id'), uuidParam, what);
  return (
    new Hono<AppEnv>()
      // Signed in before anything is looked up: the access check itself needs the unit.
      .use('/directory/*', async (c, next) => {
        if (!c.get('user')) throw new UnauthorizedError();
        await next();
      })
      .get('/directory/units/:code', async (c) => {
        const code = unitParam(c);
        await assertDirectoryAccess(db, c.get('user'), code);
        const query = parseQuery(c, directoryListQuery);
        return c.json(await directory.listUnit(code, { missingOnly: query.missing === 'true' }));
      })
      .get('/directory/units/:code/export', async (c) => {
        const code = unitParam(c);
        await assertDirectoryAccess(db, c.get('user'), code);
        const query = parseQuery(c, directoryExportQuery);
        return sendExport(c, await directory.export(code, query.format, { delimiter: query.sep === 'semicolon' ? ';' : ',' }));
      })
      .post('/directory/units/:code/imports', async (c) => {
        const code = unitParam(c);
        const user = await assertDirectoryAccess(db, c.get('user'), code);
        const query = parseQuery(c, directoryImportQuery);
        const type = c.req.header('content-type') ?? '';
        if (/^(application\/json|multipart\/form-data|application\/x-www-form-urlencoded)\b/i.test(type)) {
          throw new ValidationError('Send the file itself as the body (text/csv or the .xlsx bytes), not a form or JSON', undefined, 400);
        }
        const bytes = new Uint8Array(await c.req.arrayBuffer());
        const preview = await imports.preview(code, { bytes, fileName: query.fileName }, user);
        return c.json(preview, 201, { Location: `/api/directory/imports/${preview.id}` });
      })
      .get('/directory/imports/:id', async (c) => {
        const id = idParam(c, 'import id');
        await assertDirectoryAccess(db, c.get('user'), await imports.unitOf(id));
        return c.json(await imports.get(id));
      })
      .post('/directory/imports/:id/apply', async (c) => {
        const id = idParam(c, 'import id');
        const user = await assertDirectoryAccess(db, c.get('user'), await imports.unitOf(id));
        return c.json(await imports.apply(id, await parseJsonBody(c, applyImportInput), user));
      })
      .post('/directory/imports/:id/discard', async (c) => {
        const id = idParam(c, 'import id');
        const user = await assertDirectoryAccess(db, c.get('user'), await imports.unitOf(id));
        await imports.discard(id, user);
        return c.json({ id, status: 'discarded' });
      })
      .get('/meetings/:id/call-list', async (c) => {
        const id = idParam(c, 'meeting id');
        if (!c.get('user')) throw new UnauthorizedError();
        const query = parseQuery(c, callListQuery);
        const list = await meetingCallList(db, id);
        // The organiser's unit: the call list is its secretariat's work.
        await assertDirectoryAccess(db, c.get('user'), (await directory.getSite(list.meeting.hostSiteId)).unitCode);
        if (query.format === 'csv') {
          return sendExport(c, {
            fileName: `Danh sách gọi điện - ${list.meeting.title.slice(0, 80)}.csv`,
            contentType: 'text/csv; charset=utf-8',
            body: callListCsv(list, query.sep === 'semicolon' ? ';' : ','),
          });
        }
        return c.json({
          meeting: {
            id: list.meeting.id,
            title: list.meeting.title,
            startsAt: toVietnamIso(list.meeting.startsAt),
            endsAt: toVietnamIso(list.meeting.endsAt),
            status: list.meeting.status,
          },
          invited: list.invited,
          sites: list.sites,
        });
      })
      .get('/directory/sites/:id', async (c) => {
        const id = idParam(c, 'site id');
        await assertDirectoryAccess(db, c.get('user'), (await directory.getSite(id)).unitCode);
        return c.json(await directory.getSite(id));
      })
      .patch('/directory/sites/:id', async (c) => {
        const id = idParam(c, 'site id');
        const user = await assertDirectoryAccess(db, c.get('user'), (await directory.getSite(id)).unitCode);
        return c.json(await directory.updateSite(id, await parseJsonBody(c, directoryUpdateInput), user));
      })
  );
}
