/**
 * Browser assets at run time. `npm run build:web` (web/build-assets.ts) bundles the browser code
 * and style sheets once into web/dist under content-hashed names, each beside its brotli and
 * gzip copies, and writes a manifest; here the server loads that output into memory at start-up,
 * serves it as immutable, and tells pages which files an entry needs (its own file and, for
 * scripts, the chunks it imports, for `<link rel=modulepreload>`).
 *
 * A request's path never reaches the disk: `/static/:name` looks the name up in the loaded map.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Hono } from 'hono';
import { accepts } from 'hono/accepts';
import { z } from 'zod';
import { NotFoundError } from '../api/errors.ts';

const webDir = path.dirname(fileURLToPath(import.meta.url));
export const distDir = path.join(webDir, 'dist');
export const STATIC_PREFIX = '/static/';

/** Script entry points by name, source relative to web/. Pages name these, never a file. */
export const scriptEntries = {
  'scheduling-form': 'meetings/browser/schedule-form.ts',
  'attendance-report': 'attendance/browser/report.ts',
  'attendance-live': 'attendance/browser/live.ts',
  'attendance-dashboard': 'attendance/browser/dashboard.ts',
  'conference-join': 'conference/browser/join-page.ts',
  'conference-console': 'conference/browser/console-page.ts',
  'device-check': 'invites/browser/device-check.ts',
} as const;
/** Style sheets by name; `app` is on every page. */
export const styleEntries = {
  app: 'common/app.css',
  attendance: 'attendance/attendance.css',
  directory: 'directory/directory.css',
} as const;
export type ScriptEntry = keyof typeof scriptEntries;
export type StyleEntry = keyof typeof styleEntries;

const fileName = z.string().regex(/^[A-Za-z0-9_-]+\.(js|css)$/);
export const manifestSchema = z.object({
  /** Entry name → its hashed file and the chunks it imports, transitively, in load order. */
  entries: z.record(z.string(), z.object({ file: fileName, imports: z.array(fileName) })),
  /** Every file served, with its media type; each has `.br` and `.gz` copies beside it. */
  files: z.record(fileName, z.object({ type: z.string() })),
});
export type AssetManifest = z.infer<typeof manifestSchema>;

export const encodings = ['br', 'gzip'] as const;
export const encodingSuffix = { br: '.br', gzip: '.gz' } as const;
type Encoding = (typeof encodings)[number];

interface LoadedFile {
  type: string;
  identity: Uint8Array<ArrayBuffer>;
  br: Uint8Array<ArrayBuffer>;
  gzip: Uint8Array<ArrayBuffer>;
}

export interface BuiltAssets {
  manifest: AssetManifest;
  files: Map<string, LoadedFile>;
}

let loaded: BuiltAssets | undefined;

/** The build output, read once per process; throws a clear error when it was never built. */
export function builtAssets(dir = distDir): BuiltAssets {
  if (dir === distDir && loaded) return loaded;
  let raw: string;
  try {
    raw = readFileSync(path.join(dir, 'manifest.json'), 'utf8');
  } catch (error) {
    throw new Error(`Browser assets are not built (${path.join(dir, 'manifest.json')} missing): run \`npm run build:web\``, { cause: error });
  }
  const manifest = manifestSchema.parse(JSON.parse(raw));
  const files = new Map<string, LoadedFile>();
  for (const [name, { type }] of Object.entries(manifest.files)) {
    const read = (suffix: string) => new Uint8Array(readFileSync(path.join(dir, name + suffix)));
    files.set(name, { type, identity: read(''), br: read(encodingSuffix.br), gzip: read(encodingSuffix.gzip) });
  }
  const result = { manifest, files };
  if (dir === distDir) loaded = result;
  return result;
}

function entry(name: string) {
  const found = builtAssets().manifest.entries[name];
  // Entry names are typed, so this means a build older than the code: rebuild.
  if (!found) throw new Error(`Browser asset entry "${name}" is not in web/dist/manifest.json: run \`npm run build:web\``);
  return found;
}

/** URL of a style sheet. */
export function styleHref(name: StyleEntry): string {
  return STATIC_PREFIX + entry(name).file;
}

/** URL of a script and of the chunks it imports (to preload them in parallel). */
export function scriptUrls(name: ScriptEntry): { src: string; preloads: string[] } {
  const e = entry(name);
  return { src: STATIC_PREFIX + e.file, preloads: e.imports.map((f) => STATIC_PREFIX + f) };
}

/** GET /static/:name — hashed bundles and style sheets, cached for a year, brotli or gzip when accepted. */
export function assetRoutes(assets: BuiltAssets = builtAssets()) {
  return new Hono().get('/static/:name', (c) => {
    const name = c.req.param('name');
    const file = assets.files.get(name);
    if (!file) throw new NotFoundError('File', name);
    // Brotli first when both are accepted equally (browsers list gzip first).
    const encoding = accepts(c, {
      header: 'Accept-Encoding',
      supports: [...encodings],
      default: 'identity',
      match: (offered) => encodings.find((e) => offered.some((o) => o.type.toLowerCase() === e && o.q > 0)) ?? 'identity',
    }) as Encoding | 'identity';
    const headers: Record<string, string> = {
      'Content-Type': file.type,
      'Cache-Control': 'public, max-age=31536000, immutable',
      Vary: 'Accept-Encoding',
      // The name holds the content hash, so it is a strong validator.
      ETag: `"${name}${encoding === 'identity' ? '' : `.${encoding}`}"`,
    };
    if (encoding !== 'identity') headers['Content-Encoding'] = encoding;
    if (c.req.header('If-None-Match') === headers.ETag) return c.body(null, 304, headers);
    const body = file[encoding];
    headers['Content-Length'] = String(body.byteLength);
    return c.body(body, 200, headers);
  });
}
