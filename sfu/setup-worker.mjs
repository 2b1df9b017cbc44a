#!/usr/bin/env node
// Makes a working mediasoup-worker binary available and prints its path on the last line.
//
// Our installs run with ignore-scripts, so mediasoup's postinstall (which downloads or builds
// the worker) never runs. This script does that job, in the cheapest order that works:
//   1. $MEDIASOUP_WORKER_BIN, if it runs
//   2. the cached binary  <cache>/mediasoup-worker-<version>-<patch level>/mediasoup-worker
//   3. the package's own  node_modules/mediasoup/worker/out/Release/mediasoup-worker
//   4. mediasoup's prebuilt release download, extracted into the cache (it links mediasoup's
//      own OpenSSL, which has no kTLS, so it runs unpatched)
//   5. a local build with sfu/build-worker-offline.sh (the libsrtp shim and our patches, see
//      sfu/worker-build/), copied into the cache
// <cache> is $HOINGHI_CACHE_DIR, else $XDG_CACHE_HOME/hoinghi, else ~/.cache/hoinghi; the
// folder name carries the patch level (sf./worker-build/worker-location.mjs), so a change to the
// patches never reuses a worker built without it.
// "Runs" is mediasoup's own check: started with an empty environment the worker exits with 41
// because MEDIASOUP_VERSION is missing.
//
// Plain Node with builtins only: it must work before anything else is set up.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import { cacheRoot, mediasoupPackage, mediasoupPackageDir, workerCacheDir } from './worker-build/worker-location.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const DOWNLOAD_TIMEOUT_MS = Number(process.env.HOINGHI_WORKER_DOWNLOAD_TIMEOUT_MS ?? 20_000);

function log(msg) {
  process.stderr.write(`[setup-worker] ${msg}\n`);
}

/** mediasoup's own self-test: an empty environment makes a healthy worker exit with 41. */
function runs(bin) {
  if (!bin || !fs.existsSync(bin)) return false;
  const r = spawnSync(bin, [], { env: {}, stdio: 'ignore', timeout: 10_000 });
  return r.status === 41;
}

/**
 * Reads the one regular file named `wanted` (by basename) out of a gzip'd tar archive.
 * Enough of ustar for mediasoup's release tarballs; avoids needing a tar package or binary.
 */
function extractFromTgz(tgz, wanted) {
  const buf = zlib.gunzipSync(tgz);
  let off = 0;
  let longName = null;
  while (off + 512 <= buf.length) {
    const header = buf.subarray(off, off + 512);
    if (header.every((b) => b === 0)) break;
    const str = (a, b) => header.subarray(a, b).toString('utf8').replace(/\0.*$/s, '');
    const name = longName ?? (str(345, 500) ? `${str(345, 500)}/${str(0, 100)}` : str(0, 100));
    longName = null;
    const size = parseInt(str(124, 136).trim() || '0', 8);
    const type = String.fromCharCode(header[156] || 48);
    const body = buf.subarray(off + 512, off + 512 + size);
    off += 512 + Math.ceil(size / 512) * 512;
    if (type === 'L') {
      longName = body.toString('utf8').replace(/\0.*$/s, '');
      continue;
    }
    if ((type === '0' || type === '\0') && path.basename(name) === wanted) return Buffer.from(body);
  }
  return null;
}

async function download(pkg, target) {
  const base =
    process.env.MEDIASOUP_WORKER_PREBUILT_DOWNLOAD_BASE_URL ||
    `${String(pkg.repository?.url ?? pkg.repository ?? '')
      .replace(/^git\+/, '')
      .replace(/\.git$/, '')}/releases/download`;
  if (!/^https?:\/\//.test(base)) {
    log(`no usable repository url in mediasoup's package.json; skipping the prebuilt download`);
    return false;
  }
  // mediasoup's own naming (npm-scripts.mjs): Linux builds are per kernel major version.
  const kernel = os.platform() === 'linux' ? `-kernel${os.release().split('.')[0]}` : '';
  const url = `${base}/${pkg.version}/mediasoup-worker-${pkg.version}-${os.platform()}-${os.arch()}${kernel}.tgz`;
  log(`trying the prebuilt worker ${url} (timeout ${DOWNLOAD_TIMEOUT_MS} ms)`);
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(DOWNLOAD_TIMEOUT_MS) });
    if (!res.ok) {
      log(`prebuilt download failed: HTTP ${res.status}`);
      return false;
    }
    const bin = extractFromTgz(Buffer.from(await res.arrayBuffer()), 'mediasoup-worker');
    if (!bin) {
      log('prebuilt archive holds no mediasoup-worker');
      return false;
    }
    const tmp = `${target}.download-${process.pid}`;
    fs.writeFileSync(tmp, bin, { mode: 0o755 });
    if (!runs(tmp)) {
      log('prebuilt worker does not run on this host (libc?); discarding it');
      fs.rmSync(tmp, { force: true });
      return false;
    }
    fs.renameSync(tmp, target);
    return true;
  } catch (err) {
    log(`prebuilt download failed: ${err instanceof Error ? err.message : String(err)}`);
    return false;
  }
}

