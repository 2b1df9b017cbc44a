/** The secretariat's view of a meeting's invitations, and the local mail folder pages. */
import type { AuthenticatedUser, Lang } from '../../api/context.ts';
import type { MeetingDeliveryStatus, SiteDelivery } from '../../api/invites/delivery-status.ts';
import type { MailFolderEntry, MailFolderMessage } from '../../api/invites/mail-folder.ts';
import { NO_CONTACT_EMAIL } from '../../api/invites/outbox.ts';
import type { MeetingDetail } from '../../api/meetings/queries.ts';
import { formatVietnamDateTime } from '../../api/time.ts';
import { formatNumber } from '../../api/i18n/format.ts';
import { siteRoleLabel } from '../../api/attendance/texts.ts';
import { translator, type Translate } from '../../api/i18n/translator.ts';
import { pageTranslator, type commonTexts } from '../common/texts.ts';
import { invitePageTexts } from './texts.ts';

type InvitesTranslate = Translate<typeof commonTexts & typeof invitePageTexts>;
import { Layout } from '../common/layout.tsx';

function DeliveryCell(props: { t: InvitesTranslate; lang: Lang; site: SiteDelivery }) {
  const { t, site } = props;
  const latest = site.latest;
  if (!latest) return <span class="muted">—</span>;
  if (site.unsendable) {
    return (
      <>
        <span class="status-unsendable">{t('unsendable')}</span>
        {latest.method === 'CANCEL' && <span class="small muted"> (CANCEL)</span>}
        <div class="small">
          <a href={`/directory/sites/${site.siteId}`}>{t('fixAddress')}</a>
        </div>
      </>
    );
  }
  const reason = latest.lastError === NO_CONTACT_EMAIL ? t('noContactEmail') : latest.lastError;
  return (
    <>
      <span class={`status-${latest.status}`}>{t(latest.status)}</span>
      {latest.method === 'CANCEL' && <span class="small muted"> (CANCEL)</span>}
      {latest.sentAt && <div class="small muted">{formatVietnamDateTime(new Date(latest.sentAt), props.lang)}</div>}
      {reason && latest.status !== 'sent' && <div class="small">{reason}</div>}
    </>
  );
}

function AnswerCell(props: { t: InvitesTranslate; lang: Lang; site: SiteDelivery }) {
  const { t, site } = props;
  if (!site.rsvp) return <span class="muted">{t('noAnswer')}</span>;
  return (
    <>
      <strong>{t(site.rsvp.answer)}</strong>
      {site.rsvp.delegateName && <div class="delegate">{site.rsvp.delegateName}</div>}
      {site.rsvp.reason && <div class="small">{site.rsvp.reason}</div>}
      <div class="small muted">{formatVietnamDateTime(new Date(site.rsvp.answeredAt), props.lang)}</div>
    </>
  );
}

/** The site's latest device check: when, which browser, camera/microphone, round trip and loss. */
export function DeviceCheckCell(props: { lang: Lang; check: SiteDelivery['deviceCheck'] }) {
  const { check } = props;
  const t = translator(invitePageTexts, props.lang);
  if (!check) return <span class="muted never-checked">{t('neverChecked')}</span>;
  const reached = check.rttMs !== null;
  return (
    <>
      <span class={check.cameraOk ? 'check-ok' : 'check-failed'}>{t(check.cameraOk ? 'checkCameraOk' : 'checkCameraFailed')}</span>
      {' · '}
      <span class={check.micOk ? 'check-ok' : 'check-failed'}>{t(check.micOk ? 'checkMicOk' : 'checkMicFailed')}</span>
      <div class="check-line">
        {reached ? (
          <>
            <span class="rtt">{check.rttMs} ms</span>
            {' · '}
            <span class="loss">
              {t('lossLabel')} {formatNumber(check.lossPercent ?? 0, 1, props.lang)}%
            </span>
          </>
        ) : (
          <span class="check-failed">{t('checkServerUnreached')}</span>
        )}
      </div>
      <div class="small muted">
        <span class="browser">{check.browser}</span> · {formatVietnamDateTime(new Date(check.checkedAt), props.lang)}
      </div>
    </>
  );
}

