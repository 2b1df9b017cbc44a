/**
 * The offline worker build refuses to produce a worker without the kTLS fix.
 *
 * Runs the real scripts on copies of the installed mediasoup package's worker sources: once as
 * shipped (the patch applies and changes the line), once with the line the patch changes
 * rewritten as an upstream refactor might (the patch step fails, leaves the file untouched, and
 * the whole build stops before installing or compiling anything). Only the patch step runs:
 * the compile that would follow takes minutes and is verified separately (README).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { mediasoupPackage, mediasoupPackageDir } from './worker-location.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const pkgDir = mediasoupPackageDir();
const { version } = mediasoupPackage();
const dtls = path.join('src', 'RTC', 'DtlsTransport.cpp');

const SHIPPED = '(operationType == BIO_CB_RETURN) ? static_cast<long>(ret) : 1;';
const FIXED = '((operationType & BIO_CB_RETURN) != 0) ? static_cast<long>(ret) : 1;';
/** The same bug, written differently: the patch must not find its line. */
const ALTERED = '(BIO_CB_RETURN == operationType) ? static_cast<long>(ret) : 1;';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hoinghi-worker-patch-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A copy of the package (package.json and worker/), optionally with the patched line rewritten. */
function packageCopy(name: string, alter: boolean): string {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir, { recursive: true });
  fs.copyFileSync(path.join(pkgDir, 'package.json'), path.join(dir, 'package.json'));
  fs.cpSync(path.join(pkgDir, 'worker'), path.join(dir, 'worker'), { recursive: true });
  if (alter) {
    const file = path.join(dir, 'worker', dtls);
    const source = fs.readFileSync(file, 'utf8');
    expect(source).toContain(SHIPPED);
    fs.writeFileSync(file, source.replace(SHIPPED, ALTERED));
  }
  return dir;
}

function run(script: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync('bash', [path.join(here, '..', script), ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 60_000,
  });
}

describe(`the kTLS patch for mediasoup ${version}`, () => {
  it('applies to the shipped source and changes exactly the BIO callback line', () => {
    const worker = path.join(packageCopy('shipped', false), 'worker');
    const before = fs.readFileSync(path.join(worker, dtls), 'utf8');
    const r = run('worker-build/apply-patches.sh', [worker, version]);
    expect(r.status, r.stderr).toBe(0);
    const after = fs.readFileSync(path.join(worker, dtls), 'utf8');
    expect(before).toContain(SHIPPED);
    expect(after).not.toContain(SHIPPED);
    expect(after).toContain(FIXED);
    expect(after.split('\n').length).toBe(before.split('\n').length);
    expect(after.replace(FIXED, SHIPPED)).toBe(before);
  });

  it('fails loudly and changes nothing when the line is not found', () => {
    const worker = path.join(packageCopy('altered', true), 'worker');
    const before = fs.readFileSync(path.join(worker, dtls), 'utf8');
    const r = run('worker-build/apply-patches.sh', [worker, version]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/does not apply to mediasoup .*refusing to build a worker without it/);
    expect(fs.readFileSync(path.join(worker, dtls), 'utf8')).toBe(before);
  });

  it('refuses a version it has no patches for', () => {
    const worker = path.join(packageCopy('other-version', false), 'worker');
    const r = run('worker-build/apply-patches.sh', [worker, '3.19.99']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/no patches for mediasoup 3\.19\.99/);
  });

  it('stops the offline build before it installs or compiles anything', () => {
    const pkg = packageCopy('build-altered', true);
    const out = path.join(tmp, 'build-out');
    const r = run('build-worker-offline.sh', [version, out], { MEDIASOUP_PKG_DIR: pkg });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/does not apply to mediasoup .*refusing to build a worker without it/);
    // no worker on stdout, no build folder, no build tools fetched
    expect(r.stdout.trim()).toBe('');
    const left = fs.readdirSync(out);
    expect(left.filter((f) => f.startsWith('build-') || f === 'tools')).toEqual([]);
    // the source it refused is not marked patched, so a rerun does not build it either
    expect(fs.existsSync(path.join(out, `src-${version}`, 'package', '.hoinghi-patched'))).toBe(false);
  });
});
