/**
 * The device check page (/ready/<token>/check): a rehearsal before the meeting.
 *
 * It opens the camera and microphone like the pre-join check (web/conference/browser/media.ts),
 * then rehearses against the real SFU with the site's readiness token (`rehearse` in
 * sfu/protocol.ts): a send transport through the meeting's ports, the camera and microphone
 * sent for a few seconds, the round trip measured with pings meanwhile and the loss read from
 * what the SFU says it received. The rehearsal enters no meeting room: nobody sees it and it
 * is not attendance. The result goes to the secretariat through the API with the same token.
 */
import { Device, type types } from 'mediasoup-client';
import type { RequestData } from '../../../sfu/protocol.ts';
import { meterLevel, openCameraAndMic } from '../../conference/browser/media.ts';
import { SignalingClient } from '../../conference/browser/signaling.ts';
import { $, pageLang, showTrack, signalingUrl } from '../../conference/browser/ui.ts';
import { deviceCheckTranslator } from '../device-check-texts.ts';

const t = deviceCheckTranslator(pageLang());
const meetingId = $('#device-check').dataset['meetingId'] ?? '';
// /ready/<token>/check: the token goes to the server only inside the `rehearse` message and the check's body.
const segments = location.pathname.split('/').filter(Boolean);
const token = decodeURIComponent(segments[segments.length - 2] ?? '');

/** How long media is sent; the SFU ends a rehearsal after a minute whatever happens. */
const MEASURE_MS = 5_000;
const CONNECT_TIMEOUT_MS = 15_000;
/** Above these the line is worth a warning (the pre-join check's threshold for the round trip). */
const SLOW_RTT_MS = 400;
const LOSSY_PERCENT = 5;

type CheckState = 'pending' | 'ok' | 'warn' | 'failed';

function setCheck(id: string, state: CheckState, text: string): void {
  const li = $(id);
  li.dataset['state'] = state;
  li.querySelector('.result')!.textContent = text;
}

/** "Chrome 131 · Linux": enough for the secretariat to know what the site used. */
function browserSummary(): string {
  const ua = navigator.userAgent;
  const match = /(Edg|OPR|Firefox|Chromium|Chrome|CriOS)\/(\d+)/.exec(ua) ?? /Version\/(\d+).*(Safari)/.exec(ua);
  const names: Record<string, string> = { Edg: 'Edge', OPR: 'Opera', CriOS: 'Chrome' };
  const browser = match ? (match[2] === 'Safari' ? `Safari ${match[1]}` : `${names[match[1]!] ?? match[1]} ${match[2]}`) : 'Trình duyệt khác';
  const os = /Windows/.test(ua)
    ? 'Windows'
    : /Android/.test(ua)
      ? 'Android'
      : /iPhone|iPad/.test(ua)
        ? 'iOS'
        : /Mac OS/.test(ua)
          ? 'macOS'
          : /Linux/.test(ua)
            ? 'Linux'
            : '';
  return os ? `${browser} · ${os}` : browser;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function connected(transport: types.Transport, timeoutMs: number): Promise<boolean> {
  if (transport.connectionState === 'connected') return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(transport.connectionState === 'connected'), timeoutMs);
    transport.on('connectionstatechange', (state) => {
      if (state === 'connected' || state === 'failed') {
        clearTimeout(timer);
        resolve(state === 'connected');
      }
    });
  });
}

interface LineResult {
  rttMs: number;
  lossPercent: number;
}

