import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../tests/support/app.ts';
import { DRIVERS } from '../../tests/support/database.ts';

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
});
