/**
 * The browser build (`npm run build:web`, run by `npm start` and `npm test`): one esbuild run
 * over every entry in web/assets.ts with code splitting, so the commune's join page and the host
 * console share one copy of mediasoup-client and sfu/protocol.ts. Files are named by content hash,
 * each written beside a brotli and a gzip copy, and manifest.json maps entry names to them.
 * Never run on a request: the server only reads the result (web/assets.ts).
 */
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { brotliCompress, constants as zlibConstants, gzip } from 'node:zlib';
import { build, type Metafile, type Plugin } from 'esbuild';
import { type AssetManifest, distDir, encodingSuffix, scriptEntries, styleEntries } from './assets.ts';

const webDir = path.dirname(fileURLToPath(import.meta.url));
const brotli = promisify(brotliCompress);
const gzipAsync = promisify(gzip);

const mediaTypes: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/**
 * zod re-exports its error messages in ~50 languages, which would triple the size of every
 * script that validates the signaling protocol; communes on weak lines download only English
 * (the browser never shows zod's messages to people anyway).
 */
export const zodEnglishOnly: Plugin = {
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

/**
 * Browser code gets zod through web/common/browser/zod.ts, which turns on `jitless` before any
 * schema exists: zod decides whether to compile parsers with `new Function` when a schema is
 * built, and its probe is a CSP violation under our `script-src 'self'` (Firefox reports it).
 */
const zodJitless: Plugin = {
  name: 'zod-jitless',
  setup(b) {
    const wrapper = path.join(webDir, 'common/browser/zod.ts');
    b.onResolve({ filter: /^zod$/ }, (args) => (args.importer === wrapper ? undefined : { path: wrapper }));
  },
};

/** Chunks an output imports statically, depth first, each once. */
function staticImports(metafile: Metafile, output: string, seen = new Set<string>()): string[] {
  for (const imported of metafile.outputs[output]?.imports ?? []) {
    if (imported.kind !== 'import-statement' || imported.external || seen.has(imported.path)) continue;
    seen.add(imported.path);
    staticImports(metafile, imported.path, seen);
  }
  return [...seen];
}

/** Builds into a fresh directory and swaps it in, so a running server's files never change under it. */
export async function buildWebAssets(outDir = distDir): Promise<AssetManifest> {
  const entryPoints = Object.fromEntries(Object.entries({ ...scriptEntries, ...styleEntries }).map(([name, source]) => [name, path.join(webDir, source)]));
  const result = await build({
    absWorkingDir: webDir,
    entryPoints,
    plugins: [zodEnglishOnly, zodJitless],
    bundle: true,
    splitting: true,
    format: 'esm',
    target: 'es2022',
    platform: 'browser',
    minify: true,
    legalComments: 'none',
    sourcemap: false,
    outdir: outDir,
    entryNames: '[name]-[hash]',
    chunkNames: 'chunk-[hash]',
    metafile: true,
    write: false,
    logLevel: 'warning',
  });
  const metafile = result.metafile;
  const byEntrySource = new Map(Object.entries(entryPoints).map(([name, file]) => [path.relative(webDir, file), name]));

  const manifest: AssetManifest = { entries: {}, files: {} };
  for (const [output, info] of Object.entries(metafile.outputs)) {
    const file = path.basename(output);
    const type = mediaTypes[path.extname(file)];
    if (!type) throw new Error(`web build: unexpected output ${output}`);
    manifest.files[file] = { type };
    const name = info.entryPoint === undefined ? undefined : byEntrySource.get(info.entryPoint);
    if (name) manifest.entries[name] = { file, imports: staticImports(metafile, output).map((p) => path.basename(p)) };
  }
  for (const name of Object.keys(entryPoints)) if (!manifest.entries[name]) throw new Error(`web build: no output for entry ${name}`);

  const staging = `${outDir}.staging-${process.pid}`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  await Promise.all(
    result.outputFiles.map(async (out) => {
      const target = path.join(staging, path.basename(out.path));
      const [br, gz] = await Promise.all([
        brotli(out.contents, { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 11, [zlibConstants.BROTLI_PARAM_SIZE_HINT]: out.contents.byteLength } }),
        gzipAsync(out.contents, { level: 9 }),
      ]);
      await Promise.all([writeFile(target, out.contents), writeFile(target + encodingSuffix.br, br), writeFile(target + encodingSuffix.gzip, gz)]);
    }),
  );
  await writeFile(path.join(staging, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  const old = `${outDir}.old-${process.pid}`;
  await rename(outDir, old).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
  });
  await rename(staging, outDir);
  await rm(old, { recursive: true, force: true });
  return manifest;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const manifest = await buildWebAssets();
  process.stdout.write(
    `web build: ${Object.keys(manifest.entries).length} entries, ${Object.keys(manifest.files).length} files in ${path.relative(process.cwd(), distDir)}\n`,
  );
}