export function InvitesPage(props: {
  lang: Lang;
  user: AuthenticatedUser;
  meeting: MeetingDetail;
  status: MeetingDeliveryStatus;
  resent?: number;
  tooSoon?: string;
  rotated?: string;
}) {
  const t = pageTranslator(invitePageTexts, props.lang);
  const { meeting, status } = props;
  const canResend = props.user.role !== 'leader';
  const s = status.summary;
  return (
    <Layout title={`${t('invitations')} · ${meeting.title}`} lang={props.lang} user={props.user}>
      <h1>{t('invitations')}</h1>
      <p>
        <a href={`/meetings/${meeting.id}`}>{meeting.title}</a> · {t('sequence')} {status.sequence}
        {canResend && (
          <>
            {' '}
            ·{' '}
            <a href={`/meetings/${meeting.id}/call-list`} id="call-list-link">
              {t('callListLink')}
            </a>
          </>
        )}
      </p>
      {props.resent !== undefined && (
        <p class="notice" role="status">
          {t('resendDone')}: {props.resent}
        </p>
      )}
      {props.rotated !== undefined && (
        <p class="notice" role="status">
          {t('linksRotated')}
        </p>
      )}
      {props.tooSoon !== undefined && (
        <form method="post" action={`/meetings/${meeting.id}/invites/resend`} class="notice">
          {t('resendTooSoon')} <input type="hidden" name="siteId" value={props.tooSoon} />
          <input type="hidden" name="confirm" value="true" />
          <button type="submit">{t('resendAnyway')}</button>
        </form>
      )}
      <p id="invite-summary">
        {t('sites')}: {s.sites} · {t('sent')}: {s.sent} · {t('queued')}: {s.queued + s.sending} · {t('failed')}: {s.failed} · {t('unsendableCount')}:{' '}
        {s.unsendable} · {t('attending')}: {s.attending} · {t('declined')}: {s.declined} · {t('noAnswer')}: {s.unanswered} · {t('neverChecked')}: {s.unchecked}
      </p>
      {canResend && (s.failed > 0 || s.unsendable > 0) && (
        <form method="post" action={`/meetings/${meeting.id}/invites/resend`} class="inline">
          <input type="hidden" name="failedOnly" value="true" />
          <button type="submit" class="primary">
            {s.failed > 0 ? t('resendAllFailed') : t('sendToFixed')}
          </button>
        </form>
      )}
      <table class="list" id="invite-table">
        <thead>
          <tr>
            <th>{t('site')}</th>
            <th>{t('delivery')}</th>
            <th class="num">{t('attempts')}</th>
            <th class="num">{t('lastSentSequence')}</th>
            <th>{t('answer')}</th>
            <th>{t('deviceCheck')}</th>
            {canResend && <th></th>}
          </tr>
        </thead>
        <tbody>
          {status.sites.map((site) => (
            <tr data-site-id={site.siteId}>
              <td>
                {site.siteName}
                <div class="small muted">
                  {site.role === null ? t('removedSite') : siteRoleLabel(site.role, props.lang)} · {site.unitName}
                </div>
              </td>
              <td>
                <DeliveryCell t={t} lang={props.lang} site={site} />
              </td>
              <td class="num">{site.latest?.attempts ?? 0}</td>
              <td class="num">{site.lastSentSequence ?? '—'}</td>
              <td class="answer">
                <AnswerCell t={t} lang={props.lang} site={site} />
              </td>
              <td class="device-check">{site.role === 'participant' && <DeviceCheckCell lang={props.lang} check={site.deviceCheck} />}</td>
              {canResend && (
                <td>
                  {(site.latest?.status === 'failed' || site.latest?.status === 'sent') && (
                    <form method="post" action={`/meetings/${meeting.id}/invites/resend`} class="inline">
                      <input type="hidden" name="siteId" value={site.siteId} />
                      <button type="submit" class="link">
                        {t('resend')}
                      </button>
                    </form>
                  )}
                  {site.role === 'participant' && (
                    <form method="post" action={`/meetings/${meeting.id}/invites/${site.siteId}/rotate`} class="inline">
                      <button type="submit" class="link">
                        {t('rotateLinks')}
                      </button>
                    </form>
                  )}
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </Layout>
  );
}

export function MailFolderPage(props: { lang: Lang; user: AuthenticatedUser; entries: MailFolderEntry[]; smtpConfigured: boolean }) {
  const t = pageTranslator(invitePageTexts, props.lang);
  return (
    <Layout title={t('mailFolder')} lang={props.lang} user={props.user}>
      <h1>{t('mailFolder')}</h1>
      <p class="muted">{props.smtpConfigured ? t('mailFolderSmtpNote') : t('mailFolderHint')}</p>
      {props.entries.length === 0 ? (
        <p class="muted">{t('mailFolderEmpty')}</p>
      ) : (
        <table class="list" id="mail-list">
          <thead>
            <tr>
              <th>{t('createdAt')}</th>
              <th>{t('to')}</th>
              <th>{t('subject')}</th>
              <th>{t('download')}</th>
            </tr>
          </thead>
          <tbody>
            {props.entries.map((e) => (
              <tr>
                <td>{formatVietnamDateTime(new Date(e.createdAt), props.lang)}</td>
                <td>{e.to.join(', ')}</td>
                <td>
                  <a href={`/mail/${e.id}`}>{e.subject}</a>
                </td>
                <td>
                  <a href={`/mail/${e.id}/message.eml`}>.eml</a>
                  {e.calendarMethod && (
                    <>
                      {' · '}
                      <a href={`/mail/${e.id}/invite.ics`}>.ics</a>
                    </>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Layout>
  );
}

export function MailFolderMessagePage(props: { lang: Lang; user: AuthenticatedUser; message: MailFolderMessage }) {
  const t = pageTranslator(invitePageTexts, props.lang);
  const e = props.message.entry;
  return (
    <Layout title={e.subject} lang={props.lang} user={props.user}>
      <p>
        <a href="/mail">{t('back')}</a>
      </p>
      <h1>{e.subject}</h1>
      <dl class="facts">
        <dt>{t('createdAt')}</dt>
        <dd>{formatVietnamDateTime(new Date(e.createdAt), props.lang)}</dd>
        <dt>{t('to')}</dt>
        <dd>{[...e.to, ...e.cc].join(', ')}</dd>
        <dt>Message-ID</dt>
        <dd>{e.messageId}</dd>
        <dt>{t('download')}</dt>
        <dd>
          <a href={`/mail/${e.id}/message.eml`}>message.eml</a>
          {props.message.ics !== null && (
            <>
              {' · '}
              <a href={`/mail/${e.id}/invite.ics`}>invite.ics</a>
            </>
          )}
        </dd>
      </dl>
      {props.message.ics !== null && <pre class="pre small">{props.message.ics}</pre>}
    </Layout>
  );
}
