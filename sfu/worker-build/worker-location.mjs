// Where the mediasoup package is installed, where `npm run setup` caches a worker binary, and
// where the server looks for it.
//
// The folder is keyed by mediasoup's version AND our patch level, so a worker built with an
// older patch set (or another version's) is never picked up: <root>/mediasoup-worker-3.19.3-p1-<hash>.
// The patch level counts the patches in sfu/worker-build/patches/<version>/ and hashes them with
// the libsrtp shim header; editing either gives a new folder and a rebuild.
// Plain Node with builtins only: sfu/setup-worker.mjs runs before anything else is set up.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

/** The installed mediasoup package's folder (its `exports` hide package.json from require). */
export function mediasoupPackageDir() {
  // the main entry is <pkg>/node/lib/index.js
  return path.resolve(path.dirname(require.resolve('mediasoup')), '..', '..');
}

/** The installed mediasoup package's package.json. */
export function mediasoupPackage() {
  return JSON.parse(fs.readFileSync(path.join(mediasoupPackageDir(), 'package.json'), 'utf8'));
}

/** `p<count>-<hash>` of the patches for `version` and the shim; `p0` when there are none. */
export function patchLevel(version) {
  const dir = path.join(here, 'patches', version);
  const patches = fs.existsSync(dir)
    ? fs
        .readdirSync(dir)
        .filter((f) => f.endsWith('.patch'))
        .sort()
    : [];
  if (patches.length === 0) return 'p0';
  const hash = createHash('sha256');
  for (const file of [...patches.map((f) => path.join(dir, f)), path.join(here, 'libsrtp3-shim', 'srtp.h')]) {
    hash.update(path.basename(file)).update('\0').update(fs.readFileSync(file)).update('\0');
  }
  return `p${patches.length}-${hash.digest('hex').slice(0, 10)}`;
}

/** $HOINGHI_CACHE_DIR, else $XDG_CACHE_HOME/hoinghi, else ~/.cache/hoinghi. */
export function cacheRoot(env = process.env) {
  if (env.HOINGHI_CACHE_DIR) return env.HOINGHI_CACHE_DIR;
  return path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'hoinghi');
}

/** The cache folder of the worker for `version`; the binary is `mediasoup-worker` inside it. */
export function workerCacheDir(root, version) {
  return path.join(root, `mediasoup-worker-${version}-${patchLevel(version)}`);
}
