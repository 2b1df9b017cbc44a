/**
 * Pages answer refusals, missing pages and crashes with a Vietnamese HTML page and a way back;
 * the API keeps its JSON errors. All of it is the one onError / notFound of server/app.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../tests/support/app.ts';

const html = { accept: 'text/html,application/xhtml+xml' };

describe('error pages', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp('pglite', { provinces: ['44', '01'] });
  });
  afterAll(() => t?.close());

  it('answers a missing meeting and an unknown page with a Vietnamese 404 page', async () => {
    for (const path of ['/meetings/00000000-0000-4000-8000-000000000000', '/no-such-page']) {
      const response = await t.app.request(path, { headers: { ...html, cookie: t.cookies.secretariat } });
      expect(response.status).toBe(404);
      expect(response.headers.get('content-type')).toMatch(/^text\/html/);
      const body = await response.text();
      expect(body).toContain('<html lang="vi">');
      expect(body).toContain('Không tìm thấy trang');
      expect(body).toContain('href="/"');
    }
  });

  it('answers a refused page with a Vietnamese 403 page', async () => {
    const response = await t.app.request('/meetings/new', { headers: { ...html, cookie: t.cookies.hanoiLeader! } });
    expect(response.status).toBe(403);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    const body = await response.text();
    expect(body).toContain('Không có quyền truy cập');
    expect(body).toContain('Về trang chủ');
  });

  it('keeps JSON errors on the API', async () => {
    const missing = await t.request('GET', '/api/meetings/00000000-0000-4000-8000-000000000000', { cookie: t.cookies.secretariat, headers: html });
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('not_found');
    const refused = await t.request('POST', '/api/meetings', { cookie: t.cookies.hanoiLeader!, body: {} });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('forbidden');
    const unknown = await t.request('GET', '/api/nothing-here', { cookie: t.cookies.secretariat, headers: html });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('not_found');
  });

  it('answers a crash with a Vietnamese 500 page naming the request, and JSON on the API', async () => {
    const broken = await createTestApp('pglite', { provinces: [] });
    const cookie = broken.cookies.secretariat;
    // A closed database makes every query throw: an error nobody anticipated.
    await broken.database.close();
    const page = await broken.app.request('/', { headers: { ...html, cookie } });
    expect(page.status).toBe(500);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const body = await page.text();
    expect(body).toContain('Hệ thống gặp lỗi');
    expect(body).toContain(page.headers.get('x-request-id')!);
    const api = await broken.app.request('/api/meetings', { headers: { cookie } });
    expect(api.status).toBe(500);
    expect(((await api.json()) as { error: { code: string } }).error.code).toBe('internal');
  });
});
