/** /api/meetings/series: preview a series' dates, create a series, read it, split it ("this and following"). */
import { Hono } from 'hono';
import { requireAction } from '../auth/middleware.ts';
import type { AppEnv } from '../context.ts';
import { parseJsonBody, parseParam, uuidParam } from '../validation.ts';
import { createSeriesInput, previewSeriesInput, splitSeriesInput, type SeriesBody, type SeriesPreviewBody, type SeriesService } from './series.ts';

export function seriesRoutes(series: SeriesService) {
  const canSchedule = requireAction('meeting.schedule');
  return new Hono<AppEnv>()
    .post('/meetings/series/preview', canSchedule, async (c) => c.json(series.preview(await parseJsonBody(c, previewSeriesInput)) satisfies SeriesPreviewBody))
    .post('/meetings/series', canSchedule, async (c) => {
      const created = await series.create(await parseJsonBody(c, createSeriesInput), c.get('user')!);
      return c.json(created satisfies SeriesBody, 201, { Location: `/api/meetings/series/${created.id}` });
    })
    .get('/meetings/series/:id', requireAction('meeting.manage'), async (c) => {
      const id = parseParam(c.req.param('id'), uuidParam, 'series id');
      return c.json((await series.get(id, c.get('user')!)) satisfies SeriesBody);
    })
    .post('/meetings/series/:id/split', requireAction('meeting.manage'), async (c) => {
      const id = parseParam(c.req.param('id'), uuidParam, 'series id');
      return c.json((await series.split(id, await parseJsonBody(c, splitSeriesInput), c.get('user')!)) satisfies SeriesBody);
    });
}
