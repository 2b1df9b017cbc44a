/**
 * Local devices: the camera and microphone at a chosen quality, a screen to share, and a
 * microphone level meter for the pre-join check.
 */

/** Communes on weak lines pick a lower quality; the camera is still sent in three layers. */
export type VideoQuality = 'low' | 'medium' | 'high';

const videoSizes: Record<VideoQuality, { width: number; height: number; frameRate: number }> = {
  low: { width: 320, height: 180, frameRate: 15 },
  medium: { width: 640, height: 360, frameRate: 20 },
  high: { width: 1280, height: 720, frameRate: 25 },
};

export function parseQuality(value: string | null | undefined, fallback: VideoQuality): VideoQuality {
  return value === 'low' || value === 'medium' || value === 'high' ? value : fallback;
}

export async function openCameraAndMic(
  quality: VideoQuality,
): Promise<{ camera: MediaStreamTrack | undefined; microphone: MediaStreamTrack | undefined; error?: string }> {
  const size = videoSizes[quality];
  const video = { width: { ideal: size.width }, height: { ideal: size.height }, frameRate: { ideal: size.frameRate } };
  const audio = { echoCancellation: true, noiseSuppression: true, autoGainControl: true };
  try {
    const stream = await navigator.mediaDevices.getUserMedia({ video, audio });
    return { camera: stream.getVideoTracks()[0], microphone: stream.getAudioTracks()[0] };
  } catch (err) {
    // One device missing or refused should not keep a commune out: try each on its own.
    const error = err instanceof Error ? err.name : String(err);
    const one = async (c: MediaStreamConstraints) => (await navigator.mediaDevices.getUserMedia(c).catch(() => null))?.getTracks()[0];
    return { camera: await one({ video }), microphone: await one({ audio }), error };
  }
}

export async function openScreen(): Promise<MediaStreamTrack | undefined> {
  const stream = await navigator.mediaDevices.getDisplayMedia({ video: { frameRate: { ideal: 10 } }, audio: false });
  const track = stream.getVideoTracks()[0];
  if (track) track.contentHint = 'detail';
  return track;
}

/** Calls `onLevel` (0..1) about ten times a second until the returned stop() is called. */
export function meterLevel(track: MediaStreamTrack, onLevel: (level: number) => void): () => void {
  const context = new AudioContext();
  // Chromium starts an AudioContext suspended until the person interacts with the page.
  if (context.state === 'suspended') document.addEventListener('pointerdown', () => void context.resume(), { once: true });
  const source = context.createMediaStreamSource(new MediaStream([track]));
  const analyser = context.createAnalyser();
  analyser.fftSize = 512;
  source.connect(analyser);
  const samples = new Float32Array(analyser.fftSize);
  const timer = setInterval(() => {
    analyser.getFloatTimeDomainData(samples);
    let sum = 0;
    for (const v of samples) sum += v * v;
    // RMS on a rough log scale: speech at arm's length lands around the middle.
    const rms = Math.sqrt(sum / samples.length);
    onLevel(Math.max(0, Math.min(1, (20 * Math.log10(rms + 1e-9) + 60) / 60)));
  }, 100);
  return () => {
    clearInterval(timer);
    source.disconnect();
    void context.close();
  };
}
