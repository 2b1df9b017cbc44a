/**
 * The nodes over HTTP on both drivers: a commune's page learns its node from its join token,
 * the console gets the origin, a site beyond every node's capacity gets the typed 503 that its
 * page turns into the Vietnamese refusal and the secretariat sees the refused site; the
 * operator lists, drains and maps; the live pages' CSP lets them reach the nodes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../tests/support/app.ts';
import { DRIVERS } from '../../tests/support/database.ts';
import { mintMeetingTokens } from '../invites/site-tokens.ts';
import { conferenceTranslator } from '../../web/conference/texts.ts';
import { registerNode } from './registry.ts';

describe.each(DRIVERS)('nodes over HTTP on %s', (driver) => {
  let t: TestApp;
  let meetingId: string;
  let hostSiteId: string;
  let communes: string[];
  const tokens = new Map<string, string>();

  beforeAll(async () => {
    t = await createTestApp(driver, { provinces: ['44'] });
    const sites = (await t.request('GET', '/api/units/44/sites', { cookie: t.cookies.quangTriSecretariat })).body.sites as { id: string; kind: string }[];
    hostSiteId = sites.find((s) => s.kind === 'hall')!.id;
    communes = sites
      .filter((s) => s.kind === 'commune')
      .slice(0, 3)
      .map((s) => s.id);
    const created = await t.request('POST', '/api/meetings', {
      cookie: t.cookies.quangTriSecretariat,
      body: { title: 'Giao ban tỉnh', hostSiteId, siteIds: communes, startsAt: '2026-12-05T09:00:00+07:00', endsAt: '2026-12-05T10:00:00+07:00' },
    });
    expect(created.status).toBe(201);
    meetingId = created.body.id;
    for (const siteId of [hostSiteId, ...communes]) {
      const { join } = await mintMeetingTokens(t.ctx.db, { meetingId, siteId, expiresAt: new Date('2026-12-05T10:00:00+07:00'), purposes: ['join'] });
      tokens.set(siteId, join);
    }
    await registerNode(t.ctx.db, { id: 'edge-1', signalingUrl: 'wss://edge-1.hoinghi.test/ws', mediaAddress: '203.0.113.7', capacity: 2 }, t.clock.now);
  });
  afterAll(() => t?.close());

  const joinNode = (siteId: string) => t.request('POST', '/api/join/node', { body: { joinToken: tokens.get(siteId) } });

  it('tells a commune’s page its node, refuses the one beyond capacity with a typed 503, and shows the secretariat the refused site', async () => {
    const first = await joinNode(communes[0]!);
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ nodeId: 'edge-1', signalingUrl: 'wss://edge-1.hoinghi.test/ws' });
    expect((await joinNode(communes[1]!)).status).toBe(200);
    const refused = await joinNode(communes[2]!);
    expect(refused.status).toBe(503);
    expect(refused.body.error).toMatchObject({ code: 'no_node_available', details: { reason: 'full' } });
    // What the page shows for that code (web/conference/browser/ui.ts showNoNode).
    expect(conferenceTranslator('vi')('noNodeAvailable')).toMatch(/^Máy chủ hội nghị đã đủ số điểm cầu: mọi máy chủ đều đầy/);

    const seen = await t.request('GET', `/api/meetings/${meetingId}/refused-sites`, { cookie: t.cookies.quangTriSecretariat });
    expect(seen.status).toBe(200);
    expect(seen.body.sites.map((s: { siteId: string }) => s.siteId)).toEqual([communes[2]]);
    expect((await t.request('GET', `/api/meetings/${meetingId}/refused-sites`, { cookie: t.cookies.leader })).status).toBe(403);
  });

  it('places the host console on the origin even when full, and refuses the host hall’s link and unknown links', async () => {
    const host = await t.request('POST', `/api/meetings/${meetingId}/console/node`, { cookie: t.cookies.quangTriSecretariat, body: {} });
    expect(host.status).toBe(200);
    expect(host.body.nodeId).toBe('edge-1');
    expect((await t.request('POST', `/api/meetings/${meetingId}/console/node`, { cookie: t.cookies.leader, body: {} })).status).toBe(403);
    expect((await joinNode(hostSiteId)).status).toBe(403);
    expect((await t.request('POST', '/api/join/node', { body: { joinToken: 'A'.repeat(43) } })).status).toBe(404);
    expect((await t.request('POST', '/api/join/node', { body: {} })).status).toBe(400);
  });

  it('lists the nodes, drains one and maps a province, for national admins only', async () => {
    const listed = await t.request('GET', '/api/nodes', { cookie: t.cookies.admin });
    expect(listed.status).toBe(200);
    expect(listed.body.nodes).toEqual([
      expect.objectContaining({
        id: 'edge-1',
        signalingUrl: 'wss://edge-1.hoinghi.test/ws',
        mediaAddress: '203.0.113.7',
        capacity: 2,
        placed: 3,
        state: 'alive',
        meetings: [{ meetingId, title: 'Giao ban tỉnh', sites: 3, origin: true }],
      }),
    ]);
    expect((await t.request('POST', '/api/nodes/edge-1/drain', { cookie: t.cookies.admin, body: { draining: true } })).status).toBe(200);
    expect((await t.request('GET', '/api/nodes', { cookie: t.cookies.admin })).body.nodes[0].state).toBe('draining');
    expect((await t.request('PUT', '/api/nodes/provinces/44', { cookie: t.cookies.admin, body: { nodeId: 'edge-1' } })).status).toBe(200);
    expect((await t.request('GET', '/api/nodes', { cookie: t.cookies.admin })).body.nodes[0].provinces).toEqual(['44']);
    expect((await t.request('PUT', '/api/nodes/provinces/44', { cookie: t.cookies.admin, body: { nodeId: null } })).status).toBe(200);
    expect((await t.request('POST', '/api/nodes/nowhere/drain', { cookie: t.cookies.admin, body: { draining: true } })).status).toBe(404);
    expect((await t.request('POST', '/api/nodes/edge-1/drain', { cookie: t.cookies.admin, body: { draining: false } })).status).toBe(200);
    const provincialAdmin = await t.signInAs('admin', '44');
    for (const cookie of [provincialAdmin, t.cookies.secretariat, t.cookies.leader]) {
      expect((await t.request('GET', '/api/nodes', { cookie })).status).toBe(403);
      expect((await t.request('POST', '/api/nodes/edge-1/drain', { cookie, body: { draining: true } })).status).toBe(403);
    }
    expect((await t.request('GET', '/api/nodes', {})).status).toBe(401);
  });

  it('shows the operator’s page to national admins, whose forms drain a node and map a province', async () => {
    const page = (cookie: string | null) => t.app.request('/admin/nodes', { headers: { accept: 'text/html', ...(cookie ? { cookie } : {}) } });
    const shown = await page(t.cookies.admin);
    expect(shown.status).toBe(200);
    const html = await shown.text();
    expect(html).toContain('Máy chủ hội nghị');
    expect(html).toMatch(/<tr data-node-id="edge-1" data-state="alive">/);
    expect(html).toContain('wss://edge-1.hoinghi.test/ws');
    expect(html).toContain('Giao ban tỉnh');
    expect((await page(t.cookies.secretariat)).status).toBe(403);
    expect((await page(await t.signInAs('admin', '44', 'admin-44-page@test.hoinghi'))).status).toBe(403);
    expect((await page(null)).status).toBe(303);

    const post = (path: string, body: string) =>
      t.app.request(path, {
        method: 'POST',
        headers: { cookie: t.cookies.admin, accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded', origin: 'http://localhost' },
        body,
      });
    expect((await post('/admin/nodes/edge-1/drain', 'draining=1')).status).toBe(303);
    expect(await (await page(t.cookies.admin)).text()).toMatch(/data-state="draining"/);
    expect((await post('/admin/nodes/edge-1/drain', 'draining=0')).status).toBe(303);
    expect((await post('/admin/nodes/provinces', 'province=44&nodeId=edge-1')).status).toBe(303);
    expect((await t.request('GET', '/api/nodes', { cookie: t.cookies.admin })).body.nodes[0].provinces).toEqual(['44']);
    expect((await post('/admin/nodes/provinces', 'province=44&nodeId=')).status).toBe(303);
    expect((await t.request('GET', '/api/nodes', { cookie: t.cookies.admin })).body.nodes[0].provinces).toEqual([]);
  });

  it('lets the live pages connect to the nodes’ origins (CSP connect-src)', async () => {
    await t.services.nodes.refresh();
    const page = await t.app.request(`/join/${tokens.get(communes[0]!)}`, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toMatch(/connect-src 'self' wss:\/\/edge-1\.hoinghi\.test(;|$| )/);
  });

  it('warns on the meeting’s page, where the scheduling form lands, that it has more sites than the servers take, and lists the refused sites', async () => {
    const page = async (cookie: string) => (await t.app.request(`/meetings/${meetingId}`, { headers: { accept: 'text/html', cookie } })).text();
    const html = await page(t.cookies.quangTriSecretariat!);
    expect(html).toMatch(/id="capacity-warning"[^>]*>Cảnh báo: cuộc họp có 4 điểm cầu nhưng các máy chủ hội nghị đang hoạt động chỉ nhận tối đa 2\./);
    expect(html).toMatch(new RegExp(`id="refused-sites"[\\s\\S]*data-site-id="${communes[2]}"`));
    // A leader reads the meeting, not the servers.
    expect(await page(t.cookies.leader)).not.toContain('capacity-warning');
    // Room enough: no warning.
    await registerNode(t.ctx.db, { id: 'edge-2', signalingUrl: 'wss://edge-2.hoinghi.test/ws', mediaAddress: '203.0.113.8', capacity: 10 }, t.clock.now);
    expect(await page(t.cookies.quangTriSecretariat!)).not.toContain('capacity-warning');
  });
});
