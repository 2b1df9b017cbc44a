/**
 * The live meeting pages: server-rendered shells that the browser scripts in
 * web/conference/browser bring to life. The commune's page has no account and no navigation;
 * the host console is for a signed-in secretariat.
 */
import type { Child } from 'hono/jsx';
import type { Lang } from '../../api/context.ts';
import { formatVietnamDateTime, formatVietnamTime } from '../../api/time.ts';
import type { ScriptEntry } from '../assets.ts';
import { AssetTags } from '../common/layout.tsx';
import { conferenceTranslator } from './texts.ts';
import type { DeviceCheckView } from '../../api/invites/device-checks.ts';
import { DeviceCheckCell } from '../invites/pages.tsx';

export interface MeetingFacts {
  meetingId: string;
  meetingTitle: string;
  hostSiteId: string;
  hostSiteName: string;
  startsAt: Date;
  endsAt: Date;
  /**
   * Every site of the meeting, host included. The protocol names sites only by id (floor,
   * spotlight, hand queue), so the pages look their names up here.
   */
  sites: Array<{ siteId: string; name: string }>;
}

function ConferenceShell(props: {
  title: string;
  lang: Lang;
  heading: string;
  subheading: string;
  script: ScriptEntry;
  bodyData: Record<string, string>;
  sites: MeetingFacts['sites'];
  children: Child;
}) {
  const t = conferenceTranslator(props.lang);
  const data = Object.fromEntries(Object.entries(props.bodyData).map(([k, v]) => [`data-${k}`, v]));
  return (
    <html lang={props.lang}>
      <head>
        <meta charset="utf-8" />
        {/* First, before anything is fetched: an invite link carries a secret. */}
        <meta name="referrer" content="no-referrer" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{props.title}</title>
        <AssetTags scripts={[props.script]} />
      </head>
      <body class="conference" {...data}>
        <header class="top conf-top">
          <div class="conf-title">
            <strong>{props.heading}</strong>
            <span>{props.subheading}</span>
          </div>
          <div id="status" class="status" data-kind="idle" role="status" aria-live="polite">
            {t('statusIdle')}
          </div>
        </header>
        <main class="conference">{props.children}</main>
        <div id="site-directory" hidden data-sites={JSON.stringify(props.sites.map((s) => [s.siteId, s.name]))}></div>
      </body>
    </html>
  );
}

function PreJoin(props: { lang: Lang; title: string; enterLabel: string }) {
  const t = conferenceTranslator(props.lang);
  return (
    <section id="prejoin" class="card prejoin">
      <h1>{props.title}</h1>
      <p class="muted">{t('prejoinIntro')}</p>
      <div class="prejoin-body">
        <div class="preview">
          <video id="preview" autoplay muted playsinline></video>
        </div>
        <div class="checks">
          <ul>
            <li id="check-camera" data-state="pending">
              <b>{t('checkCamera')}</b>
              <span class="result">{t('checking')}</span>
            </li>
            <li id="check-mic" data-state="pending">
              <b>{t('checkMicrophone')}</b>
              <meter id="mic-level" min="0" max="1" low={0.25} high={0.85} optimum={0.5} value="0"></meter>
              <span class="result">{t('checking')}</span>
            </li>
            <li id="check-network" data-state="pending">
              <b>{t('checkNetwork')}</b>
              <span class="result">{t('checking')}</span>
            </li>
          </ul>
          <div id="take-over" class="notice" hidden>
            <p>{t('consoleOpen')}</p>
            <button id="take-over-confirm" type="button">
              {t('takeOver')}
            </button>
          </div>
          <label>
            {t('quality')}
            <select id="quality">
              <option value="low">{t('qualityLow')}</option>
              <option value="medium">{t('qualityMedium')}</option>
              <option value="high">{t('qualityHigh')}</option>
            </select>
          </label>
          <div class="actions">
            <button id="enter" class="primary big" type="button" disabled>
              {props.enterLabel}
            </button>
            <button id="recheck" type="button">
              {t('checkAgain')}
            </button>
          </div>
        </div>
      </div>
    </section>
  );
}