function build(version, cacheDir, target) {
  const script = path.join(here, 'build-worker-offline.sh');
  const outDir = path.join(cacheDir, 'build');
  log(`building the worker from source into ${outDir} (about 8 minutes on 2 cores)`);
  const r = spawnSync('bash', [script, version, outDir], {
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
    env: { ...process.env, MEDIASOUP_PKG_DIR: pkgDir },
  });
  if (r.status !== 0) {
    log(`build-worker-offline.sh failed with status ${r.status ?? r.signal}`);
    return false;
  }
  const built = r.stdout.trim().split('\n').pop();
  if (!runs(built)) {
    log(`the built binary ${built} does not run`);
    return false;
  }
  const tmp = `${target}.build-${process.pid}`;
  fs.copyFileSync(built, tmp);
  fs.chmodSync(tmp, 0o755);
  fs.renameSync(tmp, target);
  return true;
}

const pkgDir = mediasoupPackageDir();
const pkg = mediasoupPackage();
const cacheDir = workerCacheDir(cacheRoot(), pkg.version);
const cached = path.join(cacheDir, 'mediasoup-worker');

async function main() {
  const fromEnv = process.env.MEDIASOUP_WORKER_BIN;
  if (fromEnv) {
    if (runs(fromEnv)) return fromEnv;
    log(`MEDIASOUP_WORKER_BIN=${fromEnv} does not run; looking elsewhere`);
  }
  if (runs(cached)) return cached;
  const packaged = path.join(pkgDir, 'worker', 'out', 'Release', 'mediasoup-worker');
  if (runs(packaged)) return packaged;

  fs.mkdirSync(cacheDir, { recursive: true });
  // Two `npm test` or `npm start` at once (or two checkouts sharing the cache) must not build in
  // the same folder: the second one's build deleted the first one's objects mid-link. One builds,
  // the others wait for it and take its binary.
  const release = await lockCache(cacheDir);
  try {
    if (runs(cached)) return cached;
    if (process.env.HOINGHI_SKIP_WORKER_DOWNLOAD !== '1' && (await download(pkg, cached))) return cached;
    if (build(pkg.version, cacheDir, cached)) return cached;
    return null;
  } finally {
    release();
  }
}

/**
 * An exclusive lock on the cache folder: a lock directory (mkdir is atomic) holding the owner's
 * pid. A lock whose owner is gone is taken over; otherwise wait, saying so once a minute.
 */
async function lockCache(dir) {
  const lock = path.join(dir, 'setup.lock');
  const owner = path.join(lock, 'pid');
  for (let waited = 0; ; waited++) {
    try {
      fs.mkdirSync(lock);
      fs.writeFileSync(owner, String(process.pid));
      return () => fs.rmSync(lock, { recursive: true, force: true });
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
    }
    const pid = Number.parseInt(fs.existsSync(owner) ? fs.readFileSync(owner, 'utf8') : '', 10);
    if (!Number.isInteger(pid) || !alive(pid)) {
      // Its owner died (or is still writing its pid: give it a moment before taking over).
      if (waited > 2 || Number.isInteger(pid)) fs.rmSync(lock, { recursive: true, force: true });
    } else if (waited % 60 === 0) {
      log(`another setup (pid ${pid}) is obtaining the worker in ${dir}; waiting for it`);
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

const bin = await main();
if (!bin) {
  log(`could not obtain a mediasoup-worker ${pkg.version} for ${os.platform()}-${os.arch()}.`);
  log('To build it locally install (Debian/Ubuntu, as root):');
  log('  apt-get install -y build-essential patch pkg-config python3-pip libssl-dev libuv1-dev libsrtp2-dev \\');
  log('    libusrsctp-dev libabsl-dev flatbuffers-compiler libflatbuffers-dev');
  log('then run `npm run setup` again, or set MEDIASOUP_WORKER_BIN to a working binary.');
  process.exit(1);
}
process.stdout.write(`${bin}\n`);
