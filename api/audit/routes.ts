/** GET /api/audit: the audit log of the reader's unit subtree, filtered; `format=csv` for Excel. */
import { Hono } from 'hono';
import { requireAction } from '../auth/middleware.ts';
import type { AppContext, AppEnv } from '../context.ts';
import { attachmentDisposition } from '../attendance/download.ts';
import { parseQuery } from '../validation.ts';
import { auditCsv, auditEntryJson, auditQuery, readAuditLog } from './log.ts';

export function auditRoutes(ctx: AppContext) {
  return new Hono<AppEnv>().get('/audit', requireAction('audit.read'), async (c) => {
    const query = parseQuery(c, auditQuery);
    const entries = await readAuditLog(ctx.db, c.get('user')!, query);
    if (query.format === 'csv') {
      return c.body(auditCsv(entries), 200, {
        'Content-Type': 'text/csv; charset=utf-8',
        'Content-Disposition': attachmentDisposition('Nhật ký thao tác.csv'),
        'Cache-Control': 'no-store',
      });
    }
    return c.json({ entries: entries.map(auditEntryJson) });
  });
}
