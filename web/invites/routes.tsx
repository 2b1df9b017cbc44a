/**
 * Pages of the invitations feature: the commune's readiness page (/ready/:token, no account),
 * the secretariat's delivery table (/meetings/:id/invites) and the local mail folder (/mail).
 */
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { assertMayReadDelivery, assertMayReadMailFolder } from '../../api/auth/policy.ts';
import type { AppContext, AppEnv } from '../../api/context.ts';
import { DomainError, InvalidLinkError, NotFoundError, ValidationError } from '../../api/errors.ts';
import type { InviteOutbox } from '../../api/invites/outbox.ts';
import { attachmentContent, attachmentResponse } from '../../api/meetings/attachment.ts';
import { getMeeting } from '../../api/meetings/queries.ts';
import { meetingDeliveryStatus } from '../../api/invites/delivery-status.ts';
import { InvalidMailIdError, listMailFolder, MailNotFoundError, readMailFolderMessage } from '../../api/invites/mail-folder.ts';
import { readinessAnswerInput, readinessView, recordReadiness } from '../../api/invites/readiness.ts';
import { parseFormBody, uuidParam } from '../../api/validation.ts';
import { InvitesPage, MailFolderMessagePage, MailFolderPage } from './pages.tsx';
import { LinkProblemPage, ReadinessPage } from './readiness-page.tsx';
import { DeviceCheckPage } from './device-check-page.tsx';
import { latestDeviceCheck } from '../../api/invites/device-checks.ts';
import { pageAuth, signedInUser } from '../common/page-auth.ts';

const formText = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

function linkProblem(c: Context<AppEnv>, error: unknown) {
  if (!(error instanceof InvalidLinkError)) throw error;
  return c.html(<LinkProblemPage lang={c.get('lang')} problem={error.problem} />, error.status as 404 | 410);
}

async function mailFolderMessage(dir: string, id: string) {
  try {
    return await readMailFolderMessage(dir, id);
  } catch (error) {
    if (error instanceof InvalidMailIdError || error instanceof MailNotFoundError) throw new NotFoundError('Message', id.slice(0, 80));
    throw error;
  }
}

