/**
 * The host console (`/meetings/<id>/console`): after the pre-join check the hall publishes its
 * camera and microphone (and a screen on demand) and runs the meeting — a paged grid of the
 * connected sites (the server sends their cameras at the lowest layer), the hand queue in
 * arrival order, and the controls: floor, mute, spotlight, remove, end for everyone. The stage
 * shows whoever has the floor, else the spotlighted site, else the active speaker.
 */
// first: configures zod before any schema exists (see the module)
import type { SiteInfo } from '../../../sfu/protocol.ts';
import { openScreen } from './media.ts';
import { runPreJoin } from './prejoin.ts';
import { MeetingClient, type RemoteTrack } from './meeting-client.ts';
import { $, AudioSink, bindStatusLine, exposeDiagnostics, pageTranslator, placedNode, showEnded, showTrack, siteDirectory, type Translate } from './ui.ts';

const t: Translate = pageTranslator();
const body = document.body;
const meetingId = body.dataset['meetingId'] ?? '';
const PAGE_SIZE = 12;

// The host's node is the meeting's origin (api/nodes/placement.ts), asked anew before every connection.
const client = new MeetingClient({ url: placedNode({ meetingId }), credentials: { meetingId } });
exposeDiagnostics(client);
bindStatusLine(client, $('#status'), t);
window.addEventListener('pagehide', () => client.closeNow());

const names = siteDirectory();
const audio = new AudioSink($('#audio-sink'));
/** Connected sites (participants), from siteState. */
const sites = new Map<string, SiteInfo>();
const leftSites = new Map<string, string>();
const cameras = new Map<string, RemoteTrack>();
let floor: string | null = null;
let spotlight: string | null = null;
let activeSpeaker: string | null = null;
let handQueue: string[] = [];
let ownCamera: MediaStreamTrack | undefined;
let hostMicMuted = false;
let screen: MediaStreamTrack | null = null;
const grid = { page: 0, siteIds: [] as string[], total: 0 };

const nameOf = (siteId: string) => sites.get(siteId)?.siteName ?? names.get(siteId) ?? siteId.slice(0, 8);

function showError(err: unknown): void {
  const el = $('#console-error');
  el.hidden = false;
  el.textContent = `${t('actionFailed')}: ${err instanceof Error ? err.message : String(err)}`;
  setTimeout(() => (el.hidden = true), 6000);
}

/** Runs a host control; a refusal is shown, never thrown. */
function act(run: () => Promise<unknown>): void {
  run().then(undefined, showError);
}

// ---------------------------------------------------------------------------------------------
// The grid of sites
// ---------------------------------------------------------------------------------------------

let pageRequest: ReturnType<typeof setTimeout> | undefined;
/** Asks the server for the current page's sites (debounced: sites arrive in bursts). */
function refreshPage(): void {
  clearTimeout(pageRequest);
  pageRequest = setTimeout(() => {
    if (client.status.kind === 'ended' || !client.info) return;
    client.request('setPage', { page: grid.page, pageSize: PAGE_SIZE }).then(({ siteIds, total }) => {
      if (siteIds.length === 0 && total > 0 && grid.page > 0) {
        grid.page = Math.max(0, Math.ceil(total / PAGE_SIZE) - 1);
        return refreshPage();
      }
      Object.assign(grid, { siteIds, total });
      renderGrid();
    }, showError);
  }, 150);
}

const tiles = new Map<string, HTMLLIElement>();

function button(label: string, cls: string, onClick: () => void): HTMLButtonElement {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = cls;
  b.textContent = label;
  b.addEventListener('click', onClick);
  return b;
}

function tileFor(siteId: string): HTMLLIElement {
  let li = tiles.get(siteId);
  if (li) return li;
  li = document.createElement('li');
  li.className = 'site-tile';
  li.dataset['siteId'] = siteId;
  const video = document.createElement('video');
  video.autoplay = true;
  video.muted = true;
  video.playsInline = true;
  const name = document.createElement('div');
  name.className = 'site-name';
  const badges = document.createElement('div');
  badges.className = 'badges';
  const actions = document.createElement('div');
  actions.className = 'site-actions';
  li.append(video, name, badges, actions);
  tiles.set(siteId, li);
  return li;
}

function badge(text: string, kind: string): HTMLSpanElement {
  const span = document.createElement('span');
  span.className = `badge ${kind}`;
  span.textContent = text;
  return span;
}

