/**
 * A meeting across three nodes in Debian's Chromium: the app with its own media node ("main",
 * the origin: the host's console is placed there) and two media nodes as separate processes
 * (`SERVER_ROLE=media`, "edge-a" and "edge-b"), all on one PostgreSQL with the same
 * SFU_CASCADE_SECRET. The main node is drained after the host is placed, so the communes'
 * pages are placed on the edges, two on each. Proven: every commune decodes the host, piped
 * from the origin; the host decodes the communes of both edges; the floor given (from the hand
 * queue) to a commune on edge A is heard and seen by a commune on edge B; after SIGKILL of edge
 * A its communes' pages reconnect by themselves, are placed on edge B and decode the host
 * again, and the ledger shows each of them one server-failure gap.
 */
import { writeFileSync } from 'node:fs';
import { and, eq, inArray } from 'drizzle-orm';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { setDraining } from '../../api/nodes/registry.ts';
import { attendanceEvents, sitePlacements } from '../../db/schema.ts';
import { launchBrowser } from '../../tests/support/browser.ts';
import { expectRising, openMeetingPage, passPreJoin, received, type MediaStats } from '../../tests/support/meeting-pages.browser-support.ts';
import { scheduleLiveMeeting, startLiveTestServer, type LiveTestServer } from '../../tests/support/live.ts';
import { NODE_TIMING, startMediaNode } from '../../tests/support/node-cluster.ts';
import type { ServerProcess } from '../../tests/support/server-process.ts';

vi.setConfig({ testTimeout: 400_000, hookTimeout: 300_000 });

const SECRET = 'a-cascade-secret-for-the-browser-test-0123';
/** What the product promises a commune whose node died (README), with room for two shared cores. */
const RECONNECT_DEADLINE_MS = 20_000;

let live: LiveTestServer;
let browser: Browser;
const contexts: BrowserContext[] = [];
const edges = new Map<string, ServerProcess>();

beforeAll(async () => {
  live = await startLiveTestServer('postgres', { provinces: ['44'], config: { ...NODE_TIMING, SFU_CASCADE_SECRET: SECRET, SFU_NODE_ID: 'main' } });
  for (const [slice, id] of ['edge-a', 'edge-b'].entries()) {
    // less room than main: the host hall, placed where there is the most room, goes to main
    edges.set(
      id,
      // slices 10 and 11: clear of the process tests' clusters (0–9) should they run at the same time
      await startMediaNode({
        id,
        databaseUrl: live.t.database.url!,
        pagesUrl: live.url,
        secret: SECRET,
        slice: 10 + slice,
        env: { ...NODE_TIMING, SFU_MAX_SITES: '100' },
      }),
    );
  }
  browser = await launchBrowser();
});

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => undefined);
  await browser?.close();
  // The edges' logs, for whoever reads a failure.
  for (const [id, edge] of edges) writeFileSync(`/tmp/hoinghi-cascade-${id}.log`, edge.logs.map((l) => JSON.stringify(l)).join('\n'));
  for (const edge of edges.values()) await edge.dispose();
  await live?.close();
});

type Stats = MediaStats;
const openPage = (path: string, withSession: boolean) =>
  openMeetingPage({ browser, contexts, baseUrl: live.url, path, ...(withSession ? { signInCookie: live.t.cookies.secretariat } : {}) });