export function invitePages(ctx: AppContext, outbox: InviteOutbox) {
  const app = new Hono<AppEnv>();

  app.get('/ready/:token', async (c) => {
    // The token is in the URL: do not hand it to other sites as a Referer.
    c.header('Referrer-Policy', 'no-referrer');
    const token = c.req.param('token');
    try {
      const view = await readinessView(ctx, token);
      return c.html(<ReadinessPage lang={c.get('lang')} view={view} action={`/ready/${token}`} saved={c.req.query('saved') === '1'} />);
    } catch (error) {
      return linkProblem(c, error);
    }
  });

  // The device check from the invitation: the same token; usable from the invitation to the meeting's end.
  app.get('/ready/:token/check', async (c) => {
    c.header('Referrer-Policy', 'no-referrer');
    const token = c.req.param('token');
    try {
      const view = await readinessView(ctx, token);
      const lastCheck = await latestDeviceCheck(ctx.db, view.meeting.id, view.siteId);
      return c.html(<DeviceCheckPage lang={c.get('lang')} view={view} lastCheck={lastCheck} answerHref={`/ready/${token}`} />);
    } catch (error) {
      return linkProblem(c, error);
    }
  });

  // The meeting's document, for the site holding the readiness link.
  app.get('/ready/:token/attachment', async (c) => {
    c.header('Referrer-Policy', 'no-referrer');
    try {
      const view = await readinessView(ctx, c.req.param('token'));
      const attachment = await attachmentContent(ctx.db, view.meeting.id);
      if (!attachment) throw new NotFoundError('Attachment', view.meeting.id);
      return attachmentResponse(attachment, c.req.header('if-none-match'));
    } catch (error) {
      return linkProblem(c, error);
    }
  });

  // Cross-site posts are refused by the app's csrf() middleware (Origin / Sec-Fetch-Site).
  app.post('/ready/:token', async (c) => {
    c.header('Referrer-Policy', 'no-referrer');
    const token = c.req.param('token');
    const form = await parseFormBody(c);
    const raw = { answer: formText(form.answer), delegateName: formText(form.delegateName), reason: formText(form.reason) };
    try {
      const parsed = readinessAnswerInput.safeParse(raw);
      if (!parsed.success) {
        const view = await readinessView(ctx, token);
        const values = {
          ...(raw.delegateName === undefined ? {} : { delegateName: raw.delegateName }),
          ...(raw.reason === undefined ? {} : { reason: raw.reason }),
        };
        return c.html(
          <ReadinessPage lang={c.get('lang')} view={view} action={`/ready/${token}`} error={ValidationError.fromZod(parsed.error).message} values={values} />,
          422,
        );
      }
      await recordReadiness(ctx, token, parsed.data);
      return c.redirect(`/ready/${token}?saved=1`, 303);
    } catch (error) {
      return linkProblem(c, error);
    }
  });

  app.get('/meetings/:id/invites', pageAuth('meeting.delivery'), async (c) => {
    const user = signedInUser(c);
    const id = uuidParam.safeParse(c.req.param('id'));
    if (!id.success) throw new NotFoundError('Meeting', c.req.param('id'));
    await assertMayReadDelivery(ctx.db, user, id.data);
    const [meeting, status] = await Promise.all([getMeeting(ctx.db, id.data), meetingDeliveryStatus(ctx.db, id.data)]);
    const resent = c.req.query('resent');
    const tooSoon = uuidParam.safeParse(c.req.query('tooSoon')).data;
    const rotated = uuidParam.safeParse(c.req.query('rotated')).data;
    return c.html(
      <InvitesPage
        lang={c.get('lang')}
        user={user}
        meeting={meeting}
        status={status}
        {...(resent && /^\d+$/.test(resent) ? { resent: Number(resent) } : {})}
        {...(tooSoon ? { tooSoon } : {})}
        {...(rotated ? { rotated } : {})}
      />,
    );
  });

  app.post('/meetings/:id/invites/resend', pageAuth('meeting.manage'), async (c) => {
    const user = signedInUser(c);
    const id = uuidParam.safeParse(c.req.param('id'));
    if (!id.success) throw new NotFoundError('Meeting', c.req.param('id'));
    const form = await parseFormBody(c);
    const siteId = z.uuid().optional().safeParse(formText(form.siteId));
    if (!siteId.success) throw new ValidationError('Invalid site id', undefined, 400);
    try {
      const confirm = formText(form.confirm) === 'true';
      const result = await outbox.resend(
        id.data,
        { ...(siteId.data ? { siteIds: [siteId.data] } : {}), failedOnly: formText(form.failedOnly) === 'true', confirm },
        user,
      );
      return c.redirect(`/meetings/${id.data}/invites?resent=${result.requeued + result.resent}`, 303);
    } catch (error) {
      if (!(error instanceof DomainError) || error.status === 404 || error.status === 403) throw error;
      // Sent again less than 10 minutes ago: the page asks before sending once more.
      if (error.code === 'resend_too_soon' && siteId.data) return c.redirect(`/meetings/${id.data}/invites?tooSoon=${siteId.data}`, 303);
      return c.redirect(`/meetings/${id.data}/invites?resent=0`, 303);
    }
  });

  app.post('/meetings/:id/invites/:siteId/rotate', pageAuth('meeting.manage'), async (c) => {
    const id = uuidParam.safeParse(c.req.param('id'));
    const siteId = uuidParam.safeParse(c.req.param('siteId'));
    if (!id.success || !siteId.success) throw new NotFoundError('Meeting', c.req.param('id'));
    await outbox.rotateLinks(id.data, siteId.data, signedInUser(c));
    return c.redirect(`/meetings/${id.data}/invites?rotated=${siteId.data}`, 303);
  });

  // The mail folder was called the outbox before; keep old bookmarks working.
  app.get('/outbox/*', (c) => c.redirect(c.req.path.replace(/^\/outbox/, '/mail'), 301));
  app.get('/outbox', (c) => c.redirect('/mail', 301));

  // The mail folder holds every message to every site: national staff only.
  app.use('/mail', pageAuth('mail.read'), async (c, next) => {
    assertMayReadMailFolder(signedInUser(c));
    await next();
  });
  app.use('/mail/*', pageAuth('mail.read'), async (c, next) => {
    assertMayReadMailFolder(signedInUser(c));
    await next();
  });

  app.get('/mail', async (c) => {
    const user = signedInUser(c);
    const entries = await listMailFolder(ctx.config.MAIL_FOLDER_DIR, { limit: 500, logger: c.get('log') });
    return c.html(<MailFolderPage lang={c.get('lang')} user={user} entries={entries} smtpConfigured={ctx.config.SMTP_URL !== undefined} />);
  });

  app.get('/mail/:id', async (c) => {
    const user = signedInUser(c);
    return c.html(<MailFolderMessagePage lang={c.get('lang')} user={user} message={await mailFolderMessage(ctx.config.MAIL_FOLDER_DIR, c.req.param('id'))} />);
  });

  app.get('/mail/:id/message.eml', async (c) => {
    const message = await mailFolderMessage(ctx.config.MAIL_FOLDER_DIR, c.req.param('id'));
    return c.body(new Uint8Array(message.raw), 200, {
      'Content-Type': 'message/rfc822',
      'Content-Disposition': `attachment; filename="${message.entry.id}.eml"`,
    });
  });

  app.get('/mail/:id/invite.ics', async (c) => {
    const message = await mailFolderMessage(ctx.config.MAIL_FOLDER_DIR, c.req.param('id'));
    if (message.ics === null) throw new NotFoundError('Calendar of message', message.entry.id);
    return c.body(message.ics, 200, {
      'Content-Type': 'text/calendar; charset=utf-8',
      'Content-Disposition': `attachment; filename="${message.entry.id}.ics"`,
    });
  });

  return app;
}