function renderTile(siteId: string): HTMLLIElement {
  const li = tileFor(siteId);
  const info = sites.get(siteId);
  const camera = cameras.get(siteId);
  showTrack(li.querySelector('video')!, camera?.track);
  li.querySelector('.site-name')!.textContent = nameOf(siteId);
  li.classList.toggle('speaking', activeSpeaker === siteId);
  li.classList.toggle('has-floor', floor === siteId);
  li.classList.toggle('hand', handQueue.includes(siteId));
  li.dataset['online'] = String(info?.online ?? false);
  li.dataset['audioOnly'] = String(info?.audioOnly ?? false);

  const badges = li.querySelector('.badges')!;
  badges.replaceChildren(badge(t('stateOnline'), 'online'));
  if (!camera && !info?.audioOnly) badges.append(badge(t('stateNoVideo'), 'warn'));
  if (handQueue.includes(siteId)) badges.append(badge(`${t('stateHand')} #${handQueue.indexOf(siteId) + 1}`, 'hand'));
  if (floor === siteId) badges.append(badge(t('speakingLabel'), 'floor'));
  else if (info?.micMuted !== false) badges.append(badge(t('stateMuted'), 'muted'));
  if (info?.audioOnly) badges.append(badge(t('stateAudioOnly'), 'audio-only'));
  if (spotlight === siteId) badges.append(badge(t('spotlightLabel'), 'spot'));

  const actions = li.querySelector('.site-actions')!;
  const kick = button(t('kick'), 'danger small', () => {
    // Two presses: removing a commune by a slip of the mouse would be embarrassing.
    if (kick.dataset['armed'] !== 'true') {
      kick.dataset['armed'] = 'true';
      kick.textContent = t('kickConfirm');
      return;
    }
    act(() => client.request('kick', { siteId }));
  });
  actions.replaceChildren(
    floor === siteId
      ? button(t('revokeFloor'), 'primary small', () => act(() => client.request('revokeFloor', {})))
      : button(t('giveFloor'), 'primary small give-floor', () => act(() => client.request('giveFloor', { siteId }))),
    button(t('muteSite'), 'small', () => act(() => client.request('muteSite', { siteId }))),
    spotlight === siteId
      ? button(t('unspotlight'), 'small', () => act(() => client.request('spotlight', { siteId: null })))
      : button(t('spotlight'), 'small', () => act(() => client.request('spotlight', { siteId }))),
    kick,
  );
  return li;
}

