/**
 * The load generator, run as a child process so that it does not share the server's event loop
 * (tests/bench/api-load.ts starts it). Reads one JSON job from argv[2], prints one JSON result:
 *  - { kind: 'http', url, connections, durationSeconds, headers }: autocannon on one URL;
 *  - { kind: 'join', url, tokens, windowMs }: one WebSocket per token, opened evenly over the
 *    window, each sending the signaling `join` and timing until its reply.
 */
import autocannon from 'autocannon';
import WebSocket from 'ws';

export type LoadJob =
  | { kind: 'http'; url: string; connections: number; durationSeconds: number; timeoutSeconds: number; headers: Record<string, string> }
  | { kind: 'join'; url: string; origin: string; tokens: string[]; windowMs: number; timeoutMs: number };

export interface HttpLoadResult {
  requests: number;
  p50: number;
  p99: number;
  max: number;
  /** Requests per second, mean over the run. */
  rps: number;
  errors: number;
  timeouts: number;
  non2xx: number;
}

export interface JoinStormResult {
  sites: number;
  joined: number;
  errors: string[];
  /** Connect + join reply, per site, in ms. */
  latencies: number[];
  /** From the first connect to the last reply. */
  elapsedMs: number;
}

async function http(job: Extract<LoadJob, { kind: 'http' }>): Promise<HttpLoadResult> {
  const result = await autocannon({
    url: job.url,
    connections: job.connections,
    duration: job.durationSeconds,
    timeout: job.timeoutSeconds,
    headers: job.headers,
  });
  return {
    requests: result.requests.total,
    p50: result.latency.p50,
    p99: result.latency.p99,
    max: result.latency.max,
    rps: result.requests.average,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
  };
}

function joinOne(url: string, origin: string, token: string, timeoutMs: number): Promise<{ ms: number; socket: WebSocket }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/ws`, { headers: { origin } });
    const timer = setTimeout(() => reject(new Error('no join reply in time')), timeoutMs);
    ws.once('error', (err) => reject(err));
    ws.once('close', (code) => reject(new Error(`closed with ${code} before joining`)));
    ws.once('open', () => ws.send(JSON.stringify({ id: 1, type: 'join', data: { joinToken: token } })));
    ws.on('message', (raw) => {
      const frame = JSON.parse(String(raw)) as { type: string; id?: number; ok?: boolean; error?: { code: string; message: string } };
      if (frame.type !== 'response' || frame.id !== 1) return; // notifications about the other sites
      clearTimeout(timer);
      if (frame.ok) resolve({ ms: performance.now() - started, socket: ws });
      else reject(new Error(`${frame.error?.code}: ${frame.error?.message}`));
    });
  });
}

async function joinStorm(job: Extract<LoadJob, { kind: 'join' }>): Promise<JoinStormResult> {
  const started = performance.now();
  const gap = job.tokens.length > 1 ? job.windowMs / (job.tokens.length - 1) : 0;
  const outcomes = await Promise.allSettled(
    job.tokens.map(async (token, i) => {
      await new Promise((resolve) => setTimeout(resolve, i * gap));
      return joinOne(job.url, job.origin, token, job.timeoutMs);
    }),
  );
  const elapsedMs = performance.now() - started;
  const latencies: number[] = [];
  const errors: string[] = [];
  for (const outcome of outcomes) {
    if (outcome.status === 'fulfilled') latencies.push(outcome.value.ms);
    else errors.push(String((outcome.reason as Error).message ?? outcome.reason));
  }
  // Leave together, once everyone has joined (the storm is about joining, not leaving).
  for (const outcome of outcomes) if (outcome.status === 'fulfilled') outcome.value.socket.close(1000);
  return { sites: job.tokens.length, joined: latencies.length, errors, latencies, elapsedMs };
}

const job = JSON.parse(process.argv[2] ?? '{}') as LoadJob;
const result = job.kind === 'http' ? await http(job) : await joinStorm(job);
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
