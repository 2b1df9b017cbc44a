/**
 * The nodes over HTTP:
 *  - `POST /api/join/node` `{ joinToken }`: a commune's page asks where to connect (no account:
 *    the token is the credential, in the body, never in a URL);
 *  - `POST /api/meetings/:id/console/node`: the host console asks for its node, the meeting's origin;
 *  - `GET /api/nodes`, `POST /api/nodes/:id/drain` `{ draining }`, `POST /api/nodes/:id/move-sites`
 *    `{}`, `PUT /api/nodes/provinces/:code` `{ nodeId }`: the operator's view and controls
 *    (national admins);
 *  - `GET /api/meetings/:id/refused-sites`: the sites every node was too full for, for whoever may
 *    manage the meeting.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { requireAction } from '../auth/middleware.ts';
import { assertMayManageMeeting, assertMayManageNodes } from '../auth/policy.ts';
import type { AppContext, AppEnv } from '../context.ts';
import { eq } from 'drizzle-orm';
import { meetings } from '../../db/schema.ts';
import { ForbiddenError, InvalidLinkError, NotFoundError } from '../errors.ts';
import { verifySiteToken } from '../invites/site-tokens.ts';
import { parseJsonBody, parseParam, uuidParam } from '../validation.ts';
import type { NodeDirectory } from './directory.ts';
import { placeSite, refusedSites } from './placement.ts';
import { listNodes, mapProvince, moveSitesOff, setDraining, type NodeSummary } from './registry.ts';

export const joinNodeBody = z.object({ joinToken: z.string().min(1).max(512) });
export const drainBody = z.object({ draining: z.boolean() });
export const moveSitesBody = z.object({}).strict();
export const provinceBody = z.object({ nodeId: z.string().min(1).max(63).nullable() });
const nodeIdParam = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/);
const provinceParam = z.string().regex(/^\d{2}$/);

export function nodeJson(n: NodeSummary) {
  return {
    ...n,
    heartbeatAt: n.heartbeatAt.toISOString(),
    startedAt: n.startedAt.toISOString(),
    deadAt: n.deadAt?.toISOString() ?? null,
  };
}

export function nodeRoutes(ctx: AppContext, nodes: NodeDirectory) {
  const deadAfterMs = ctx.config.sfu.node.deadAfterMs;
  const local = () => (nodes.local ? { local: nodes.local } : {});
  const hostSiteOf = async (meetingId: string) => {
    const [row] = await ctx.db.select({ hostSiteId: meetings.hostSiteId }).from(meetings).where(eq(meetings.id, meetingId)).limit(1);
    if (!row) throw new NotFoundError('Meeting', meetingId);
    return row.hostSiteId;
  };
  return new Hono<AppEnv>()
    .post('/join/node', async (c) => {
      const { joinToken } = await parseJsonBody(c, joinNodeBody);
      const verified = await verifySiteToken(ctx.db, joinToken, 'join', ctx.now());
      if (!verified.meetingId) throw new InvalidLinkError('unknown');
      // The host hall joins from its console, never with a link (api/conference/authenticator.ts).
      if ((await hostSiteOf(verified.meetingId)) === verified.siteId) throw new ForbiddenError('The host hall runs the meeting from its console');
      return c.json(await placeSite(ctx.db, { meetingId: verified.meetingId, siteId: verified.siteId, at: ctx.now(), deadAfterMs, ...local() }));
    })
    .post('/meetings/:id/console/node', requireAction('meeting.console'), async (c) => {
      const meetingId = parseParam(c.req.param('id'), uuidParam, 'meeting id');
      await assertMayManageMeeting(ctx.db, c.get('user')!, meetingId, 'meeting.console');
      return c.json(await placeSite(ctx.db, { meetingId, siteId: await hostSiteOf(meetingId), at: ctx.now(), deadAfterMs, ...local() }));
    })
    .get('/meetings/:id/refused-sites', requireAction('meeting.manage'), async (c) => {
      const meetingId = parseParam(c.req.param('id'), uuidParam, 'meeting id');
      await assertMayManageMeeting(ctx.db, c.get('user')!, meetingId);
      const refused = await refusedSites(ctx.db, meetingId);
      return c.json({ sites: refused.map((r) => ({ ...r, at: r.at.toISOString() })) });
    })
    .get('/nodes', requireAction('nodes.manage'), async (c) => {
      assertMayManageNodes(c.get('user')!);
      return c.json({ nodes: (await listNodes(ctx.db, ctx.now(), deadAfterMs)).map(nodeJson) });
    })
    .post('/nodes/:id/drain', requireAction('nodes.manage'), async (c) => {
      assertMayManageNodes(c.get('user')!);
      const nodeId = parseParam(c.req.param('id'), nodeIdParam, 'node id');
      const { draining } = await parseJsonBody(c, drainBody);
      await setDraining(ctx.db, nodeId, draining);
      return c.json({ nodeId, draining });
    })
    .post('/nodes/:id/move-sites', requireAction('nodes.manage'), async (c) => {
      assertMayManageNodes(c.get('user')!);
      const nodeId = parseParam(c.req.param('id'), nodeIdParam, 'node id');
      await parseJsonBody(c, moveSitesBody);
      // The node learns it at its next heartbeat and sends its sites to rejoin elsewhere.
      return c.json({ nodeId, draining: true, sitesUnplaced: await moveSitesOff(ctx.db, nodeId, ctx.now()) });
    })
    .put('/nodes/provinces/:code', requireAction('nodes.manage'), async (c) => {
      assertMayManageNodes(c.get('user')!);
      const provinceCode = parseParam(c.req.param('code'), provinceParam, 'province code');
      const { nodeId } = await parseJsonBody(c, provinceBody);
      await mapProvince(ctx.db, provinceCode, nodeId);
      return c.json({ provinceCode, nodeId });
    });
}
