/**
 * Browser code is TypeScript in web/<feature>/browser, bundled by esbuild on first request and kept in
 * memory, so `npm start` needs no separate build step. Style sheets sit beside their feature.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { Hono } from 'hono';
import { NotFoundError } from '../api/errors.ts';

const webDir = path.dirname(fileURLToPath(import.meta.url));
const bundles = new Map<string, Promise<string>>();

/** Entry points a page may load, by public name (no path from the request reaches the disk). */
const entryPoints: Record<string, string> = {
  'scheduling-form.js': 'meetings/browser/schedule-form.ts',
};
const staticFiles: Record<string, { file: string; type: string }> = {
  'app.css': { file: 'common/app.css', type: 'text/css; charset=utf-8' },
};

export function registerEntryPoint(publicName: string, sourceRelativeToWeb: string): void {
  entryPoints[publicName] = sourceRelativeToWeb;
}

export function registerStaticFile(publicName: string, fileRelativeToWeb: string, type: string): void {
  staticFiles[publicName] = { file: fileRelativeToWeb, type };
}

export async function loadAsset(name: string): Promise<{ body: string; type: string } | null> {
  // Own keys only: a request for "/static/constructor" must not find Object's constructor.
  const entry = Object.hasOwn(entryPoints, name) ? entryPoints[name] : undefined;
  if (entry) {
    let bundle = bundles.get(name);
    if (!bundle) {
      bundle = bundleEntry(path.join(webDir, entry));
      bundles.set(name, bundle);
      bundle.catch(() => bundles.delete(name));
    }
    return { body: await bundle, type: 'text/javascript; charset=utf-8' };
  }
  const file = Object.hasOwn(staticFiles, name) ? staticFiles[name] : undefined;
  if (file) return { body: await readFile(path.join(webDir, file.file), 'utf8'), type: file.type };
  return null;
}

/**
 * zod re-exports its error messages in ~50 languages, which would triple the size of every
 * script that validates the signaling protocol; communes on weak lines download only English
 * (the browser never shows zod's messages to people anyway).
 */
const zodEnglishOnly: Plugin = {
  name: 'zod-english-only',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]zod[\\/]/.test(args.importer) ? { path: path.join(args.resolveDir, '../locales/en.js'), namespace: 'zod-locales' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) => ({
      contents: `export { default as en } from ${JSON.stringify(args.path)};`,
      resolveDir: path.dirname(args.path),
    }));
  },
};

async function bundleEntry(file: string): Promise<string> {
  const result = await build({
    plugins: [zodEnglishOnly],
    entryPoints: [file],
    bundle: true,
    format: 'esm',
    target: 'es2022',
    platform: 'browser',
    minify: true,
    sourcemap: false,
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles[0]!.text;
}

/** GET /static/:name — bundles and style sheets by public name. */
export function assetRoutes() {
  return new Hono().get('/static/:name', async (c) => {
    const asset = await loadAsset(c.req.param('name'));
    if (!asset) throw new NotFoundError('File', c.req.param('name'));
    return c.body(asset.body, 200, { 'Content-Type': asset.type, 'Cache-Control': 'no-cache' });
  });
}
