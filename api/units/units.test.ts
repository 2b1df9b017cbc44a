import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../tests/support/app.ts';
import { DRIVERS } from '../../tests/support/database.ts';
import { listUnits } from './service.ts';

describe.each(DRIVERS)('administrative tree API on %s', (driver) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(driver, { provinces: ['44', '01'] });
  });
  afterAll(() => t.close());

  it('lists provinces with their commune counts, and communes of a province', async () => {
    const provinces = await t.request('GET', '/api/units?level=province', { cookie: t.cookies.leader });
    expect(provinces.status).toBe(200);
    expect(provinces.body.units.find((u: { code: string }) => u.code === '44')).toMatchObject({ name: 'Quảng Trị', childCount: 78, parentCode: 'VN' });
    const communes = await t.request('GET', '/api/units?parent=44', { cookie: t.cookies.leader });
    expect(communes.body.units).toHaveLength(78);
    expect(communes.body.units.every((u: { level: string }) => u.level === 'commune')).toBe(true);
  });

  it('finds units and sites by Vietnamese name', async () => {
    const units = await t.request('GET', `/api/units?q=${encodeURIComponent('Ba Đình')}`, { cookie: t.cookies.leader });
    expect(units.body.units.map((u: { name: string }) => u.name)).toContain('Phường Ba Đình');
    const sites = await t.request('GET', `/api/sites?kind=commune&q=${encodeURIComponent('Ba Đình')}`, { cookie: t.cookies.leader });
    expect(sites.body.sites[0]).toMatchObject({ name: 'Phường Ba Đình', parentCode: '01' });
    // LIKE wildcards are literal.
    expect((await t.request('GET', '/api/sites?q=%25', { cookie: t.cookies.leader })).body.sites).toEqual([]);
  });

  it('lists the sites of a unit and everything below it', async () => {
    const response = await t.request('GET', '/api/units/44/sites', { cookie: t.cookies.secretariat });
    expect(response.status).toBe(200);
    expect(response.body.sites).toHaveLength(79);
    expect(response.body.sites.filter((s: { kind: string }) => s.kind === 'hall').map((s: { name: string }) => s.name)).toEqual(['UBND tỉnh Quảng Trị']);
  });

  it('answers bad codes with 400 and unknown ones with 404, anonymous with 401', async () => {
    expect((await t.request('GET', '/api/units/abc/sites', { cookie: t.cookies.leader })).status).toBe(400);
    expect((await t.request('GET', '/api/units/98/sites', { cookie: t.cookies.leader })).status).toBe(404);
    expect((await t.request('GET', '/api/units?level=planet', { cookie: t.cookies.leader })).status).toBe(400);
    expect((await t.request('GET', '/api/units')).status).toBe(401);
  });

  it('serves the tree with an ETag (304 when unchanged) and keeps replies with contacts private', async () => {
    const first = await t.request('GET', '/api/units?level=province', { cookie: t.cookies.leader });
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^"[\w-]+"$/);
    expect(first.headers.get('cache-control')).toBe('no-cache');
    const again = await t.app.request('/api/units?level=province', { headers: { cookie: t.cookies.secretariat, 'if-none-match': etag } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
    // The ETag still needs a sign-in.
    expect((await t.app.request('/api/units?level=province', { headers: { 'if-none-match': etag } })).status).toBe(401);
    const other = await t.request('GET', '/api/units?parent=44', { cookie: t.cookies.leader });
    expect(other.headers.get('etag')).not.toBe(etag);
    const sites = await t.request('GET', '/api/units/44/sites', { cookie: t.cookies.leader });
    expect(sites.headers.get('cache-control')).toBe('private, no-cache');
    expect((await t.request('GET', '/api/meetings', { cookie: t.cookies.leader })).headers.get('cache-control')).toBe('private, no-cache');
  });

  it('answers from memory exactly what the database query answers', async () => {
    for (const query of [
      'level=province',
      'parent=44',
      'parent=01&limit=7',
      `q=${encodeURIComponent('phường')}`,
      'q=44',
      'level=commune&q=an',
      'level=national',
      'parent=99',
    ]) {
      const params = new URLSearchParams(query);
      const filter = {
        level: (params.get('level') ?? undefined) as never,
        parent: params.get('parent') ?? undefined,
        q: params.get('q') ?? undefined,
        limit: Number(params.get('limit') ?? 5000),
      };
      const fromSql = (await listUnits(t.database.db, filter)).map((u) => ({ ...u }));
      const served = (await t.request('GET', `/api/units?${query}`, { cookie: t.cookies.leader })).body.units;
      expect(served, query).toEqual(fromSql);
    }
  });
});
