/** DOM pieces both live pages share: the status line, video and audio plumbing, the end panel, the node to connect to. */
import { z } from 'zod';
import { parseLang, type Lang } from '../../../api/i18n/translator.ts';
import { conferenceTranslator, type ConferenceTextKey } from '../texts.ts';
import type { MeetingClient, EndReason, RemoteTrack, MeetingClientStatus } from './meeting-client.ts';

export type Translate = (key: ConferenceTextKey) => string;

export function pageLang(): Lang {
  return parseLang(document.documentElement.lang);
}

export function pageTranslator(): Translate {
  return conferenceTranslator(pageLang());
}

export function $<T extends HTMLElement = HTMLElement>(selector: string): T {
  const el = document.querySelector<T>(selector);
  if (!el) throw new Error(`page is missing ${selector}`);
  return el;
}

/** Site id → name, for every site of the meeting (rendered into the page by the server). */
export function siteDirectory(): Map<string, string> {
  const raw = document.querySelector<HTMLElement>('#site-directory')?.dataset['sites'] ?? '[]';
  const pairs = JSON.parse(raw) as unknown;
  const map = new Map<string, string>();
  if (Array.isArray(pairs)) for (const p of pairs) if (Array.isArray(p) && typeof p[0] === 'string' && typeof p[1] === 'string') map.set(p[0], p[1]);
  return map;
}

/** The same-origin signaling endpoint. */
export function signalingUrl(): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
}

const PlacementReply = z.object({ nodeId: z.string(), signalingUrl: z.string().regex(/^wss?:\/\/[^\s]+$/) });
const ErrorReply = z.object({ error: z.object({ code: z.string() }) });

/** Every conference server is full (or none runs): the pre-join check says so and offers to check again. */
export class NoNodeError extends Error {
  override readonly name = 'NoNodeError';
}

/** The MeetingClient's `url`: asks for this site's node before every connection. */
export function placedNode(request: { joinToken: string } | { meetingId: string }): () => Promise<string> {
  return async () => {
    const node = await chooseNode(request);
    if (!node.ok) throw new NoNodeError('every conference server is full');
    return node.url;
  };
}

/** Where this page's signaling socket goes, or that every conference server refused it. */
export type NodeChoice = { ok: true; url: string } | { ok: false; code: 'no_node_available' };

/**
 * Asks the API which node this site is placed on (api/nodes/routes.ts). Every node full is the
 * one answer the page shows as such; anything else unexpected (an old server, a failed request)
 * falls back to this page's own server, whose join then says what is wrong.
 */
export async function chooseNode(request: { joinToken: string } | { meetingId: string }): Promise<NodeChoice> {
  const path = 'joinToken' in request ? '/api/join/node' : `/api/meetings/${encodeURIComponent(request.meetingId)}/console/node`;
  try {
    const response = await fetch(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify('joinToken' in request ? { joinToken: request.joinToken } : {}),
      credentials: 'same-origin',
    });
    const body: unknown = await response.json();
    if (response.ok) {
      const placed = PlacementReply.safeParse(body);
      if (placed.success) return { ok: true, url: placed.data.signalingUrl };
    } else if (ErrorReply.safeParse(body).data?.error.code === 'no_node_available') return { ok: false, code: 'no_node_available' };
  } catch (err) {
    console.warn('hoinghi: node placement failed', err);
  }
  return { ok: true, url: signalingUrl() };
}

const statusText: Record<MeetingClientStatus['kind'], ConferenceTextKey> = {
  idle: 'statusIdle',
  connecting: 'statusConnecting',
  connected: 'statusConnected',
  reconnecting: 'statusReconnecting',
  ended: 'statusEnded',
};

/** Keeps the header's status line in step with the client. */
export function bindStatusLine(client: MeetingClient, el: HTMLElement, t: Translate): void {
  const show = (status: MeetingClientStatus) => {
    el.dataset['kind'] = status.kind;
    el.textContent = t(statusText[status.kind]);
  };
  show(client.status);
  client.on('status', show);
}

/** Shows `track` in `video` (or nothing); a no-op if it already shows that track. */
export function showTrack(video: HTMLVideoElement, track: MediaStreamTrack | undefined): void {
  const current = video.srcObject instanceof MediaStream ? video.srcObject.getTracks()[0] : undefined;
  if (current === track) return;
  video.srcObject = track ? new MediaStream([track]) : null;
  if (track) video.play().catch(() => undefined); // autoplay of a muted video is always allowed
}

/** Plays every received audio track through its own hidden <audio> element. */
export class AudioSink {
  readonly #elements = new Map<string, HTMLAudioElement>();
  constructor(private readonly container: HTMLElement) {}

  add(remote: RemoteTrack): void {
    if (remote.kind !== 'audio' || this.#elements.has(remote.consumerId)) return;
    const audio = document.createElement('audio');
    audio.autoplay = true;
    audio.srcObject = new MediaStream([remote.track]);
    this.container.append(audio);
    this.#elements.set(remote.consumerId, audio);
    audio.play().catch(() => undefined); // allowed once the person has clicked to enter
  }

  remove(remote: RemoteTrack): void {
    const audio = this.#elements.get(remote.consumerId);
    if (!audio) return;
    audio.srcObject = null;
    audio.remove();
    this.#elements.delete(remote.consumerId);
  }
}

const endText: Record<EndReason, ConferenceTextKey> = {
  left: 'endedLeft',
  kicked: 'endedKicked',
  revoked: 'endedRevoked',
  expired: 'endedExpired',
  replaced: 'endedReplaced',
  'meeting-ended': 'endedMeeting',
  refused: 'endedRefused',
};

/** Replaces the page's sections with the end panel. */
export function showEnded(reason: EndReason, t: Translate, override?: string): void {
  for (const id of ['#prejoin', '#meeting']) $(id).hidden = true;
  $('#ended-message').textContent = override ?? t(endText[reason]);
  // Joining again makes sense after leaving or a lost link, not after being sent away.
  $('#rejoin-link').hidden = !(reason === 'left' || reason === 'replaced');
  $('#ended').hidden = false;
}

/**
 * `window.__hoinghi`: read-only numbers for support staff and the browser tests (what is
 * received and decoded, transport states, round trip).
 */
export function exposeDiagnostics(client: MeetingClient): void {
  (window as unknown as { __hoinghi: unknown }).__hoinghi = {
    stats: () => client.stats(),
    status: () => client.status,
    info: () => client.info,
  };
}