function Ended(props: { lang: Lang }) {
  const t = conferenceTranslator(props.lang);
  return (
    <section id="ended" class="card ended" hidden>
      <h1 id="ended-message">{t('statusEnded')}</h1>
      {/* biome-ignore lint/a11y/useValidAnchor: an empty href reloads this very page (query included), which is what rejoining is */}
      <a id="rejoin-link" class="button" href="">
        {t('rejoin')}
      </a>
    </section>
  );
}

function when(m: MeetingFacts, lang: Lang): string {
  return `${formatVietnamDateTime(m.startsAt, lang)}–${formatVietnamTime(m.endsAt)}`;
}

/** /join/:token — a commune's page from its invite link. */
export function JoinPage(props: { lang: Lang; meeting: MeetingFacts; siteName: string; quality: string }) {
  const t = conferenceTranslator(props.lang);
  const m = props.meeting;
  return (
    <ConferenceShell
      title={`${m.meetingTitle} · ${props.siteName}`}
      lang={props.lang}
      heading={m.meetingTitle}
      subheading={`${props.siteName} · ${when(m, props.lang)}`}
      script="conference-join"
      bodyData={{ 'meeting-id': m.meetingId, 'host-site-id': m.hostSiteId, 'host-site-name': m.hostSiteName, quality: props.quality }}
      sites={m.sites}
    >
      <PreJoin lang={props.lang} title={t('prejoinTitle')} enterLabel={t('enterMeeting')} />
      <section id="meeting" class="room" hidden>
        <div class="stage">
          <figure class="tile main" id="main-tile">
            <video id="main-video" autoplay playsinline muted></video>
            <p class="placeholder" id="main-placeholder">
              {t('waitingForHost')}
            </p>
            <figcaption id="main-caption">
              {t('hostLabel')}: {m.hostSiteName}
            </figcaption>
          </figure>
          <figure class="tile second" id="second-tile" hidden>
            <video id="second-video" autoplay playsinline muted></video>
            <figcaption id="second-caption"></figcaption>
          </figure>
          <figure class="tile self" id="self-tile">
            <video id="self-video" autoplay playsinline muted></video>
            <figcaption>{t('selfLabel')}</figcaption>
          </figure>
        </div>
        <div class="controls">
          <span id="mic-state" class="mic-state" data-open="false">
            {t('micMutedWaiting')}
          </span>
          <button id="mic-toggle" type="button" hidden>
            {t('muteMe')}
          </button>
          <button id="raise-hand" type="button" class="big" aria-pressed="false">
            {t('raiseHand')}
          </button>
          <button id="audio-only" type="button" aria-pressed="false">
            {t('audioOnlyOn')}
          </button>
          <button id="leave" type="button" class="danger">
            {t('leave')}
          </button>
        </div>
      </section>
      <Ended lang={props.lang} />
      <div id="audio-sink"></div>
    </ConferenceShell>
  );
}

/**
 * The sites not (yet) in the meeting, with their latest device check, those that never checked
 * first: who to call before the start. The console script hides a site's row while it is online.
 */
