/**
 * The commune's device check (/ready/:token/check, no account): the invitation's "Kiểm tra thiết
 * bị" link. The page is a shell; web/invites/browser/device-check.ts opens the camera and
 * microphone, rehearses against the SFU for a few seconds and posts the result.
 */
import type { Lang } from '../../api/context.ts';
import type { DeviceCheckView } from '../../api/invites/device-checks.ts';
import type { ReadinessView } from '../../api/invites/readiness.ts';
import { formatVietnamDateTime, formatVietnamTime } from '../../api/time.ts';
import { pageTranslator } from '../common/texts.ts';
import { Layout } from '../common/layout.tsx';
import { DeviceCheckCell } from './pages.tsx';
import { deviceCheckTexts } from './device-check-texts.ts';

export function DeviceCheckPage(props: { lang: Lang; view: ReadinessView; lastCheck: DeviceCheckView | null; answerHref: string }) {
  const t = pageTranslator(deviceCheckTexts, props.lang);
  const { meeting } = props.view;
  return (
    <Layout title={t('checkTitle')} lang={props.lang} user={null} scripts={['device-check']}>
      <section class="card prejoin" id="device-check" data-meeting-id={meeting.id}>
        <h1>{t('checkTitle')}</h1>
        <p class="muted">{t('checkIntro')}</p>
        <dl class="facts">
          <dt>{t('title')}</dt>
          <dd id="meeting-title">{meeting.title}</dd>
          <dt>{t('time')}</dt>
          <dd>
            {formatVietnamDateTime(meeting.startsAt, props.lang)}–{formatVietnamTime(meeting.endsAt)} ({t('timeZoneNote')})
          </dd>
          <dt>{t('yourSite')}</dt>
          <dd id="site-name">{props.view.siteName}</dd>
        </dl>
        <div class="prejoin-body">
          <div class="preview">
            <video id="preview" autoplay muted playsinline></video>
          </div>
          <div class="checks">
            <ul>
              <li id="check-camera" data-state="pending">
                <b>{t('camera')}</b> <span class="result">{t('checking')}</span>
              </li>
              <li id="check-mic" data-state="pending">
                <b>{t('microphone')}</b>
                <meter id="mic-level" min="0" max="1" low={0.25} high={0.85} optimum={0.5} value="0"></meter>
                <span class="result">{t('checking')}</span>
              </li>
              <li id="check-network" data-state="pending">
                <b>{t('line')}</b> <span class="result">{t('checking')}</span>
              </li>
            </ul>
            <p id="check-saved" class="notice" role="status" hidden></p>
            <div class="actions">
              <button id="recheck" type="button" disabled>
                {t('checkAgain')}
              </button>
              <a class="button primary" id="answer-link" href={props.answerHref}>
                {t('answerLink')}
              </a>
            </div>
          </div>
        </div>
        {props.lastCheck && (
          <div id="last-check">
            <h2>{t('lastCheck')}</h2>
            <DeviceCheckCell lang={props.lang} check={props.lastCheck} />
          </div>
        )}
      </section>
    </Layout>
  );
}
