/** /api/meetings: schedule, list, read, change and cancel meetings. Bodies are shaped by json.ts; who may: api/auth/policy.ts. */
import { Hono, type Context } from 'hono';
import { requireAction } from '../auth/middleware.ts';
import { meetingView } from '../auth/policy.ts';
import type { AppContext, AppEnv } from '../context.ts';
import { matchesEtag } from '../etag.ts';
import { parseJsonBody, parseParam, parseQuery, uuidParam } from '../validation.ts';
import { meetingDetailJson, meetingListJson, type MeetingDetailBody, type MeetingListBody } from './json.ts';
import { getMeeting, listMeetings } from './queries.ts';
import { attachmentQuery, cancelMeetingInput, createMeetingInput, listMeetingsQuery, updateMeetingInput } from './schemas.ts';
import { attachmentContent, attachmentResponse, checkAttachment } from './attachment.ts';
import { NotFoundError } from '../errors.ts';
import type { MeetingReplyCache } from './reply-cache.ts';
import type { MeetingService } from './service.ts';

export function meetingRoutes(ctx: AppContext, meetings: MeetingService, reads: MeetingReplyCache) {
  const canRead = requireAction('meeting.read');
  const canChange = requireAction('meeting.manage');
  /** A read from the reply cache (reply-cache.ts), keyed by the account (whose unit scopes it) and what was asked. */
  const cachedRead = async (c: Context<AppEnv>, what: string, build: () => Promise<unknown>) => {
    const reply = await reads.get(`${c.get('user')!.id}|${what}`, async () => JSON.stringify(await build()));
    const headers = { ETag: reply.etag, 'Cache-Control': 'private, no-cache' };
    if (matchesEtag(c.req.header('if-none-match'), reply.etag)) return c.body(null, 304, headers);
    return c.body(reply.body, 200, { ...headers, 'Content-Type': 'application/json; charset=UTF-8' });
  };
  return (
    new Hono<AppEnv>()
      .get('/meetings', canRead, async (c) => {
        const query = parseQuery(c, listMeetingsQuery);
        return cachedRead(
          c,
          `list:${JSON.stringify(query)}`,
          async () => meetingListJson(await listMeetings(ctx.db, query, c.get('user')!)) satisfies MeetingListBody,
        );
      })
      .post('/meetings', requireAction('meeting.schedule'), async (c) => {
        const meeting = await meetings.create(await parseJsonBody(c, createMeetingInput), c.get('user')!);
        return c.json(meetingDetailJson(meeting), 201, { Location: `/api/meetings/${meeting.id}` });
      })
      .get('/meetings/:id', canRead, async (c) => {
        const id = parseParam(c.req.param('id'), uuidParam, 'meeting id');
        await meetingView(ctx.db, c.get('user')!, id);
        return cachedRead(c, `detail:${id}`, async () => meetingDetailJson(await getMeeting(ctx.db, id)) satisfies MeetingDetailBody);
      })
      .patch('/meetings/:id', canChange, async (c) => {
        const id = parseParam(c.req.param('id'), uuidParam, 'meeting id');
        return c.json(meetingDetailJson(await meetings.update(id, await parseJsonBody(c, updateMeetingInput), c.get('user')!)));
      })
      // The meeting's document: the PDF itself as the body, its name in ?fileName=.
      .put('/meetings/:id/attachment', canChange, async (c) => {
        const id = parseParam(c.req.param('id'), uuidParam, 'meeting id');
        const { fileName } = parseQuery(c, attachmentQuery);
        const upload = checkAttachment(fileName, new Uint8Array(await c.req.arrayBuffer()));
        return c.json(meetingDetailJson(await meetings.setAttachment(id, upload, c.get('user')!)));
      })
      .get('/meetings/:id/attachment', canRead, async (c) => {
        const id = parseParam(c.req.param('id'), uuidParam, 'meeting id');
        await meetingView(ctx.db, c.get('user')!, id);
        const attachment = await attachmentContent(ctx.db, id);
        if (!attachment) throw new NotFoundError('Attachment', id);
        return attachmentResponse(attachment, c.req.header('if-none-match'));
      })
      .delete('/meetings/:id/attachment', canChange, async (c) => {
        const id = parseParam(c.req.param('id'), uuidParam, 'meeting id');
        return c.json(meetingDetailJson(await meetings.setAttachment(id, null, c.get('user')!)));
      })
      .post('/meetings/:id/cancel', requireAction('meeting.manage'), async (c) => {
        const id = parseParam(c.req.param('id'), uuidParam, 'meeting id');
        const body = await parseJsonBody(c, cancelMeetingInput);
        return c.json(meetingDetailJson(await meetings.cancel(id, body.reason, c.get('user')!)));
      })
  );
}