function renderGrid(): void {
  const list = $('#site-grid');
  list.replaceChildren(...grid.siteIds.filter((id) => sites.has(id)).map(renderTile));
  for (const id of tiles.keys()) if (!grid.siteIds.includes(id)) tiles.delete(id);
  $('#online-count').textContent = String(sites.size);
  $('#no-sites').hidden = sites.size > 0;
  const pages = Math.max(1, Math.ceil(grid.total / PAGE_SIZE));
  $('#page-label').textContent = `${t('pageOf')} ${grid.page + 1}/${pages}`;
  $<HTMLButtonElement>('#page-prev').disabled = grid.page === 0;
  $<HTMLButtonElement>('#page-next').disabled = grid.page + 1 >= pages;
  $('#left-sites').hidden = leftSites.size === 0;
  $('#left-count').textContent = String(leftSites.size);
  $('#left-list').replaceChildren(
    ...[...leftSites.values()].map((name) => {
      const li = document.createElement('li');
      li.textContent = name;
      return li;
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// Stage, floor and hand queue
// ---------------------------------------------------------------------------------------------

function renderStage(): void {
  const pick = [floor, spotlight, activeSpeaker].find((id) => id !== null && cameras.has(id)) ?? null;
  const video = $<HTMLVideoElement>('#stage-video');
  if (pick) {
    showTrack(video, cameras.get(pick)!.track);
    const label = pick === floor ? t('speakingLabel') : pick === spotlight ? t('spotlightLabel') : t('stateOnline');
    $('#stage-caption').textContent = `${label}: ${nameOf(pick)}`;
  } else {
    showTrack(video, ownCamera);
    $('#stage-caption').textContent = `${t('hostLabel')}: ${client.info?.siteName ?? ''}`;
  }
}

function renderFloorAndHands(): void {
  $('#floor-holder').textContent = floor ? nameOf(floor) : t('nobody');
  $('#revoke-floor').hidden = !floor;
  $('#hand-count').textContent = String(handQueue.length);
  $('#hand-empty').hidden = handQueue.length > 0;
  $('#hand-queue').replaceChildren(
    ...handQueue.map((siteId) => {
      const li = document.createElement('li');
      li.dataset['siteId'] = siteId;
      const name = document.createElement('span');
      name.textContent = nameOf(siteId);
      li.append(
        name,
        button(t('giveFloor'), 'primary small', () => act(() => client.request('giveFloor', { siteId }))),
      );
      return li;
    }),
  );
}

function renderAll(): void {
  renderGrid();
  renderStage();
  renderFloorAndHands();
}

// ---------------------------------------------------------------------------------------------
// Session events
// ---------------------------------------------------------------------------------------------

client.on('joined', (info) => {
  floor = info.floorHolder;
  spotlight = info.spotlight;
  handQueue = info.handQueue;
  sites.clear(); // the server sends every site's state again after a (re)join
  refreshPage();
  renderAll();
});
/** The not-yet-joined list (with each site's device check) shows only the sites not online. */
function renderNotJoined(): void {
  let count = 0;
  for (const row of document.querySelectorAll<HTMLElement>('#not-joined tr[data-site-id]')) {
    row.hidden = sites.has(row.dataset['siteId'] ?? '');
    if (!row.hidden) count++;
  }
  $('#not-joined-count').textContent = String(count);
}

client.on('siteState', (info) => {
  if (info.role !== 'participant') return;
  const known = sites.has(info.siteId);
  if (info.online) {
    sites.set(info.siteId, info);
    leftSites.delete(info.siteId);
  } else {
    sites.delete(info.siteId);
    leftSites.set(info.siteId, info.siteName);
  }
  if (known !== info.online) refreshPage();
  renderAll();
  renderNotJoined();
});
client.on('trackAdded', (r) => {
  audio.add(r);
  if (r.kind === 'video' && r.source === 'camera') cameras.set(r.siteId, r);
  renderAll();
});
client.on('trackRemoved', (r) => {
  audio.remove(r);
  if (cameras.get(r.siteId)?.consumerId === r.consumerId) cameras.delete(r.siteId);
  renderAll();
});
client.on('floorChanged', (siteId) => {
  floor = siteId;
  renderAll();
});
client.on('spotlightChanged', (siteId) => {
  spotlight = siteId;
  renderAll();
});
client.on('activeSpeaker', (siteId) => {
  activeSpeaker = siteId;
  renderAll();
});
client.on('handQueue', (ids) => {
  handQueue = ids;
  renderAll();
});
client.on('micMuted', (muted) => {
  hostMicMuted = muted;
  $('#host-mic').textContent = t(muted ? 'unmuteMe' : 'muteMe');
});
client.on('problem', (detail) => console.warn('hoinghi:', detail));
client.on('status', (status) => {
  if (status.kind !== 'ended') return;
  screen?.stop();
  ownCamera?.stop();
  showEnded(status.reason, t, status.reason === 'meeting-ended' ? t('consoleEnded') : undefined);
});

// ---------------------------------------------------------------------------------------------
// Controls
// ---------------------------------------------------------------------------------------------

$('#page-prev').addEventListener('click', () => {
  grid.page = Math.max(0, grid.page - 1);
  refreshPage();
});
$('#page-next').addEventListener('click', () => {
  grid.page += 1;
  refreshPage();
});
$('#revoke-floor').addEventListener('click', () => act(() => client.request('revokeFloor', {})));
$('#host-mic').addEventListener('click', () => act(() => client.setMicMuted(!hostMicMuted)));
$('#share-screen').addEventListener('click', () =>
  act(async () => {
    const shareButton = $('#share-screen');
    if (screen) {
      screen.stop();
      screen = null;
      await client.setScreen(null);
      shareButton.textContent = t('shareScreen');
      return;
    }
    const track = await openScreen();
    if (!track) return;
    screen = track;
    track.addEventListener('ended', () => {
      screen = null;
      shareButton.textContent = t('shareScreen');
    });
    await client.setScreen(track);
    shareButton.textContent = t('stopShare');
  }),
);
const endButton = $<HTMLButtonElement>('#end-meeting');
endButton.addEventListener('click', () => {
  if (endButton.dataset['armed'] !== 'true') {
    endButton.dataset['armed'] = 'true';
    endButton.textContent = t('endConfirm');
    setTimeout(() => {
      endButton.dataset['armed'] = 'false';
      endButton.textContent = t('endMeeting');
    }, 5000);
    return;
  }
  act(() => client.request('endMeeting', {}));
});

const tracks = await runPreJoin(client, t, body.dataset['quality'] ?? 'high');
ownCamera = tracks.camera;
$('#prejoin').hidden = true;
$('#meeting').hidden = false;
renderAll();
await client.enter(tracks);
