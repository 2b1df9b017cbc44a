/**
 * The API load harness shared by `npm run bench:api` and the load smoke test: the app with the
 * real SFU on loopback (PGlite), meetings and join links to load it with, the bare baselines
 * (a node:http handler and a ws server answering `join` at once), and the load generator run
 * in a child process (tests/bench/load-client.ts) so that it never shares the server's CPU time
 * slice with the code under test.
 */
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { WebSocketServer } from 'ws';
import type { Driver } from '../support/database.ts';
import { startLiveTestServer, type LiveTestServer } from '../support/live.ts';
import type { HttpLoadResult, JoinStormResult, LoadJob } from './load-client.ts';

const CLIENT = fileURLToPath(new URL('./load-client.ts', import.meta.url));

export function runLoad(job: Extract<LoadJob, { kind: 'http' }>): Promise<HttpLoadResult>;
export function runLoad(job: Extract<LoadJob, { kind: 'join' }>): Promise<JoinStormResult>;
export function runLoad(job: LoadJob): Promise<HttpLoadResult | JoinStormResult> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', CLIENT, JSON.stringify(job)], { maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`load client failed: ${error.message}\n${stderr}`));
      resolve(JSON.parse(stdout.trim().split('\n').at(-1)!));
    });
  });
}

export interface LoadTarget {
  live: LiveTestServer;
  url: string;
  /** Header value of a signed-in leader's session. */
  cookie: string;
  /** The meeting the join storm joins (every commune of the seeded provinces, up to `sites`). */
  meetingId: string;
  joinTokens: string[];
  close(): Promise<void>;
}

/**
 * The app on a free port with the real SFU, seeded with `provinces`, a day of ordinary meetings
 * to list, and one meeting of `sites` communes with a join link each.
 */
export async function startLoadTarget(options: { provinces: string[]; sites: number; driver?: Driver }): Promise<LoadTarget> {
  const live = await startLiveTestServer(options.driver ?? 'pglite', { provinces: options.provinces });
  const { t } = live;
  const all = (await t.request('GET', '/api/sites?kind=commune&limit=5000', { cookie: t.cookies.secretariat })).body.sites as { id: string }[];
  const hall = (await t.request('GET', '/api/sites?kind=hall', { cookie: t.cookies.secretariat })).body.sites[0].id as string;
  if (all.length < options.sites) throw new Error(`only ${all.length} communes in provinces ${options.provinces.join(', ')}; need ${options.sites}`);
  const schedule = async (title: string, siteIds: string[], startsInMinutes: number) => {
    const startsAt = new Date(Date.now() + startsInMinutes * 60_000);
    const response = await t.request('POST', '/api/meetings', {
      cookie: t.cookies.secretariat,
      body: {
        title,
        hostSiteId: hall,
        startsAt: startsAt.toISOString(),
        endsAt: new Date(startsAt.getTime() + 2 * 3600_000).toISOString(),
        siteIds,
        allowConflicts: true,
      },
    });
    if (response.status !== 201) throw new Error(`scheduling failed: ${JSON.stringify(response.body)}`);
    return response.body as { id: string; endsAt: string };
  };
  for (let i = 0; i < 20; i++)
    await schedule(
      `Giao ban chuyên đề ${i + 1}`,
      all.slice((i * 5) % (all.length - 5), ((i * 5) % (all.length - 5)) + 5).map((s) => s.id),
      60 * (i + 2),
    );
  const storm = await schedule(
    'Hội nghị trực tuyến toàn tỉnh',
    all.slice(0, options.sites).map((s) => s.id),
    1,
  );
  const joinTokens = [];
  for (const site of all.slice(0, options.sites)) joinTokens.push((await live.joinLink(storm.id, site.id, new Date(storm.endsAt))).split('/join/')[1]!);
  return { live, url: live.url, cookie: t.cookies.leader, meetingId: storm.id, joinTokens, close: () => live.close() };
}

export interface Baseline {
  url: string;
  close(): Promise<void>;
}

/**
 * The floor: a bare node:http handler answering a small JSON body, and on /ws a bare ws server
 * that answers every `join` at once. Whatever the app costs above these is ours.
 */
export async function startBaseline(): Promise<Baseline> {
  const body = JSON.stringify({ meetings: [] });
  const server: Server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  const wss = new WebSocketServer({ server, path: '/ws' });
  wss.on('connection', (ws) =>
    ws.on('message', (raw) => {
      const frame = JSON.parse(String(raw)) as { id: number };
      ws.send(JSON.stringify({ type: 'response', id: frame.id, ok: true, data: {} }));
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The read endpoints under load, as paths on a target. */
export function readEndpoints(target: LoadTarget): { name: string; path: string }[] {
  return [
    { name: 'GET /api/meetings', path: '/api/meetings' },
    { name: 'GET /api/meetings/:id', path: `/api/meetings/${target.meetingId}` },
    { name: 'GET /api/units?level=province', path: '/api/units?level=province' },
  ];
}
