/**
 * Finds the mediasoup-worker binary and loads mediasoup pointed at it.
 *
 * Installs run with ignore-scripts, so the binary is not where mediasoup looks by default;
 * `npm run setup` (sfu/setup-worker.mjs) downloads or builds it into a cache. mediasoup reads
 * MEDIASOUP_WORKER_BIN once, when its module loads, so nothing may import mediasoup's runtime
 * before loadMediasoup() (type-only imports are fine: they are erased).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { mediasoupPackage, mediasoupPackageDir, workerCacheDir } from './worker-build/worker-location.mjs';

export type Mediasoup = typeof import('mediasoup');

export interface WorkerBinaryOptions {
  /** MEDIASOUP_WORKER_BIN from the parsed config. */
  workerBin: string | undefined;
  /** The cache root `npm run setup` used (the worker sits in a folder keyed by version and patch level). */
  cacheDir: string;
}

export function mediasoupVersion(): string {
  return mediasoupPackage().version;
}

/** mediasoup's own check: with an empty environment a healthy worker exits with 41. */
function runs(bin: string): boolean {
  if (!fs.existsSync(bin)) return false;
  return spawnSync(bin, [], { env: {}, stdio: 'ignore', timeout: 10_000 }).status === 41;
}

/** The candidates in order: configured, cached by setup, the package's default build output. */
export function resolveWorkerBinary(opts: WorkerBinaryOptions): string {
  const version = mediasoupVersion();
  const pkgDir = mediasoupPackageDir();
  const candidates = [
    opts.workerBin,
    path.join(workerCacheDir(opts.cacheDir, version), 'mediasoup-worker'),
    path.join(pkgDir, 'worker', 'out', 'Release', 'mediasoup-worker'),
  ].filter((c): c is string => c !== undefined);
  for (const candidate of candidates) {
    if (runs(candidate)) return candidate;
  }
  throw new Error(`no working mediasoup-worker ${version} found (tried: ${candidates.join(', ')}); run \`npm run setup\``);
}

let loaded: Promise<Mediasoup> | undefined;

/** Resolves the binary, exports it to mediasoup, then imports mediasoup. Idempotent. */
export function loadMediasoup(opts: WorkerBinaryOptions): Promise<Mediasoup> {
  loaded ??= (async () => {
    const bin = resolveWorkerBinary(opts);
    // The one write to process.env in sfu/: mediasoup's documented way to choose the binary.
    process.env['MEDIASOUP_WORKER_BIN'] = bin;
    const mediasoup = await import('mediasoup');
    if (mediasoup.workerBin !== bin) {
      throw new Error(`mediasoup was imported before loadMediasoup() and uses ${mediasoup.workerBin}; import it only through sfu/worker-binary.ts`);
    }
    return mediasoup;
  })();
  loaded.catch(() => {
    loaded = undefined;
  });
  return loaded;
}
