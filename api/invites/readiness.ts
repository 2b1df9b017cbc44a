/**
 * The commune's readiness answer, given through its readiness link without an account: will the
 * site attend, and if not, why; who will sit in. The latest answer is kept in `rsvps`; every
 * answer, earlier ones included, is in the audit log.
 */
import { and, eq } from 'drizzle-orm';
import { z } from 'zod';
import { auditLog, meetings, rsvps, sites } from '../../db/schema.ts';
import type { AppContext } from '../context.ts';
import { InvalidLinkError } from '../errors.ts';
import { attachmentInfo, type AttachmentInfo } from '../meetings/attachment.ts';
import { humanText } from '../validation.ts';
import { verifySiteToken } from './site-tokens.ts';

const optionalText = (max: number) =>
  z
    .string()
    .optional()
    .transform((s) => (s === undefined || s.trim() === '' ? undefined : s))
    .pipe(humanText(max).optional());

export const readinessAnswerInput = z.object({
  answer: z.enum(['attending', 'declined']),
  delegateName: optionalText(200),
  reason: optionalText(1000),
});
export type ReadinessAnswerInput = z.output<typeof readinessAnswerInput>;

export interface ReadinessView {
  meeting: typeof meetings.$inferSelect;
  hostSiteName: string;
  siteId: string;
  siteName: string;
  answer: typeof rsvps.$inferSelect | null;
  /** The meeting's document, downloadable through the same link (/ready/:token/attachment). */
  attachment: AttachmentInfo | null;
}

/** What the page shows for a readiness token; InvalidLinkError when the link cannot be used. */
export async function readinessView(ctx: AppContext, token: string): Promise<ReadinessView> {
  const verified = await verifySiteToken(ctx.db, token, 'readiness', ctx.now());
  if (!verified.meetingId) throw new InvalidLinkError('unknown');
  const [row] = await ctx.db
    .select({ meeting: meetings, hostSiteName: sites.name })
    .from(meetings)
    .innerJoin(sites, eq(sites.id, meetings.hostSiteId))
    .where(eq(meetings.id, verified.meetingId))
    .limit(1);
  const [site] = await ctx.db.select({ name: sites.name }).from(sites).where(eq(sites.id, verified.siteId)).limit(1);
  if (!row || !site) throw new InvalidLinkError('unknown');
  // Tokens are revoked on cancellation; this also covers a token minted in a race with it.
  if (row.meeting.status === 'cancelled') throw new InvalidLinkError('revoked');
  const [answer] = await ctx.db
    .select()
    .from(rsvps)
    .where(and(eq(rsvps.meetingId, verified.meetingId), eq(rsvps.siteId, verified.siteId)))
    .limit(1);
  return {
    meeting: row.meeting,
    hostSiteName: row.hostSiteName,
    siteId: verified.siteId,
    siteName: site.name,
    answer: answer ?? null,
    attachment: await attachmentInfo(ctx.db, verified.meetingId),
  };
}

/** Records (or replaces) the site's answer, with its time, and audits it. */
export async function recordReadiness(ctx: AppContext, token: string, input: ReadinessAnswerInput): Promise<ReadinessView> {
  const view = await readinessView(ctx, token);
  const answeredAt = ctx.now();
  const values = { answer: input.answer, reason: input.reason ?? null, delegateName: input.delegateName ?? null, answeredAt };
  await ctx.db.transaction(async (tx) => {
    await tx
      .insert(rsvps)
      .values({ meetingId: view.meeting.id, siteId: view.siteId, ...values })
      .onConflictDoUpdate({ target: [rsvps.meetingId, rsvps.siteId], set: values });
    await tx.insert(auditLog).values({
      actorUserId: null,
      action: 'rsvp.answer',
      entity: 'meeting',
      entityId: view.meeting.id,
      details: { siteId: view.siteId, answer: input.answer, reason: values.reason, delegateName: values.delegateName, previous: view.answer?.answer ?? null },
    });
  });
  ctx.logger.info({ meetingId: view.meeting.id, siteId: view.siteId, answer: input.answer }, 'readiness answer recorded');
  return { ...view, answer: { meetingId: view.meeting.id, siteId: view.siteId, ...values } };
}
