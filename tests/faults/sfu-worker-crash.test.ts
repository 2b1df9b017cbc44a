/**
 * Fault: a mediasoup worker is killed (SIGKILL) in the middle of a meeting of 50 commune sites
 * and the host hall.
 *
 * The app runs in-process with the real attendance writer on PGlite and two real workers; each site is a
 * real WebSocket that joins with its invitation's join token and brings a send transport to
 * DTLS `connected` (tests/support/media-line.ts), which is what makes the SFU record it present.
 *
 * Proven: the pool handles the death exactly once and has a replacement worker up in the same
 * slot within 2 s; every site on the dead worker is told to rejoin within 1 s; after the sites
 * rejoin, every site's attendance (GET /api/meetings/:id/attendance) shows two intervals with
 * exactly one gap, caused by "server-failure"; every join and leave the sites lived through is a
 * row in attendance_events, and nothing else is.
 * Not proven: media (no RTP flows, so nothing about how long pictures freeze), the browser's own
 * reconnect logic (the test rejoins each site when told to), a machine crash.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloseCode } from '../../sfu/protocol.ts';
import type { WorkerDiedEvent } from '../../sfu/worker-pool.ts';
import { startLiveTestServer, type LiveTestServer } from '../support/live.ts';
import { createDtlsIdentity, type DtlsIdentity } from '../support/media-line.ts';
import { freePort } from '../support/postgres-server.ts';
import { inBatches, SyntheticSite, type Credentials } from '../support/synthetic-site.ts';

const SITES = 50;
/** Hà Nội has more than 50 communes and wards. */
const PROVINCE = '01';

interface Row {
  event_id: string;
  site_id: string;
  kind: string;
  connection_id: string | null;
  cause: string | null;
}