/** The rehearsal: null when the SFU could not be reached (or the media did not get through). */
async function rehearse(tracks: MediaStreamTrack[]): Promise<LineResult | null> {
  const signaling = await SignalingClient.connect(signalingUrl(), { onNotification: () => undefined, onClose: () => undefined });
  let transport: types.Transport | undefined;
  try {
    const started = await signaling.request('rehearse', { readinessToken: token });
    const device = await Device.factory();
    await device.load({ routerRtpCapabilities: started.routerRtpCapabilities as types.RtpCapabilities });
    const options = await signaling.request('createTransport', { direction: 'send' });
    const send = device.createSendTransport({
      id: options.transportId,
      iceParameters: options.iceParameters as types.IceParameters,
      iceCandidates: options.iceCandidates as types.IceCandidate[],
      dtlsParameters: options.dtlsParameters as types.DtlsParameters,
      ...(started.iceServers.length > 0 ? { iceServers: started.iceServers } : {}),
    });
    transport = send;
    send.on('connect', ({ dtlsParameters }, callback, errback) => {
      signaling
        .request('connectTransport', { transportId: send.id, dtlsParameters: dtlsParameters as RequestData<'connectTransport'>['dtlsParameters'] })
        .then(() => callback(), errback);
    });
    send.on('produce', ({ kind, rtpParameters, appData }, callback, errback) => {
      signaling
        .request('produce', {
          transportId: send.id,
          kind,
          source: appData['source'] as 'camera' | 'microphone',
          rtpParameters: rtpParameters as RequestData<'produce'>['rtpParameters'],
        })
        .then(({ producerId }) => callback({ id: producerId }), errback);
    });
    // Without devices there is nothing to send: the round trip alone says whether the server is reachable.
    for (const track of tracks) {
      await send.produce({ track, stopTracks: false, appData: { source: track.kind === 'video' ? 'camera' : 'microphone' } });
    }
    if (tracks.length > 0 && !(await connected(send, CONNECT_TIMEOUT_MS))) return null;
    const rtts: number[] = [];
    const until = performance.now() + MEASURE_MS;
    while (performance.now() < until) {
      rtts.push(await signaling.measureRtt());
      await sleep(500);
    }
    const stats = await signaling.request('rehearsalStats', {});
    // Media that never arrived is a line that does not carry the meeting.
    if (tracks.length > 0 && stats.packetsReceived === 0) return null;
    return { rttMs: Math.round(stats.rttMs ?? median(rtts)), lossPercent: Math.round(stats.lossPercent * 10) / 10 };
  } finally {
    transport?.close();
    if (signaling.open) await signaling.request('leave', {}, 2000).catch(() => undefined);
    signaling.close();
  }
}

async function save(result: { cameraOk: boolean; micOk: boolean; line: LineResult | null }): Promise<boolean> {
  const response = await fetch(`/api/meetings/${meetingId}/device-checks`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      token,
      browser: browserSummary(),
      cameraOk: result.cameraOk,
      micOk: result.micOk,
      rttMs: result.line?.rttMs ?? null,
      lossPercent: result.line?.lossPercent ?? null,
    }),
  }).catch(() => null);
  return response?.ok ?? false;
}

const preview = $<HTMLVideoElement>('#preview');
const level = $<HTMLMeterElement>('#mic-level');
const recheck = $<HTMLButtonElement>('#recheck');
const saved = $('#check-saved');
let stopMeter: (() => void) | undefined;
let open: MediaStreamTrack[] = [];

async function run(): Promise<void> {
  recheck.disabled = true;
  saved.hidden = true;
  stopMeter?.();
  for (const track of open) track.stop();
  setCheck('#check-camera', 'pending', t('checking'));
  setCheck('#check-mic', 'pending', t('checking'));
  setCheck('#check-network', 'pending', t('checking'));

  const { camera, microphone } = await openCameraAndMic('medium');
  open = [camera, microphone].filter((x) => x !== undefined);
  showTrack(preview, camera);
  setCheck('#check-camera', camera ? 'ok' : 'failed', t(camera ? 'cameraOk' : 'cameraMissing'));
  setCheck('#check-mic', microphone ? 'ok' : 'failed', t(microphone ? 'micOk' : 'micMissing'));
  if (microphone) stopMeter = meterLevel(microphone, (v) => (level.value = v));

  const line = await rehearse(open).catch((err: unknown) => {
    console.warn('hoinghi:', err);
    return null;
  });
  if (line) {
    const slow = line.rttMs > SLOW_RTT_MS || line.lossPercent > LOSSY_PERCENT;
    const figures = `${t('roundTrip')} ${line.rttMs} ms · ${t('loss')} ${new Intl.NumberFormat(pageLang() === 'vi' ? 'vi-VN' : 'en-GB', { maximumFractionDigits: 1 }).format(line.lossPercent)}%`;
    setCheck('#check-network', slow ? 'warn' : 'ok', `${t(slow ? 'lineSlow' : 'lineGood')} (${figures})`);
    $('#check-network').dataset['rttMs'] = String(line.rttMs);
  } else setCheck('#check-network', 'failed', t('lineFailed'));

  const ok = await save({ cameraOk: camera !== undefined, micOk: microphone !== undefined, line });
  saved.textContent = t(ok ? 'resultSaved' : 'resultNotSaved');
  saved.dataset['saved'] = String(ok);
  saved.hidden = false;
  recheck.disabled = false;
}

recheck.addEventListener('click', () => void run());
// The camera light goes out with the page.
window.addEventListener('pagehide', () => {
  for (const track of open) track.stop();
});
void run();
