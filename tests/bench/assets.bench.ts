/**
 * `npm run bench:assets`: the bytes each page costs a browser, on the first load (empty cache)
 * and on a second load (cache warm), measured in Debian's Chromium through the DevTools
 * protocol (network bytes, headers included, compressed as sent).
 *
 * Baseline, in the same run: the scheme before the build step (commit 2bf0d97's web/assets.ts),
 * rebuilt here from the current sources — one esbuild bundle per page, no shared chunks, served
 * uncompressed with `Cache-Control: no-cache` and no validator, so every load downloads the
 * bundle and the style sheets again; pages were not compressed either. Its figure is the bodies
 * of today's page HTML and of those files (no response headers counted, which favours the
 * baseline slightly).
 * Figures are printed, never asserted; the join page's budgets are asserted by
 * web/assets.browser.test.ts.
 */
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { type ScriptEntry, scriptEntries, type StyleEntry, styleEntries } from '../../web/assets.ts';
import { buildWebAssets, zodEnglishOnly } from '../../web/build-assets.ts';
import { launchBrowser } from '../support/browser.ts';
import { measureLoad, pageContext, startPageSite } from '../support/page-loads.ts';

const webDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../web');

function out(line = ''): void {
  process.stdout.write(`${line}\n`);
}

/** The old on-request bundle of one entry: its own esbuild run, as web/assets.ts did it. */
async function oldBundleBytes(entry: ScriptEntry): Promise<number> {
  const result = await build({
    plugins: [zodEnglishOnly],
    entryPoints: [path.join(webDir, scriptEntries[entry])],
    bundle: true,
    format: 'esm',
    target: 'es2022',
    platform: 'browser',
    minify: true,
    sourcemap: false,
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles[0]!.contents.byteLength;
}

async function oldStyleBytes(style: StyleEntry): Promise<number> {
  return (await readFile(path.join(webDir, styleEntries[style]))).byteLength;
}

const kB = (n: number) => `${(n / 1000).toFixed(1)} kB`.padStart(10);

async function main() {
  out(
    `bench:assets — load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}, ${os.cpus().length} cores`,
  );
  await buildWebAssets();
  const site = await startPageSite('pglite');
  const browser = await launchBrowser();
  try {
    const pages: Array<{ name: string; path: string; signedIn: boolean; script?: ScriptEntry; styles: StyleEntry[] }> = [
      { name: 'login', path: '/login', signedIn: false, styles: ['app'] },
      { name: 'meetings list', path: '/', signedIn: true, styles: ['app'] },
      { name: 'schedule form', path: '/meetings/new', signedIn: true, script: 'scheduling-form', styles: ['app'] },
      { name: 'join page (commune)', path: site.joinPath, signedIn: false, script: 'conference-join', styles: ['app'] },
      { name: 'console (host)', path: `/meetings/${site.meetingId}/console`, signedIn: true, script: 'conference-console', styles: ['app'] },
      { name: 'attendance report', path: `/meetings/${site.meetingId}/attendance`, signedIn: true, script: 'attendance-report', styles: ['app', 'attendance'] },
      { name: 'attendance live', path: `/meetings/${site.meetingId}/live`, signedIn: true, script: 'attendance-live', styles: ['app', 'attendance'] },
      { name: 'attendance dashboard', path: '/reports', signedIn: true, script: 'attendance-dashboard', styles: ['app', 'attendance'] },
    ];
    out();
    out(
      `${'page'.padEnd(22)}${'before 1st'.padStart(10)}${'before 2nd'.padStart(11)}${'after 1st'.padStart(10)}${'after 2nd'.padStart(10)}  status, requests (1st → 2nd from network)`,
    );
    for (const p of pages) {
      const context = await pageContext(browser, site, p.signedIn);
      try {
        const first = await measureLoad(context, site.server.url, p.path);
        const second = await measureLoad(context, site.server.url, p.path);
        // The page as the old app sent it: uncompressed (pages were not compressed either).
        const plain = await site.t.app.request(p.path, { headers: p.signedIn ? { cookie: site.t.cookies.secretariat } : {} });
        const html = (await plain.arrayBuffer()).byteLength;
        const oldAssets = (p.script ? await oldBundleBytes(p.script) : 0) + (await Promise.all(p.styles.map(oldStyleBytes))).reduce((a, b) => a + b, 0);
        // Before: nothing could be reused, so both loads cost the same.
        const before = html + oldAssets;
        const fetched = (l: typeof first) => l.resources.filter((r) => r.fromNetwork).length;
        out(`${p.name.padEnd(22)}${kB(before)} ${kB(before)}${kB(first.bytes)}${kB(second.bytes)}  ${first.status}, ${fetched(first)} → ${fetched(second)}`);
      } finally {
        await context.close();
      }
    }
    out();
    out('before = page + one bundle per page + style sheets, uncompressed, no-cache without validator (rebuilt from current sources this run, bodies only);');
    out(
      'after  = network bytes measured in Chromium, headers included: gzipped page, hashed shared chunks in brotli, immutable; 2nd load = new tab, same browser cache.',
    );
    out('aim: join page < 150 kB on the 1st load, < 5 kB on the 2nd.');
    out(
      `load average at the end ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
  } finally {
    await browser.close();
    await site.close();
  }
}

await main();
