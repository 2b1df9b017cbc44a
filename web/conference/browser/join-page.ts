/**
 * The commune's page (`/join/<token>`): the pre-join check, then the meeting as a commune sees
 * it — the host big, whoever has the floor (or is spotlighted) beside it, its own picture
 * small — with the hand to raise, the microphone's state, and the way out.
 */
// first: configures zod before any schema exists (see the module)
import type { SiteInfo } from '../../../sfu/protocol.ts';
import { runPreJoin } from './prejoin.ts';
import { MeetingClient, type RemoteTrack } from './meeting-client.ts';
import { $, AudioSink, bindStatusLine, exposeDiagnostics, pageTranslator, placedNode, showEnded, showTrack, siteDirectory } from './ui.ts';

const t = pageTranslator();
const body = document.body;
const hostSiteId = body.dataset['hostSiteId'] ?? '';
const hostSiteName = body.dataset['hostSiteName'] ?? '';
// The token is the last path segment; it goes to the server only inside the `join` message.
const joinToken = decodeURIComponent(location.pathname.split('/').filter(Boolean).pop() ?? '');

// The node this site is placed on (api/nodes), asked anew before every connection.
const client = new MeetingClient({ url: placedNode({ joinToken }), credentials: { joinToken } });
exposeDiagnostics(client);
bindStatusLine(client, $('#status'), t);
// Closing the tab is leaving: close the socket cleanly so attendance records `left`.
window.addEventListener('pagehide', () => client.closeNow());

const audio = new AudioSink($('#audio-sink'));
const remotes = new Map<string, RemoteTrack>();
const siteNames = siteDirectory();
let floor: string | null = null;
let spotlight: string | null = null;
let handQueue: string[] = [];
let micMuted = true;

const mySiteId = () => client.info?.siteId;
const videoOf = (siteId: string | null, source: 'camera' | 'screen') =>
  siteId ? [...remotes.values()].find((r) => r.siteId === siteId && r.source === source && r.kind === 'video') : undefined;

/** Which video goes where; recomputed after every change. */
function layout(): void {
  const hostScreen = videoOf(hostSiteId, 'screen');
  const hostCamera = videoOf(hostSiteId, 'camera');
  const main = hostScreen ?? hostCamera;
  showTrack($<HTMLVideoElement>('#main-video'), main?.track);
  $('#main-tile').dataset['empty'] = String(!main);
  $('#main-placeholder').textContent = t(client.audioOnly ? 'audioOnlyActive' : 'waitingForHost');

  // Beside the host: the floor holder, else a spotlighted site, else the host's camera while a screen is shared.
  const me = mySiteId();
  let second: RemoteTrack | undefined;
  let caption = '';
  if (floor && floor !== me && (second = videoOf(floor, 'camera'))) caption = `${t('speakingLabel')}: ${siteNames.get(floor) ?? ''}`;
  else if (spotlight && spotlight !== me && (second = videoOf(spotlight, 'camera'))) caption = `${t('spotlightLabel')}: ${siteNames.get(spotlight) ?? ''}`;
  else if (hostScreen && hostCamera) [second, caption] = [hostCamera, `${t('hostLabel')}: ${hostSiteName}`];
  showTrack($<HTMLVideoElement>('#second-video'), second?.track);
  $('#second-tile').hidden = !second;
  $('#second-caption').textContent = caption;
}

function renderMic(): void {
  const hasFloor = floor !== null && floor === mySiteId();
  const el = $('#mic-state');
  el.dataset['open'] = String(hasFloor && !micMuted);
  el.textContent = t(hasFloor ? (micMuted ? 'micMutedSelf' : 'micOpen') : 'micMutedWaiting');
  const toggle = $<HTMLButtonElement>('#mic-toggle');
  toggle.hidden = !hasFloor;
  toggle.textContent = t(micMuted ? 'unmuteMe' : 'muteMe');
  const hand = $<HTMLButtonElement>('#raise-hand');
  const me = mySiteId();
  const position = me ? handQueue.indexOf(me) + 1 : 0;
  hand.disabled = hasFloor;
  hand.setAttribute('aria-pressed', String(position > 0));
  hand.textContent = position > 0 ? `${t('lowerHand')} (${t('handPosition')} ${position})` : t('raiseHand');
}

client.on('joined', (info) => {
  floor = info.floorHolder;
  spotlight = info.spotlight;
  handQueue = info.handQueue;
  renderMic();
});
client.on('trackAdded', (r) => {
  remotes.set(r.consumerId, r);
  audio.add(r);
  layout();
});
client.on('trackRemoved', (r) => {
  remotes.delete(r.consumerId);
  audio.remove(r);
  layout();
});
client.on('floorChanged', (siteId) => {
  floor = siteId;
  layout();
  renderMic();
});
client.on('spotlightChanged', (siteId) => {
  spotlight = siteId;
  layout();
});
client.on('handQueue', (ids) => {
  handQueue = ids;
  renderMic();
});
client.on('micMuted', (muted) => {
  micMuted = muted;
  renderMic();
});
client.on('siteState', (s: SiteInfo) => siteNames.set(s.siteId, s.siteName));
client.on('problem', (detail) => console.warn('hoinghi:', detail));
let localTracks: MediaStreamTrack[] = [];
client.on('status', (status) => {
  if (status.kind !== 'ended') return;
  // Put the camera light out: the site is no longer in the meeting.
  for (const track of localTracks) track.stop();
  showEnded(status.reason, t);
});

$('#raise-hand').addEventListener('click', async () => {
  const me = mySiteId();
  const raised = me !== undefined && handQueue.includes(me);
  await (raised ? client.request('lowerHand', {}) : client.request('raiseHand', {})).catch((err: unknown) => console.warn('hoinghi:', err));
});
$('#mic-toggle').addEventListener('click', () => void client.setMicMuted(!micMuted).catch((err: unknown) => console.warn('hoinghi:', err)));
$('#leave').addEventListener('click', () => void client.leave());

let ownCamera: MediaStreamTrack | undefined;
function renderAudioOnly(): void {
  const button = $<HTMLButtonElement>('#audio-only');
  button.setAttribute('aria-pressed', String(client.audioOnly));
  button.textContent = t(client.audioOnly ? 'audioOnlyOff' : 'audioOnlyOn');
  // Nothing of our own picture is sent while audio only: do not pretend otherwise.
  $('#self-tile').hidden = !ownCamera || client.audioOnly;
  layout();
}
$('#audio-only').addEventListener('click', async () => {
  const button = $<HTMLButtonElement>('#audio-only');
  button.disabled = true;
  try {
    await client.setAudioOnly(!client.audioOnly);
  } catch (err) {
    console.warn('hoinghi:', err);
  } finally {
    button.disabled = false;
    renderAudioOnly();
  }
});

const tracks = await runPreJoin(client, t, body.dataset['quality'] ?? 'medium');
localTracks = [tracks.camera, tracks.microphone].filter((x) => x !== undefined);
$('#prejoin').hidden = true;
$('#meeting').hidden = false;
showTrack($<HTMLVideoElement>('#self-video'), tracks.camera);
ownCamera = tracks.camera;
renderAudioOnly();
renderMic();
layout();
await client.enter(tracks);
