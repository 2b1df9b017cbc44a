/** /api/meetings: schedule, list, read, change and cancel meetings. Bodies are shaped by json.ts; who may: api/auth/policy.ts. */
import { Hono } from 'hono';
import { requireAction } from '../auth/middleware.ts';
import { meetingView } from '../auth/policy.ts';
import type { AppContext, AppEnv } from '../context.ts';
import { parseJsonBody, parseParam, parseQuery, uuidParam } from '../validation.ts';
import { meetingDetailJson, meetingListJson } from './json.ts';
import { getMeeting, listMeetings } from './queries.ts';
import { cancelMeetingInput, createMeetingInput, listMeetingsQuery, updateMeetingInput } from './schemas.ts';
import type { MeetingService } from './service.ts';

export function meetingRoutes(ctx: AppContext, meetings: MeetingService) {
  return new Hono<AppEnv>()
    .get('/meetings', requireAction('meeting.read'), async (c) => c.json(meetingListJson(await listMeetings(ctx.db, parseQuery(c, listMeetingsQuery), c.get('user')!))))
    .post('/meetings', requireAction('meeting.schedule'), async (c) => {
      const meeting = await meetings.create(await parseJsonBody(c, createMeetingInput), c.get('user')!);
      return c.json(meetingDetailJson(meeting), 201, { Location: `/api/meetings/${meeting.id}` });
    })
    .get('/meetings/:id', requireAction('meeting.read'), async (c) => {
      const id = parseParam(c.req.param('id'), uuidParam, 'meeting id');
      await meetingView(ctx.db, c.get('user')!, id);
      return c.json(meetingDetailJson(await getMeeting(ctx.db, id)));
    })
    .patch('/meetings/:id', requireAction('meeting.manage'), async (c) => {
      const id = parseParam(c.req.param('id'), uuidParam, 'meeting id');
      return c.json(meetingDetailJson(await meetings.update(id, await parseJsonBody(c, updateMeetingInput), c.get('user')!)));
    })
    .post('/meetings/:id/cancel', requireAction('meeting.manage'), async (c) => {
      const id = parseParam(c.req.param('id'), uuidParam, 'meeting id');
      const body = await parseJsonBody(c, cancelMeetingInput);
      return c.json(meetingDetailJson(await meetings.cancel(id, body.reason, c.get('user')!)));
    });
}
