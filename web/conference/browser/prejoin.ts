/**
 * The pre-join check, shared by the commune's page and the host console: camera preview,
 * microphone level, and a connection test (join the meeting, set up the transports, measure
 * the round trip) before anyone sees or hears this site. Resolves with the tracks to publish
 * when the person presses the enter button.
 */
import { openCameraAndMic, meterLevel, parseQuality, type VideoQuality } from './media.ts';
import { RequestError } from './signaling.ts';
import type { MeetingClient } from './meeting-client.ts';
import { $, NoNodeError, showTrack, type Translate } from './ui.ts';

export interface LocalTracks {
  camera?: MediaStreamTrack;
  microphone?: MediaStreamTrack;
}

/** A round trip above this is worth a warning (video will stutter). */
const SLOW_RTT_MS = 400;

type CheckState = 'pending' | 'ok' | 'warn' | 'failed';

function setCheck(id: string, state: CheckState, text: string): void {
  const li = $(id);
  li.dataset['state'] = state;
  li.querySelector('.result')!.textContent = text;
}

export function runPreJoin(client: MeetingClient, t: Translate, initialQuality: string): Promise<LocalTracks> {
  const preview = $<HTMLVideoElement>('#preview');
  const level = $<HTMLMeterElement>('#mic-level');
  const enter = $<HTMLButtonElement>('#enter');
  const recheck = $<HTMLButtonElement>('#recheck');
  const qualitySelect = $<HTMLSelectElement>('#quality');
  qualitySelect.value = parseQuality(initialQuality, 'medium');

  let tracks: LocalTracks = {};
  let stopMeter: (() => void) | undefined;
  let networkOk = false;
  let refused = false;

  const closeDevices = () => {
    stopMeter?.();
    stopMeter = undefined;
    tracks.camera?.stop();
    tracks.microphone?.stop();
    tracks = {};
  };

  const checkDevices = async () => {
    closeDevices();
    setCheck('#check-camera', 'pending', t('checking'));
    setCheck('#check-mic', 'pending', t('checking'));
    const opened = await openCameraAndMic(qualitySelect.value as VideoQuality);
    tracks = { ...(opened.camera ? { camera: opened.camera } : {}), ...(opened.microphone ? { microphone: opened.microphone } : {}) };
    showTrack(preview, tracks.camera);
    if (tracks.camera) {
      const { width, height } = tracks.camera.getSettings();
      setCheck('#check-camera', 'ok', `${t('cameraOk')}${width && height ? ` (${width}×${height})` : ''}`);
    } else setCheck('#check-camera', 'failed', t('cameraMissing'));
    if (tracks.microphone) {
      setCheck('#check-mic', 'ok', t('micOk'));
      stopMeter = meterLevel(tracks.microphone, (v) => (level.value = v));
    } else setCheck('#check-mic', 'failed', t('micMissing'));
  };

  const checkNetwork = async () => {
    networkOk = false;
    setCheck('#check-network', 'pending', t('checking'));
    try {
      if (client.status.kind === 'idle') await client.connect();
      const rtt = Math.round(await client.measureRtt());
      networkOk = true;
      const slow = rtt > SLOW_RTT_MS;
      setCheck('#check-network', slow ? 'warn' : 'ok', `${t(slow ? 'networkSlow' : 'networkOk')} (${t('roundTrip')} ${rtt} ms)`);
    } catch (err) {
      refused = err instanceof RequestError && (err.code === 'unauthorized' || err.code === 'forbidden');
      const full = err instanceof RequestError && err.code === 'capacity';
      const noNode = err instanceof NoNodeError;
      const consoleOpen = err instanceof RequestError && err.code === 'console-open';
      $('#take-over').hidden = !consoleOpen;
      setCheck(
        '#check-network',
        'failed',
        t(refused ? 'tokenRefused' : full ? 'serverFull' : noNode ? 'noNodeAvailable' : consoleOpen ? 'consoleOpen' : 'networkFailed'),
      );
    }
  };

  const checkAll = async () => {
    enter.disabled = true;
    recheck.disabled = true;
    await Promise.all([checkDevices(), checkNetwork()]);
    // A site with a broken camera may still follow the meeting; without the server it cannot.
    enter.disabled = !networkOk;
    recheck.disabled = refused;
  };

  qualitySelect.addEventListener('change', () => void checkDevices());
  // Another console of this meeting is open: only an explicit click replaces it.
  $('#take-over-confirm').addEventListener('click', () => {
    $('#take-over').hidden = true;
    client.allowTakeOver();
    void checkNetwork().then(() => (enter.disabled = !networkOk));
  });
  recheck.addEventListener('click', () => void checkAll());
  void checkAll();

  return new Promise((resolve) => {
    enter.addEventListener('click', () => {
      if (!networkOk) return;
      enter.disabled = true;
      stopMeter?.();
      stopMeter = undefined;
      showTrack(preview, undefined);
      resolve(tracks);
    });
  });
}