function NotJoined(props: { lang: Lang; meeting: MeetingFacts; deviceChecks: ReadonlyMap<string, DeviceCheckView> }) {
  const t = conferenceTranslator(props.lang);
  const sites = props.meeting.sites.filter((s) => s.siteId !== props.meeting.hostSiteId);
  const ordered = [...sites.filter((s) => !props.deviceChecks.has(s.siteId)), ...sites.filter((s) => props.deviceChecks.has(s.siteId))];
  return (
    <details id="not-joined" open>
      <summary>
        {t('notJoinedHeading')} (<span id="not-joined-count">{ordered.length}</span>)
      </summary>
      <table class="list">
        <tbody>
          {ordered.map((site) => (
            <tr data-site-id={site.siteId}>
              <td>{site.name}</td>
              <td class="device-check">
                <DeviceCheckCell lang={props.lang} check={props.deviceChecks.get(site.siteId) ?? null} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </details>
  );
}

/** /meetings/:id/console — the host hall's console. */
export function ConsolePage(props: {
  lang: Lang;
  meeting: MeetingFacts;
  invitedCount: number;
  deviceChecks: ReadonlyMap<string, DeviceCheckView>;
  quality: string;
}) {
  const t = conferenceTranslator(props.lang);
  const m = props.meeting;
  return (
    <ConferenceShell
      title={`${t('consoleTitle')} · ${m.meetingTitle}`}
      lang={props.lang}
      heading={m.meetingTitle}
      subheading={`${t('consoleTitle')} · ${m.hostSiteName} · ${when(m, props.lang)}`}
      script="conference-console"
      bodyData={{ 'meeting-id': m.meetingId, 'host-site-id': m.hostSiteId, quality: props.quality }}
      sites={m.sites}
    >
      <PreJoin lang={props.lang} title={t('prejoinTitle')} enterLabel={t('startHosting')} />
      <section id="meeting" class="console" hidden>
        <div class="console-top">
          <figure class="tile main" id="stage-tile">
            <video id="stage-video" autoplay playsinline muted></video>
            <figcaption id="stage-caption"></figcaption>
          </figure>
          <aside class="side card">
            <h2>{t('floorHeading')}</h2>
            <div class="floor-row">
              <span id="floor-holder">{t('nobody')}</span>
              <button id="revoke-floor" type="button" hidden>
                {t('revokeFloor')}
              </button>
            </div>
            <h2>
              {t('handQueueHeading')} (<span id="hand-count">0</span>)
            </h2>
            <ol id="hand-queue" class="hand-queue"></ol>
            <p id="hand-empty" class="muted">
              {t('handQueueEmpty')}
            </p>
            <div class="own-controls">
              <button id="host-mic" type="button">
                {t('muteMe')}
              </button>
              <button id="share-screen" type="button">
                {t('shareScreen')}
              </button>
              <button id="end-meeting" type="button" class="danger">
                {t('endMeeting')}
              </button>
            </div>
            <p id="console-error" class="error" hidden></p>
          </aside>
        </div>
        <section class="sites">
          <div class="heading">
            <h2>
              {t('sitesHeading')}: <span id="online-count">0</span>/{props.invitedCount} {t('invited')}
            </h2>
            <div class="pager">
              <button id="page-prev" type="button" disabled>
                {t('pagePrev')}
              </button>
              <span id="page-label"></span>
              <button id="page-next" type="button" disabled>
                {t('pageNext')}
              </button>
            </div>
          </div>
          <p id="no-sites" class="muted">
            {t('noSites')}
          </p>
          <ul id="site-grid" class="site-grid"></ul>
          <NotJoined lang={props.lang} meeting={m} deviceChecks={props.deviceChecks} />
          <details id="left-sites" hidden>
            <summary>
              {t('leftSitesHeading')} (<span id="left-count">0</span>)
            </summary>
            <ul id="left-list"></ul>
          </details>
        </section>
      </section>
      <Ended lang={props.lang} />
      <div id="audio-sink"></div>
    </ConferenceShell>
  );
}

/** A refused link or an unknown meeting: a plain page, no scripts. */
export function ConferenceMessagePage(props: { lang: Lang; title: string; message: string }) {
  return (
    <html lang={props.lang}>
      <head>
        <meta charset="utf-8" />
        <meta name="referrer" content="no-referrer" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{props.title}</title>
        <AssetTags />
      </head>
      <body class="conference">
        <main>
          <section class="card narrow">
            <h1>{props.title}</h1>
            <p>{props.message}</p>
          </section>
        </main>
      </body>
    </html>
  );
}