it('carries a meeting over an origin and two edges, the floor from one edge to the other, and moves an edge’s communes when it dies', async () => {
  const { t } = live;
  const { meeting, invites } = await scheduleLiveMeeting(live, 'Hội nghị trực tuyến qua ba máy chủ', 4);
  const placementOf = async (siteId: string) =>
    (
      await t.ctx.db
        .select({ nodeId: sitePlacements.nodeId })
        .from(sitePlacements)
        .where(and(eq(sitePlacements.meetingId, meeting.meetingId), eq(sitePlacements.siteId, siteId)))
    )[0]?.nodeId;

  const host = await openPage(`/meetings/${meeting.meetingId}/console?video=low`, true);
  await passPreJoin(host);
  expect(await placementOf(meeting.hostSiteId)).toBe('main');
  // The origin takes no communes from here on: they go to the edges.
  await setDraining(t.ctx.db, 'main', true);

  const communes: { siteId: string; siteName: string; page: Page; node: string }[] = [];
  for (const invite of invites) {
    const page = await openPage(`${invite.path}?video=low`, false);
    await passPreJoin(page);
    communes.push({ ...invite, page, node: (await placementOf(invite.siteId))! });
  }
  expect(communes.map((c) => c.node).sort()).toEqual(['edge-a', 'edge-a', 'edge-b', 'edge-b']);
  const onA = communes.filter((c) => c.node === 'edge-a');
  const onB = communes.filter((c) => c.node === 'edge-b');

  const hostVideo = (s: Stats['consumers'][number]) => s.siteId === meeting.hostSiteId && s.kind === 'video';
  for (const c of communes) await expectRising(() => received(c.page, hostVideo, 'framesDecoded'), `host video at ${c.siteName} on ${c.node}`);
  for (const c of communes) {
    await expectRising(() => received(host, (s) => s.siteId === c.siteId && s.kind === 'video', 'framesDecoded'), `${c.siteName} (${c.node}) at the host`);
  }

  // A commune on edge A raises its hand; the host gives it the floor from the queue.
  const speaker = onA[0]!;
  await speaker.page.click('#raise-hand');
  await host.locator(`#hand-queue li[data-site-id="${speaker.siteId}"]`).waitFor({ timeout: 15_000 });
  await host.click(`#hand-queue li[data-site-id="${speaker.siteId}"] button`);
  await expect.poll(() => speaker.page.textContent('#mic-state'), { timeout: 15_000 }).toBe('Micrô đang mở — mời phát biểu');
  const listener = onB[0]!;
  await expectRising(() => received(listener.page, (s) => s.siteId === speaker.siteId && s.kind === 'audio', 'packetsReceived'), 'the speaker heard on edge B');
  await expectRising(() => received(listener.page, (s) => s.siteId === speaker.siteId && s.kind === 'video', 'framesDecoded'), 'the speaker seen on edge B');

  // Edge A dies. Its communes' pages reconnect by themselves, to edge B (main is drained).
  const killedAt = Date.now();
  edges.get('edge-a')!.child.kill('SIGKILL');
  for (const c of onA) {
    await expect.poll(() => placementOf(c.siteId), { timeout: RECONNECT_DEADLINE_MS, interval: 200 }).toBe('edge-b');
    await expect.poll(() => c.page.locator('#status').getAttribute('data-kind'), { timeout: RECONNECT_DEADLINE_MS, interval: 200 }).toBe('connected');
  }
  const reconnectedMs = Date.now() - killedAt;
  process.stdout.write(`edge A killed: its communes reconnected to edge B in ${reconnectedMs} ms\n`);
  expect(reconnectedMs).toBeLessThan(RECONNECT_DEADLINE_MS);
  for (const c of onA) await expectRising(() => received(c.page, hostVideo, 'framesDecoded'), `host video at ${c.siteName} after the move`);

  // The ledger: each moved commune joined, left with a server failure, and joined again.
  for (const c of onA) {
    await expect
      .poll(
        async () => {
          const rows = await t.ctx.db
            .select()
            .from(attendanceEvents)
            .where(
              and(eq(attendanceEvents.meetingId, meeting.meetingId), eq(attendanceEvents.siteId, c.siteId), inArray(attendanceEvents.kind, ['join', 'leave'])),
            )
            .orderBy(attendanceEvents.at);
          return rows.map((r) => [r.kind, (r.payload as { cause?: string }).cause ?? null]);
        },
        { timeout: 30_000, interval: 500 },
      )
      .toEqual([
        ['join', null],
        ['leave', 'server-failure'],
        ['join', null],
      ]);
  }
});
