/**
 * A site's device checks: what its check page (/ready/:token/check) found — camera, microphone,
 * and the round trip and loss of a short test connection to the SFU. The page posts the result
 * with the site's readiness token, so no account is needed and a site can only speak for
 * itself; the secretariat reads each site's latest check beside its readiness answer.
 *
 * Every check is kept (a commune may check again after fixing a cable); a check per site is
 * limited to a few per ten minutes, so a broken page in a loop cannot fill the table.
 */
import { and, desc, eq } from 'drizzle-orm';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { z } from 'zod';
import type { Executor } from '../../db/client.ts';
import { deviceChecks, meetings } from '../../db/schema.ts';
import type { AppContext } from '../context.ts';
import { ForbiddenError, InvalidLinkError, TooManyRequestsError } from '../errors.ts';
import { toVietnamIso } from '../time.ts';
import { humanText } from '../validation.ts';
import { verifySiteToken } from './site-tokens.ts';

export const deviceCheckInput = z
  .object({
    /** The site's readiness token (from its /ready/… link). */
    token: z.string().min(1).max(200),
    browser: humanText(200).pipe(z.string().min(1)),
    cameraOk: z.boolean(),
    micOk: z.boolean(),
    /** Null when the test connection did not reach the SFU. */
    rttMs: z.number().int().min(0).max(60_000).nullable(),
    lossPercent: z.number().min(0).max(100).nullable(),
  })
  .strict();
export type DeviceCheckInput = z.output<typeof deviceCheckInput>;

export interface DeviceCheckView {
  checkedAt: string;
  browser: string;
  cameraOk: boolean;
  micOk: boolean;
  rttMs: number | null;
  lossPercent: number | null;
}

/** Ten checks per site in ten minutes: a person re-running it is well inside, a loop is not. */
export class DeviceCheckLimiter {
  readonly #perSite = new RateLimiterMemory({ points: 10, duration: 600, keyPrefix: 'device-check' });

  async take(meetingId: string, siteId: string): Promise<void> {
    try {
      await this.#perSite.consume(`${meetingId}:${siteId}`);
    } catch (reason) {
      if (!(reason instanceof RateLimiterRes)) throw reason;
      throw new TooManyRequestsError(Math.max(1, Math.ceil(reason.msBeforeNext / 1000)));
    }
  }
}

/**
 * Stores a check for the site the token speaks for. A token of another meeting is refused (403),
 * an unknown, expired or revoked one answers as its link would (404/410), and so does a
 * cancelled meeting.
 */
export async function recordDeviceCheck(ctx: AppContext, limiter: DeviceCheckLimiter, meetingId: string, input: DeviceCheckInput): Promise<DeviceCheckView> {
  const verified = await verifySiteToken(ctx.db, input.token, 'readiness', ctx.now());
  if (!verified.meetingId) throw new InvalidLinkError('unknown');
  if (verified.meetingId !== meetingId) throw new ForbiddenError('This link belongs to another meeting');
  const [meeting] = await ctx.db.select({ status: meetings.status }).from(meetings).where(eq(meetings.id, meetingId)).limit(1);
  if (!meeting) throw new InvalidLinkError('unknown');
  if (meeting.status === 'cancelled') throw new InvalidLinkError('revoked');
  await limiter.take(meetingId, verified.siteId);
  const checkedAt = ctx.now();
  const row = {
    meetingId,
    siteId: verified.siteId,
    checkedAt,
    browser: input.browser,
    cameraOk: input.cameraOk,
    micOk: input.micOk,
    rttMs: input.rttMs,
    lossPermille: input.lossPercent === null ? null : Math.round(input.lossPercent * 10),
  };
  await ctx.db.insert(deviceChecks).values(row);
  ctx.logger.info({ meetingId, siteId: verified.siteId, cameraOk: row.cameraOk, micOk: row.micOk, rttMs: row.rttMs }, 'device check recorded');
  return checkView(row);
}

function checkView(row: Pick<typeof deviceChecks.$inferSelect, 'checkedAt' | 'browser' | 'cameraOk' | 'micOk' | 'rttMs' | 'lossPermille'>): DeviceCheckView {
  return {
    checkedAt: toVietnamIso(row.checkedAt),
    browser: row.browser,
    cameraOk: row.cameraOk,
    micOk: row.micOk,
    rttMs: row.rttMs,
    lossPercent: row.lossPermille === null ? null : row.lossPermille / 10,
  };
}

/** Each site's latest check in a meeting, by site id (sites that never checked are absent). */
export async function latestDeviceChecks(db: Executor, meetingId: string): Promise<Map<string, DeviceCheckView>> {
  const rows = await db
    .selectDistinctOn([deviceChecks.siteId])
    .from(deviceChecks)
    .where(eq(deviceChecks.meetingId, meetingId))
    .orderBy(deviceChecks.siteId, desc(deviceChecks.checkedAt), desc(deviceChecks.id));
  return new Map(rows.map((r) => [r.siteId, checkView(r)]));
}

/** One site's latest check (the check page shows it). */
export async function latestDeviceCheck(db: Executor, meetingId: string, siteId: string): Promise<DeviceCheckView | null> {
  const [row] = await db
    .select()
    .from(deviceChecks)
    .where(and(eq(deviceChecks.meetingId, meetingId), eq(deviceChecks.siteId, siteId)))
    .orderBy(desc(deviceChecks.checkedAt))
    .limit(1);
  return row ? checkView(row) : null;
}
