/**
 * /static/:name as HTTP sees it: the built files by hashed name, immutable, in the encoding the
 * client accepts (brotli first), byte-identical once decoded; the pre-build names gone; the
 * manifest's entries pointing at files that are served, chunks included.
 */
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { NotFoundError } from '../api/errors.ts';
import { assetRoutes, builtAssets, scriptEntries, scriptUrls, styleEntries, styleHref } from './assets.ts';

const assets = builtAssets();
// Not the whole app: the route alone, with NotFoundError mapped as server/app.ts maps it.
const app = new Hono().route('/', assetRoutes(assets)).onError((e, c) => c.json({ error: e.message }, e instanceof NotFoundError ? 404 : 500));
const join = scriptUrls('conference-join');

describe('/static/:name', () => {
  it('serves a hashed file immutable, brotli first, gzip or plain as accepted, the same bytes each way', async () => {
    const plain = await app.request(join.src);
    expect(plain.status).toBe(200);
    expect(plain.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(plain.headers.get('vary')).toBe('Accept-Encoding');
    expect(plain.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(plain.headers.get('content-encoding')).toBeNull();
    const original = new Uint8Array(await plain.arrayBuffer());

    const br = await app.request(join.src, { headers: { 'accept-encoding': 'gzip, deflate, br, zstd' } });
    expect(br.headers.get('content-encoding')).toBe('br');
    expect(new Uint8Array(brotliDecompressSync(new Uint8Array(await br.arrayBuffer())))).toEqual(original);

    const gz = await app.request(join.src, { headers: { 'accept-encoding': 'gzip, br;q=0' } });
    expect(gz.headers.get('content-encoding')).toBe('gzip');
    expect(new Uint8Array(gunzipSync(new Uint8Array(await gz.arrayBuffer())))).toEqual(original);

    const identity = await app.request(join.src, { headers: { 'accept-encoding': 'identity' } });
    expect(identity.headers.get('content-encoding')).toBeNull();

    const revalidated = await app.request(join.src, { headers: { 'accept-encoding': 'br', 'if-none-match': br.headers.get('etag')! } });
    expect(revalidated.status).toBe(304);
  });

  it('answers 404 to the names from before the build step and to names not built', async () => {
    for (const name of ['app.css', 'conference-join.js', 'scheduling-form.js', 'manifest.json', 'constructor', '__proto__', '..%2Fassets.ts']) {
      expect((await app.request(`/static/${name}`)).status, name).toBe(404);
    }
  });

  it('lists every entry, and every file an entry needs is served', async () => {
    expect(Object.keys(assets.manifest.entries).sort()).toEqual([...Object.keys(scriptEntries), ...Object.keys(styleEntries)].sort());
    // The join page and the console share their big chunk instead of each carrying it.
    expect(join.preloads.length).toBeGreaterThan(0);
    expect(scriptUrls('conference-console').preloads).toEqual(expect.arrayContaining(join.preloads));
    const urls = [
      ...Object.keys(scriptEntries).flatMap((name) => {
        const s = scriptUrls(name as keyof typeof scriptEntries);
        return [s.src, ...s.preloads];
      }),
      ...Object.keys(styleEntries).map((name) => styleHref(name as keyof typeof styleEntries)),
    ];
    for (const url of urls) {
      expect(url).toMatch(/^\/static\/[\w-]+-[A-Z0-9]{8}\.(js|css)$/);
      expect((await app.request(url)).status, url).toBe(200);
    }
  });
});
