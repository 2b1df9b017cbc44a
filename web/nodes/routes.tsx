/**
 * The operator's page of the conference servers (/admin/nodes, national admins): every node with
 * its addresses, capacity, placed and connected sites, last heartbeat, the meetings and sites on
 * it; a drain switch per node, moving a node's sites to the others before maintenance, and the
 * province → node map. The forms post to this page's own
 * routes, which call the same registry functions as the JSON API (api/nodes/routes.ts).
 */
import { asc, eq } from 'drizzle-orm';
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { assertMayManageNodes } from '../../api/auth/policy.ts';
import type { AppContext, AppEnv } from '../../api/context.ts';
import { ValidationError } from '../../api/errors.ts';
import { formatFigure } from '../../api/i18n/format.ts';
import { listNodes, mapProvince, moveSitesOff, setDraining, type NodeState } from '../../api/nodes/registry.ts';
import { formatVietnamDateTime } from '../../api/time.ts';
import { parseFormBody, parseParam } from '../../api/validation.ts';
import { adminUnits } from '../../db/schema.ts';
import { Layout } from '../common/layout.tsx';
import { pageAuth, signedInUser } from '../common/page-auth.ts';
import { nodeTranslator } from './texts.ts';

const nodeIdParam = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/);
/** Moving a node's sites disturbs every meeting on it: the operator ticks that they mean it. */
const moveSitesForm = z.object({ confirm: z.literal('1') });
const drainForm = z.object({ draining: z.enum(['1', '0']).transform((v) => v === '1') });
const provinceForm = z.object({ province: z.string().regex(/^\d{2}$/), nodeId: z.union([z.literal(''), nodeIdParam]).transform((v) => v || null) });

const stateText = { alive: 'stateAlive', draining: 'stateDraining', dead: 'stateDead' } as const satisfies Record<NodeState, string>;

export function nodePages(ctx: AppContext) {
  const app = new Hono<AppEnv>();
  const guard = async (c: Context<AppEnv>, next: () => Promise<void>) => {
    assertMayManageNodes(signedInUser(c));
    await next();
  };

  app.get('/admin/nodes', pageAuth('nodes.manage'), guard, async (c) => {
    const user = signedInUser(c);
    const lang = c.get('lang');
    const t = nodeTranslator(lang);
    const [nodes, provinces] = await Promise.all([
      listNodes(ctx.db, ctx.now(), ctx.config.sfu.node.deadAfterMs),
      ctx.db.select({ code: adminUnits.code, name: adminUnits.name }).from(adminUnits).where(eq(adminUnits.level, 'province')).orderBy(asc(adminUnits.code)),
    ]);
    const provinceName = new Map(provinces.map((p) => [p.code, p.name]));
    return c.html(
      <Layout title={t('nodesTitle')} lang={lang} user={user}>
        <h1>{t('nodesTitle')}</h1>
        {c.req.query('done') === '1' && (
          <p class="notice" role="status">
            {t('done')}
          </p>
        )}
        <p>{t('nodesIntro')}</p>
        {nodes.length === 0 ? (
          <p id="no-nodes">{t('noNodes')}</p>
        ) : (
          <table id="nodes">
            <thead>
              <tr>
                <th>{t('node')}</th>
                <th>{t('signalingAddress')}</th>
                <th>{t('mediaAddress')}</th>
                <th>{t('capacity')}</th>
                <th>{t('placed')}</th>
                <th>{t('connected')}</th>
                <th>{t('heartbeat')}</th>
                <th>{t('state')}</th>
                <th>{t('provinces')}</th>
                <th>{t('meetings')}</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {nodes.map((n) => (
                <tr data-node-id={n.id} data-state={n.state}>
                  <td>{n.id}</td>
                  <td>
                    <code>{n.signalingUrl}</code>
                  </td>
                  <td>
                    <code>{n.mediaAddress}</code>
                  </td>
                  <td class="number">{formatFigure(n.capacity, lang)}</td>
                  <td class="number">{formatFigure(n.placed, lang)}</td>
                  <td class="number">{formatFigure(n.load, lang)}</td>
                  <td>{formatVietnamDateTime(n.heartbeatAt, lang)}</td>
                  <td>{t(stateText[n.state])}</td>
                  <td>{n.provinces.map((code) => provinceName.get(code) ?? code).join(', ')}</td>
                  <td>
                    <ul>
                      {n.meetings.map((m) => (
                        <li>
                          <a href={`/meetings/${m.meetingId}`}>{m.title}</a>: {formatFigure(m.sites, lang)} {t('sitesCount')}
                          {m.origin ? ` (${t('origin')})` : ''}
                        </li>
                      ))}
                    </ul>
                  </td>
                  <td>
                    <form method="post" action={`/admin/nodes/${n.id}/drain`}>
                      <input type="hidden" name="draining" value={n.draining ? '0' : '1'} />
                      <button type="submit">{t(n.draining ? 'undrain' : 'drain')}</button>
                    </form>
                    {n.state !== 'dead' && n.placed > 0 ? (
                      <form method="post" action={`/admin/nodes/${n.id}/move-sites`}>
                        <label>
                          <input type="checkbox" name="confirm" value="1" required /> {t('moveSitesConfirm')}
                        </label>
                        <button type="submit">{t('moveSites')}</button>
                      </form>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <h2>{t('mapProvince')}</h2>
        <form method="post" action="/admin/nodes/provinces" class="filters">
          <label>
            {t('province')}
            <select name="province" required>
              {provinces.map((p) => (
                <option value={p.code}>
                  {p.code} — {p.name}
                </option>
              ))}
            </select>
          </label>
          <label>
            {t('node')}
            <select name="nodeId">
              <option value="">{t('anyNode')}</option>
              {nodes.map((n) => (
                <option value={n.id}>{n.id}</option>
              ))}
            </select>
          </label>
          <button type="submit">{t('save')}</button>
        </form>
      </Layout>,
    );
  });

  app.post('/admin/nodes/:id/drain', pageAuth('nodes.manage'), guard, async (c) => {
    const nodeId = parseParam(c.req.param('id'), nodeIdParam, 'node id');
    const form = drainForm.safeParse(await parseFormBody(c));
    if (!form.success) throw ValidationError.fromZod(form.error, 400);
    await setDraining(ctx.db, nodeId, form.data.draining);
    return c.redirect('/admin/nodes?done=1', 303);
  });

  app.post('/admin/nodes/:id/move-sites', pageAuth('nodes.manage'), guard, async (c) => {
    const nodeId = parseParam(c.req.param('id'), nodeIdParam, 'node id');
    const form = moveSitesForm.safeParse(await parseFormBody(c));
    if (!form.success) throw ValidationError.fromZod(form.error, 400);
    await moveSitesOff(ctx.db, nodeId, ctx.now());
    return c.redirect('/admin/nodes?done=1', 303);
  });

  app.post('/admin/nodes/provinces', pageAuth('nodes.manage'), guard, async (c) => {
    const form = provinceForm.safeParse(await parseFormBody(c));
    if (!form.success) throw ValidationError.fromZod(form.error, 400);
    await mapProvince(ctx.db, form.data.province, form.data.nodeId);
    return c.redirect('/admin/nodes?done=1', 303);
  });

  return app;
}
