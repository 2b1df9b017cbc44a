/**
 * `npm run bench:national`: a national meeting (`unitCodes: ["VN"]`, every province hall and
 * commune, the Government hall hosting) carried by K node processes on this machine — the main
 * server (pages, API, and the origin node where the host's console is placed) and media nodes
 * (`SERVER_ROLE=media`) — against one throwaway PostgreSQL, provinces mapped round-robin to the
 * edges. Then the same meeting on the main server alone, for comparison.
 *
 * Every site is placed through the API (`/api/join/node`) and joins with its own join token over
 * a real WebSocket, opens a receive transport and sends its RTP capabilities, as a page does
 * before media flows; ICE/DTLS are completed for a sample only (one `openssl` per handshake does
 * not fit 3,355 on two cores); no RTP flows. The host's console publishes a microphone and a
 * simulcast camera.
 *
 * Printed, never asserted (with the load average, as the machine is shared):
 *  - the time until every site has joined and been given the host's camera and microphone;
 *  - control-plane CPU per join: CPU time of the node processes (/proc/<pid>/stat, utime +
 *    stime; their mediasoup workers apart) over a stretch, divided by the joins in it — for
 *    the stretches to 100, 1,000 and every site, and for the last 100 joins before each;
 *  - the time from `giveFloor` (to a commune on the first edge) until every other site has a
 *    consumer for the floor holder's microphone;
 *  - resident memory per site, per node (its mediasoup worker, and the node process, whose
 *    figure moves with its garbage collector);
 *  - what crossed to each edge, measured from outside: the distinct producers of other nodes'
 *    sites that the edge's sites were given consumers of (piped producers keep their ids),
 *    against what the edge needs (the host's two, and the floor holder's two when the floor is
 *    on another node).
 *
 * Knobs: NATIONAL_EDGES (4), NATIONAL_SITES (every site of the meeting, 3,355),
 * NATIONAL_SINGLE_SITES (as many; 0 skips the single-process run), NATIONAL_JOINS_IN_FLIGHT (8),
 * NATIONAL_DTLS_SAMPLE (12).
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { openTestDatabase } from '../support/database.ts';
import { createDtlsIdentity, MediaLine } from '../support/media-line.ts';
import { mintJoinTokens, NodeCluster } from '../support/node-cluster.ts';
import { startPostgresServer } from '../support/postgres-server.ts';
import { inBatches } from '../support/synthetic-site.ts';
import { opusParameters, vp8SimulcastParameters } from '../../sfu/test-fixtures.ts';
import { childPids, printTable, processCpuMs, processRssKib } from './measure.ts';
import { NationalSite, type Given } from './national-site.ts';

const knob = (name: string, fallback: number) => {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a whole number ≥ 0, not ${raw}`);
  return value;
};
const EDGES = knob('NATIONAL_EDGES', 4);
const SITES = knob('NATIONAL_SITES', Number.MAX_SAFE_INTEGER);
const SINGLE_SITES = knob('NATIONAL_SINGLE_SITES', SITES);
const JOINS_IN_FLIGHT = Math.max(1, knob('NATIONAL_JOINS_IN_FLIGHT', 8));
const DTLS_SAMPLE = knob('NATIONAL_DTLS_SAMPLE', 12);
const QUIET_TIMEOUT_MS = 300_000;

const NODE_ENV = {
  SFU_WORKERS: '1',
  SFU_LOG_LEVEL: 'warn',
  SFU_CASCADE_POLL_MS: '1000',
  // every site comes from 127.0.0.1 here
  SFU_WS_MAX_CONNECTIONS: '8000',
  SFU_WS_MAX_CONNECTIONS_PER_ADDRESS: '8000',
};

const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
const kib = (n: number) => `${(n / 1024).toFixed(1)} MiB`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A fixed shuffle, so a reduced run takes sites of every province, the same ones each time. */
function shuffled<T>(items: T[]): T[] {
  const out = [...items];
  let seed = 20_251_202;
  for (let i = out.length - 1; i > 0; i--) {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    const j = seed % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

interface NodeFigures {
  nodeId: string;
  sites: number;
  rssBefore: number;
  rssAfter: number;
  workerRssBefore: number;
  workerRssAfter: number;
}

interface Stretch {
  label: string;
  joins: number;
  nodeCpuMs: number;
  workerCpuMs: number;
  wallMs: number;
  load: string;
}

interface RunFigures {
  nodes: number;
  sites: number;
  joinedMs: number;
  stretches: Stretch[];
  floorMs: number;
  /** When the last site of each node was given the floor holder's microphone / camera, ms after giveFloor. */
  floorByNode: { nodeId: string; sites: number; firstMs: number; microphoneMs: number; cameraMs: number; cameras: number }[];
  floorSites: number;
  floorEdge: string;
  memory: NodeFigures[];
  piped: { nodeId: string; sites: number; before: number; after: number; needBefore: number; needAfter: number }[];
  dtls: { tried: number; connected: number };
  loadAtEnd: string;
  /** Warnings and errors the nodes logged during the run, by message. */
  warnings: { nodeId: string; msg: string; count: number }[];
}

async function run(edges: number, wantedSites: number, secret: string): Promise<RunFigures> {
  const db = await openTestDatabase('postgres');
  const cluster = await NodeCluster.start({
    databaseUrl: db.url!,
    secret,
    env: NODE_ENV,
    // more room than an edge: the host hall belongs to no province and goes where there is the most room
    mainEnv: { SFU_MAX_SITES: '6000' },
  });
  const sites: NationalSite[] = [];
  const lines: MediaLine[] = [];
  const identity = DTLS_SAMPLE > 0 ? createDtlsIdentity() : undefined;
  try {
    const edgeIds = Array.from({ length: edges }, (_, i) => `edge-${i + 1}`);
    for (const id of edgeIds) await cluster.startNode(id, { SFU_MAX_SITES: '5000' });
    const provinces = (await cluster.api('GET', '/api/units?level=province')).body.units as { code: string }[];
    if (edges > 0) for (const [i, p] of provinces.entries()) await cluster.mapProvince(p.code, edgeIds[i % edges]!);
    const hall = (await cluster.api('GET', '/api/sites?kind=hall&q=Chính phủ')).body.sites[0] as { id: string };
    const startsAt = new Date(Date.now() + 2 * 60_000);
    const created = await cluster.api('POST', '/api/meetings', {
      title: 'Hội nghị trực tuyến toàn quốc',
      hostSiteId: hall.id,
      startsAt: startsAt.toISOString(),
      endsAt: new Date(startsAt.getTime() + 3 * 3_600_000).toISOString(),
      unitCodes: ['VN'],
      allowConflicts: true,
    });
    if (created.status !== 201) throw new Error(`scheduling: ${created.status} ${JSON.stringify(created.body)}`);
    const meetingId = created.body.id as string;
    const allTokens = await mintJoinTokens(db.db, meetingId, hall.id, new Date(Date.now() + 4 * 3_600_000));
    const tokens = shuffled(allTokens).slice(0, wantedSites);
    const total = tokens.length;
    process.stdout.write(`  ${1 + edges} node(s); meeting of ${allTokens.length} sites + the host hall; joining ${total}; load ${load()}\n`);

    const host = await cluster.joinConsole(meetingId);
    if (host.nodeId !== 'main') throw new Error(`the host's console was placed on ${host.nodeId}, not main`);

    const pids = () => [...cluster.nodes].map(([nodeId, node]) => ({ nodeId, pid: node.child.pid!, workers: childPids(node.child.pid!) }));
    const rss = () => new Map(pids().map((p) => [p.nodeId, { node: processRssKib(p.pid), workers: p.workers.reduce((s, w) => s + processRssKib(w), 0) }]));
    const cpu = () =>
      pids().reduce((sum, p) => ({ node: sum.node + processCpuMs(p.pid), workers: sum.workers + p.workers.reduce((s, w) => s + processCpuMs(w), 0) }), {
        node: 0,
        workers: 0,
      });
    const rssBefore = rss();

    // What the sites were given, counted as it arrives (the host's media, then the floor's).
    let withHost = 0;
    const hostCount = new Map<NationalSite, number>();
    let floorMicrophone = '';
    let floorCamera = '';
    let floorGiven = 0;
    let floorLastAt = 0;
    let floorCameraGiven = 0;
    const floorLast = new Map<string, { first: number; microphone: number; camera: number; cameras: number }>();
    const onGiven = (site: NationalSite, given: Given) => {
      if (given.siteId === host.siteId) {
        const n = (hostCount.get(site) ?? 0) + 1;
        hostCount.set(site, n);
        if (n === 2) withHost++;
      }
      if (given.producerId === floorMicrophone || given.producerId === floorCamera) {
        const last = floorLast.get(site.nodeId) ?? { first: given.at, microphone: 0, camera: 0, cameras: 0 };
        floorLast.set(site.nodeId, last);
        if (given.producerId === floorMicrophone) {
          floorGiven++;
          floorLastAt = Math.max(floorLastAt, given.at);
          last.microphone = Math.max(last.microphone, given.at);
        } else {
          floorCameraGiven++;
          last.cameras++;
          last.camera = Math.max(last.camera, given.at);
        }
      }
    };
    const online = new Set<string>();
    let hostNotesRead = 0;
    const hostSawOnline = () => {
      const notes = host.c.notes;
      for (; hostNotesRead < notes.length; hostNotesRead++) {
        const n = notes[hostNotesRead]!;
        if (n.type === 'siteState' && n.data.online) online.add(n.data.siteId);
      }
      // the host's own console shows in no count
      return online.size;
    };
    /** Every joined site has the host's camera and microphone, and the host has seen it online. */
    const quiet = async (joined: number) => {
      const deadline = Date.now() + QUIET_TIMEOUT_MS;
      while (withHost < joined || hostSawOnline() < joined) {
        if (Date.now() > deadline) throw new Error(`after ${joined} joins: ${withHost} sites have the host's media, the host saw ${online.size} online`);
        await sleep(20);
      }
    };

    const sampleEvery = DTLS_SAMPLE > 0 ? Math.max(1, Math.floor(total / DTLS_SAMPLE)) : 0;
    let dtlsTried = 0;
    const join = async ({ token }: { token: string }, index: number) => {
      const placed = await cluster.placeSite(token);
      if (placed.status !== 200) throw new Error(`placement refused: ${placed.status} ${JSON.stringify(placed.body)}`);
      const { site, recv } = await NationalSite.join(placed.body, cluster.main.url, token, onGiven);
      sites.push(site);
      if (identity && sampleEvery && index % sampleEvery === 0 && dtlsTried < DTLS_SAMPLE) {
        dtlsTried++;
        await site.ok('connectTransport', { transportId: recv.transportId, dtlsParameters: identity.dtlsParameters });
        lines.push(await MediaLine.open(recv, identity));
      }
    };

    const marks = [...new Set([0, 100, 900, 1000, total - 100, total].filter((m) => m >= 0 && m <= total))].sort((a, b) => a - b);
    const at = new Map<number, { cpu: { node: number; workers: number }; t: number; load: string }>();
    at.set(0, { cpu: cpu(), t: Date.now(), load: load() });
    const joinStart = Date.now();
    for (let m = 1; m < marks.length; m++) {
      const from = marks[m - 1]!;
      const to = marks[m]!;
      await inBatches(tokens.slice(from, to), JOINS_IN_FLIGHT, (t, i) => join(t, from + i));
      await quiet(to);
      at.set(to, { cpu: cpu(), t: Date.now(), load: load() });
      process.stdout.write(`  … ${to} joined, ${((Date.now() - joinStart) / 1000).toFixed(1)} s, load ${load()}\n`);
    }
    const joinedMs = Date.now() - joinStart;
    const stretch = (label: string, from: number, to: number): Stretch | undefined => {
      const a = at.get(from);
      const b = at.get(to);
      if (!a || !b || to <= from) return undefined;
      return { label, joins: to - from, nodeCpuMs: b.cpu.node - a.cpu.node, workerCpuMs: b.cpu.workers - a.cpu.workers, wallMs: b.t - a.t, load: b.load };
    };
    const stretches = [
      stretch(`0 → ${Math.min(100, total)}`, 0, Math.min(100, total)),
      stretch('100 → 1,000', 100, 1000),
      stretch(`1,000 → ${total}`, 1000, total),
      stretch('900 → 1,000 (last 100)', 900, 1000),
      stretch(`${total - 100} → ${total} (last 100)`, total - 100, total),
    ].filter((s): s is Stretch => s !== undefined);

    const dtlsConnected = (await Promise.allSettled(lines.map((l) => l.connected))).filter((r) => r.status === 'fulfilled').length;
    const rssAfter = rss();

    // What crossed to each node, seen from its sites: producers of other nodes' sites.
    const nodeOf = new Map<string, string>([[host.siteId, host.nodeId]]);
    for (const s of sites) nodeOf.set(s.siteId, s.nodeId);
    const crossed = () => {
      const by = new Map<string, Set<string>>();
      for (const s of sites) {
        const set = by.get(s.nodeId) ?? new Set<string>();
        by.set(s.nodeId, set);
        for (const g of s.given.values()) if (nodeOf.get(g.siteId) !== s.nodeId) set.add(g.producerId);
      }
      return by;
    };
    const before = crossed();

    // The floor to a commune of the first edge (or of main, alone): its microphone reaches every other site.
    const floorEdge = edgeIds[0] ?? 'main';
    const speaker = sites.find((s) => s.nodeId === floorEdge)!;
    const send = await speaker.ok('createTransport', { direction: 'send' });
    const microphone = await speaker.ok('produce', { transportId: send.transportId, kind: 'audio', source: 'microphone', rtpParameters: opusParameters(4242) });
    const camera = await speaker.ok('produce', { transportId: send.transportId, kind: 'video', source: 'camera', rtpParameters: vp8SimulcastParameters(5252) });
    await sleep(2000); // the cascade settles (the host's grid may want the new camera)
    floorMicrophone = microphone.producerId;
    floorCamera = camera.producerId;
    const floorAt = Date.now();
    await host.c.ok('giveFloor', { siteId: speaker.siteId });
    const floorDeadline = Date.now() + QUIET_TIMEOUT_MS;
    while (floorGiven < sites.length - 1) {
      if (Date.now() > floorDeadline) throw new Error(`floor: ${floorGiven} of ${sites.length - 1} sites given the microphone`);
      await sleep(10);
    }
    const floorMs = floorLastAt - floorAt;
    // the camera follows the microphone; the count of what crossed waits for it (or says it never came)
    const cameraDeadline = Date.now() + 60_000;
    while (floorCameraGiven < sites.length - 1 && Date.now() < cameraDeadline) await sleep(50);
    const after = crossed();

    const counts = new Map<string, number>();
    for (const s of sites) counts.set(s.nodeId, (counts.get(s.nodeId) ?? 0) + 1);
    const memory = [...cluster.nodes.keys()].map((nodeId) => ({
      nodeId,
      sites: counts.get(nodeId) ?? 0,
      rssBefore: rssBefore.get(nodeId)?.node ?? 0,
      rssAfter: rssAfter.get(nodeId)?.node ?? 0,
      workerRssBefore: rssBefore.get(nodeId)?.workers ?? 0,
      workerRssAfter: rssAfter.get(nodeId)?.workers ?? 0,
    }));
    const piped = edgeIds.map((nodeId) => ({
      nodeId,
      sites: counts.get(nodeId) ?? 0,
      before: before.get(nodeId)?.size ?? 0,
      after: after.get(nodeId)?.size ?? 0,
      // the host's microphone and camera; and the floor holder's two, unless it is here
      needBefore: counts.get(nodeId) ? 2 : 0,
      needAfter: counts.get(nodeId) ? (nodeId === floorEdge ? 2 : 4) : 0,
    }));
    return {
      nodes: 1 + edges,
      sites: total,
      joinedMs,
      stretches,
      floorMs,
      floorByNode: [...floorLast].map(([nodeId, last]) => ({
        nodeId,
        sites: sites.filter((s) => s.nodeId === nodeId && s !== speaker).length,
        firstMs: last.first - floorAt,
        microphoneMs: last.microphone - floorAt,
        cameraMs: last.camera - floorAt,
        cameras: last.cameras,
      })),
      floorSites: sites.length - 1,
      floorEdge,
      memory,
      piped,
      dtls: { tried: lines.length, connected: dtlsConnected },
      loadAtEnd: load(),
      warnings: [...cluster.nodes].flatMap(([nodeId, node]) => {
        const counts = new Map<string, number>();
        for (const l of node.logs) if (typeof l.level === 'number' && l.level >= 40) counts.set(String(l.msg), (counts.get(String(l.msg)) ?? 0) + 1);
        return [...counts].map(([msg, count]) => ({ nodeId, msg, count }));
      }),
    };
  } finally {
    for (const l of lines) l.close();
    for (const s of sites) s.close();
    identity?.dispose();
    await cluster.dispose();
    await db.close();
  }
}

function print(title: string, r: RunFigures): void {
  process.stdout.write(`\n## ${title}: ${r.nodes} node process(es), ${r.sites} sites + the host's console\n`);
  process.stdout.write(
    `All ${r.sites} sites joined (placed, WebSocket, join, receive transport, RTP capabilities, given the host's camera and microphone, seen online by the host) in ${(r.joinedMs / 1000).toFixed(1)} s (${JOINS_IN_FLIGHT} joins in flight).\n`,
  );
  process.stdout.write(
    `ICE/DTLS completed for a sample only: ${r.dtls.connected} of ${r.dtls.tried} receive transports connected (openssl s_client per handshake); the other sites' transports stay 'new'. No RTP flows.\n\n`,
  );
  process.stdout.write('Control-plane CPU per join (node processes, /proc utime+stime; mediasoup workers apart):\n');
  printTable(
    r.stretches.map((s) => ({
      stretch: s.label,
      joins: s.joins,
      'node CPU / join': `${(s.nodeCpuMs / s.joins).toFixed(1)} ms`,
      'worker CPU / join': `${(s.workerCpuMs / s.joins).toFixed(1)} ms`,
      'wall / join': `${(s.wallMs / s.joins).toFixed(1)} ms`,
      'load (1 5 15)': s.load,
    })),
  );
  process.stdout.write(`\nFloor: giveFloor to a site on ${r.floorEdge} → all ${r.floorSites} other sites given its microphone in ${r.floorMs} ms. Per node:\n`);
  printTable(
    r.floorByNode.map((f) => ({
      node: f.nodeId,
      sites: f.sites,
      // how long the floor took to reach the node, and then to go round its sites
      'first consumer after': `${f.firstMs} ms`,
      'last microphone after': `${f.microphoneMs} ms`,
      'last camera after': f.cameras === f.sites ? `${f.cameraMs} ms` : `only ${f.cameras} sites in 60 s`,
    })),
  );
  process.stdout.write('\nMemory (RSS) per node:\n');
  printTable(
    r.memory.map((m) => ({
      node: m.nodeId,
      sites: m.sites,
      'node RSS before → after': `${kib(m.rssBefore)} → ${kib(m.rssAfter)}`,
      'workers RSS before → after': `${kib(m.workerRssBefore)} → ${kib(m.workerRssAfter)}`,
      // A worker's memory is what its transports and consumers hold; a node process's also moves
      // with its garbage collector (startup garbage collected during the run shows as a drop).
      'workers Δ per site here': m.sites ? `${((m.workerRssAfter - m.workerRssBefore) / m.sites).toFixed(1)} KiB` : '–',
      'node Δ per site here (GC-noisy)': m.sites ? `${((m.rssAfter - m.rssBefore) / m.sites).toFixed(1)} KiB` : '–',
      // the origin mirrors every site of the meeting as a remote peer
      'node Δ per site of the meeting': `${((m.rssAfter - m.rssBefore) / r.sites).toFixed(1)} KiB`,
    })),
  );
  if (r.piped.length) {
    process.stdout.write("\nProducers piped to each edge (distinct producers of other nodes' sites its sites were given), against what it needs:\n");
    printTable(
      r.piped.map((p) => ({
        edge: p.nodeId,
        sites: p.sites,
        'before the floor': `${p.before} (needs ${p.needBefore})`,
        'floor on edge': `${p.after} (needs ${p.needAfter})`,
        check: p.before === p.needBefore && p.after === p.needAfter ? 'ok' : 'MISMATCH',
      })),
    );
  }
  process.stdout.write(
    r.warnings.length
      ? `Warnings and errors the nodes logged:\n${r.warnings.map((w) => `  ${w.nodeId}: ${w.msg} ×${w.count}`).join('\n')}\n`
      : 'The nodes logged no warning or error.\n',
  );
  process.stdout.write(`Load average at the end: ${r.loadAtEnd}\n`);
}

const pg = await startPostgresServer();
process.env.TEST_POSTGRES_URL = pg.url;
const secret = randomBytes(24).toString('hex');
try {
  process.stdout.write(`# bench:national — ${os.cpus().length} cores, load ${load()}\n`);
  const cascaded = await run(EDGES, SITES, secret);
  print(`Cascade: main (origin) + ${EDGES} edge(s)`, cascaded);
  if (SINGLE_SITES > 0) {
    const single = await run(0, SINGLE_SITES, secret);
    print(single.sites < cascaded.sites ? `Single process (REDUCED to ${single.sites} sites)` : 'Single process (main alone)', single);
    const perJoin = (r: RunFigures, i: number) => (r.stretches[i] ? (r.stretches[i].nodeCpuMs / r.stretches[i].joins).toFixed(1) : '–');
    process.stdout.write('\n## Side by side\n');
    printTable(
      [cascaded, single].map((r) => ({
        run: `${r.nodes} process(es), ${r.sites} sites`,
        'joined in': `${(r.joinedMs / 1000).toFixed(1)} s`,
        'node CPU/join 0→100': `${perJoin(r, 0)} ms`,
        'node CPU/join last 100': `${perJoin(r, r.stretches.length - 1)} ms`,
        floor: `${r.floorMs} ms`,
      })),
    );
  }
  process.stdout.write(`\nBench process RSS at the end: ${kib(processRssKib(process.pid))}; load ${load()}\n`);
} finally {
  pg.stop();
}