describe(`a mediasoup worker killed during a meeting of ${SITES} sites`, () => {
  let live: LiveTestServer;
  let identity: DtlsIdentity;
  let meetingId: string;
  let hostSiteId: string;
  const credentials = new Map<string, Credentials>();
  const everySite: SyntheticSite[] = [];

  const joinAll = async (): Promise<SyntheticSite[]> => {
    const joined = await inBatches([...credentials.entries()], 8, async ([siteId, c]) => {
      const site = await SyntheticSite.join(live.url, c, identity);
      expect(site.siteId).toBe(siteId);
      everySite.push(site);
      return site;
    });
    return joined;
  };
  const rows = async (): Promise<Row[]> => {
    const result = await live.t.database.db.execute(
      sql`select event_id, site_id::text, kind, connection_id, payload->>'cause' as cause from attendance_events where meeting_id = ${meetingId}`,
    );
    return (result as unknown as { rows: Row[] }).rows;
  };
  const joinsStored = async (n: number) => {
    await expect.poll(async () => (await rows()).filter((r) => r.kind === 'join').length, { timeout: 20_000, interval: 50 }).toBe(n);
  };

  beforeAll(async () => {
    identity = createDtlsIdentity();
    live = await startLiveTestServer('pglite', {
      provinces: [PROVINCE],
      config: {
        SFU_WORKERS: '2',
        SFU_WEBRTC_PORT_BASE: String(await freePort()),
        // No line-quality samples: the rows are then exactly the joins and leaves.
        SFU_QUALITY_INTERVAL_MS: String(3_600_000),
        SFU_LOG_LEVEL: 'silent',
      },
    });
    const all = (await live.t.request('GET', `/api/units/${PROVINCE}/sites`, { cookie: live.t.cookies.secretariat })).body.sites as {
      id: string;
      kind: string;
    }[];
    hostSiteId = all.find((s) => s.kind === 'hall')!.id;
    const communes = all.filter((s) => s.kind === 'commune').slice(0, SITES);
    expect(communes).toHaveLength(SITES);
    // The meeting began a minute ago (within the scheduler's tolerance), so attendance counts now.
    const startsAt = new Date(Date.now() - 60_000);
    const endsAt = new Date(startsAt.getTime() + 2 * 3600_000);
    const created = await live.t.request('POST', '/api/meetings', {
      cookie: live.t.cookies.secretariat,
      body: {
        title: 'Hội nghị trực tuyến toàn tỉnh',
        hostSiteId,
        siteIds: communes.map((c) => c.id),
        startsAt: startsAt.toISOString(),
        endsAt: endsAt.toISOString(),
      },
    });
    expect(created.status).toBe(201);
    meetingId = created.body.id;
    credentials.set(hostSiteId, { cookie: live.t.cookies.secretariat, meetingId });
    for (const c of communes) {
      const link = await live.joinLink(meetingId, c.id, endsAt);
      credentials.set(c.id, { joinToken: link.split('/join/')[1]! });
    }
  });

  afterAll(async () => {
    for (const site of everySite) site.terminate();
    await live?.close();
    identity?.dispose();
  });

  it('replaces the worker once within 2 s, tells every site to rejoin within 1 s, and records one server-failure gap per site', async () => {
    const first = await joinAll();
    await joinsStored(SITES + 1);

    const { sfu } = live.live;
    const room = sfu.signaling.room(meetingId)!;
    // One router: every site is on the worker we kill, so every site is affected.
    expect(room.routers).toHaveLength(1);
    const routerId = room.routers[0]!.id;
    const slots = sfu.pool.slots();
    const dumps = await Promise.all(slots.map(async (s) => ((await s.worker.dump()) as { routerIds: string[] }).routerIds));
    const victim = slots[dumps.findIndex((ids) => ids.includes(routerId))]!;
    const survivor = slots.find((s) => s !== victim)!;
    const survivorPid = survivor.worker.pid;
    const oldPid = victim.worker.pid;

    const died: (WorkerDiedEvent & { at: number })[] = [];
    const off = sfu.pool.onWorkerDied((e) => died.push({ ...e, at: Date.now() }));
    const killedAt = Date.now();
    process.kill(oldPid, 'SIGKILL');

    // A replacement in the same slot, a new process, within 2 s.
    let replacedAt = 0;
    for (const deadline = killedAt + 10_000; Date.now() < deadline; ) {
      const slot = sfu.pool.slots().find((s) => s.index === victim.index);
      if (slot && slot.worker.pid !== oldPid && !slot.worker.closed) {
        replacedAt = Date.now();
        break;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(replacedAt, 'no replacement worker within 10 s').toBeGreaterThan(0);
    expect(replacedAt - killedAt).toBeLessThan(2000);

    // Every site was told to rejoin within 1 s of the kill, and its socket closed as a restart.
    const noticeDelays = await Promise.all(first.map(async (site) => (await site.noteAt('rejoin', 5_000)) - killedAt));
    expect(Math.max(...noticeDelays)).toBeLessThan(1000);
    for (const site of first) {
      expect((await site.closed).code).toBe(CloseCode.serviceRestart);
      site.line?.close();
    }

    // The sites come back.
    const second = await joinAll();
    await joinsStored(2 * (SITES + 1));
    await sfu.pool.ready();

    // Handled once: one death reported, one rejoin per site, the other worker untouched.
    expect(died).toHaveLength(1);
    expect(died[0]).toMatchObject({ slot: victim.index, pid: oldPid });
    for (const site of first) expect(site.count('rejoin')).toBe(1);
    expect(sfu.pool.slots()).toHaveLength(2);
    expect(sfu.pool.slots().find((s) => s.index === survivor.index)!.worker.pid).toBe(survivorPid);
    off();

    // No row lost, none invented: each first connection has its join and one server-failure
    // leave, each second connection its join, and there is nothing else.
    const stored = await rows();
    const expected = [
      ...first.flatMap((s) => [`join ${s.siteId} ${s.connectionId} -`, `leave ${s.siteId} ${s.connectionId} server-failure`]),
      ...second.map((s) => `join ${s.siteId} ${s.connectionId} -`),
    ].sort();
    expect(stored.map((r) => `${r.kind} ${r.site_id} ${r.connection_id} ${r.cause ?? '-'}`).sort()).toEqual(expected);
    expect(new Set(first.map((s) => s.connectionId)).size).toBe(SITES + 1);

    // The attendance record: two intervals per site, one gap, caused by the server.
    const report = await live.t.request('GET', `/api/meetings/${meetingId}/attendance`, { cookie: live.t.cookies.secretariat });
    expect(report.status).toBe(200);
    const sites = report.body.sites as {
      siteId: string;
      drops: number;
      leaveCauses: Record<string, number>;
      intervals: { connectionId: string; open: boolean; endCause: string | null }[];
    }[];
    expect(sites).toHaveLength(SITES + 1);
    for (const site of sites) {
      const before = first.find((s) => s.siteId === site.siteId)!;
      const after = second.find((s) => s.siteId === site.siteId)!;
      expect(site.intervals.map((i) => [i.connectionId, i.open, i.endCause])).toEqual([
        [before.connectionId, false, 'server-failure'],
        [after.connectionId, true, null],
      ]);
      expect(site.drops).toBe(1);
      expect(Object.entries(site.leaveCauses).filter(([, n]) => n > 0)).toEqual([['server-failure', 1]]);
    }
  });

  it('does not count a site whose DTLS certificate does not match the fingerprint it signed in with', async () => {
    // The negative control for the synthetic sites: the SFU really checks the DTLS certificate,
    // so "connected" above means what it means for a browser. The client's handshake completes
    // (the server checks the fingerprint after its Finished), then the SFU drops the line.
    const other = createDtlsIdentity();
    try {
      const before = (await rows()).filter((r) => r.kind === 'join').length;
      const liar = await SyntheticSite.join(live.url, credentials.get(hostSiteId)!, { ...identity, dtlsParameters: other.dtlsParameters });
      everySite.push(liar);
      expect((await liar.closed).code).toBe(CloseCode.heartbeatTimeout);
      expect((await rows()).filter((r) => r.kind === 'join').length).toBe(before);
    } finally {
      other.dispose();
    }
  });
});
