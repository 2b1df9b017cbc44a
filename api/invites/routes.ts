/** /api/meetings/:id/invites: the secretariat's view of delivery and readiness, and resending. */
import { Hono } from 'hono';
import { z } from 'zod';
import type { AppEnv, AppContext } from '../context.ts';
import { requireAction } from '../auth/middleware.ts';
import { assertMayReadDelivery } from '../auth/policy.ts';
import { parseJsonBody, parseParam, uuidParam } from '../validation.ts';
import { meetingDeliveryStatus } from './delivery-status.ts';
import type { InviteOutbox } from './outbox.ts';

export const resendInput = z.object({
  /** Only these sites; all sites of the meeting when absent. */
  siteIds: z.array(z.uuid()).min(1).max(10_000).optional(),
  /** Only messages that failed; otherwise sent ones are sent once more too. */
  failedOnly: z.boolean().optional(),
});

export function inviteRoutes(ctx: AppContext, outbox: InviteOutbox) {
  return new Hono<AppEnv>()
    .get('/meetings/:id/invites', requireAction('meeting.delivery'), async (c) => {
      const id = parseParam(c.req.param('id'), uuidParam, 'meeting id');
      await assertMayReadDelivery(ctx.db, c.get('user')!, id);
      return c.json(await meetingDeliveryStatus(ctx.db, id));
    })
    .post('/meetings/:id/invites/resend', requireAction('meeting.manage'), async (c) => {
      const id = parseParam(c.req.param('id'), uuidParam, 'meeting id');
      const input = await parseJsonBody(c, resendInput);
      return c.json(await outbox.resend(id, input, c.get('user')!));
    });
}
