/** /api/meetings/:id/invites: the secretariat's view of delivery and readiness, and resending. */
import { Hono } from 'hono';
import { z } from 'zod';
import type { AppEnv, AppContext } from '../context.ts';
import { requireAction } from '../auth/middleware.ts';
import { assertMayReadDelivery } from '../auth/policy.ts';
import { parseJsonBody, parseParam, uuidParam } from '../validation.ts';
import { meetingDeliveryStatus } from './delivery-status.ts';
import { DeviceCheckLimiter, deviceCheckInput, recordDeviceCheck } from './device-checks.ts';
import type { InviteOutbox } from './outbox.ts';

export const resendInput = z.object({
  /** Only these sites; all sites of the meeting when absent. */
  siteIds: z.array(z.uuid()).min(1).max(10_000).optional(),
  /** Only messages that failed; otherwise sent ones are sent once more too. */
  failedOnly: z.boolean().optional(),
  /** Send again even to sites resent to in the last 10 minutes (otherwise 409 resend_too_soon). */
  confirm: z.boolean().optional(),
});

const count = z.number().int().min(0);

/** A site's device check as the API returns it (POST /api/meetings/:id/device-checks, and in the invites view). */
export const deviceCheckBody = z
  .object({
    checkedAt: z.string(),
    browser: z.string(),
    cameraOk: z.boolean(),
    micOk: z.boolean(),
    rttMs: z.number().int().min(0).nullable(),
    lossPercent: z.number().min(0).max(100).nullable(),
  })
  .strict();

/** GET /api/meetings/:id/invites: per site, its messages' delivery and its readiness answer. */
export const deliveryStatusBody = z
  .object({
    meetingId: z.uuid(),
    sequence: count,
    summary: z
      .object({
        sites: count,
        queued: count,
        sending: count,
        sent: count,
        failed: count,
        unsendable: count,
        attending: count,
        declined: count,
        unanswered: count,
        unchecked: count,
      })
      .strict(),
    // Each site's messages and answer are checked by the delivery tests; here only who it is.
    sites: z.array(
      z.object({
        siteId: z.uuid(),
        siteName: z.string(),
        role: z.enum(['host', 'participant']).nullable(),
        deviceCheck: deviceCheckBody.nullable(),
      }),
    ),
  })
  .strict();

/** POST /api/meetings/:id/invites/resend: how many sites got what (see ResendResult in outbox.ts). */
export const resendResultBody = z.object({ requeued: count, resent: count, alreadyPending: count, withoutAddress: count }).strict();

/**
 * POST /api/meetings/:id/device-checks: the site's check page reports what it found. No account:
 * the readiness token in the body is the credential. Mounted before the routes that require a
 * sign-in for everything under them.
 */
export function deviceCheckRoutes(ctx: AppContext) {
  const limiter = new DeviceCheckLimiter();
  return new Hono<AppEnv>().post('/meetings/:id/device-checks', async (c) => {
    const id = parseParam(c.req.param('id'), uuidParam, 'meeting id');
    const input = await parseJsonBody(c, deviceCheckInput);
    const check = await recordDeviceCheck(ctx, limiter, id, input);
    return c.json(check satisfies z.input<typeof deviceCheckBody>, 201);
  });
}

export function inviteRoutes(ctx: AppContext, outbox: InviteOutbox) {
  return (
    new Hono<AppEnv>()
      .get('/meetings/:id/invites', requireAction('meeting.delivery'), async (c) => {
        const id = parseParam(c.req.param('id'), uuidParam, 'meeting id');
        await assertMayReadDelivery(ctx.db, c.get('user')!, id);
        return c.json((await meetingDeliveryStatus(ctx.db, id)) satisfies z.input<typeof deliveryStatusBody>);
      })
      .post('/meetings/:id/invites/resend', requireAction('meeting.manage'), async (c) => {
        const id = parseParam(c.req.param('id'), uuidParam, 'meeting id');
        const input = await parseJsonBody(c, resendInput);
        return c.json((await outbox.resend(id, input, c.get('user')!)) satisfies z.input<typeof resendResultBody>);
      })
      // New links for one site: the old ones stop working (and disconnect it), a new invitation goes out.
      .post('/meetings/:id/sites/:siteId/rotate-links', requireAction('meeting.manage'), async (c) => {
        const id = parseParam(c.req.param('id'), uuidParam, 'meeting id');
        const siteId = parseParam(c.req.param('siteId'), uuidParam, 'site id');
        await parseJsonBody(c, z.object({}).strict());
        return c.json(await outbox.rotateLinks(id, siteId, c.get('user')!));
      })
  );
}
