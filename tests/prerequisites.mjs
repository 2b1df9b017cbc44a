#!/usr/bin/env node
// Makes sure the machine has what the test suite drives for real: a PostgreSQL server (its
// binaries; vitest's global setup starts a throwaway cluster), Debian's Chromium and Firefox ESR,
// the openssl command (the fault tests' synthetic sites do their DTLS handshakes with it), coturn's
// turnserver (the browser suite relays a TLS-only site through it), and the ip command of iproute2
// (the Firefox test puts its browsers in a network namespace of its own). As root on
// Debian it installs what is missing with apt-get; elsewhere it says what to install and fails.
// Plain Node, no dependencies: it runs before anything else in `npm test`.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';

const hasPostgres = () =>
  existsSync('/usr/lib/postgresql') && readdirSync('/usr/lib/postgresql').some((v) => existsSync(`/usr/lib/postgresql/${v}/bin/initdb`));
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const hasChromium = () => existsSync(chromiumPath);
const firefoxPath = process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr';
const hasFirefox = () => existsSync(firefoxPath);
const hasOpenssl = () => ['/usr/bin/openssl', '/bin/openssl', '/usr/local/bin/openssl'].some(existsSync);
const hasCoturn = () => ['/usr/bin/turnserver', '/usr/local/bin/turnserver'].some(existsSync);
const hasIp = () => ['/usr/sbin/ip', '/sbin/ip', '/usr/bin/ip', '/bin/ip'].some(existsSync);

const missing = [];
if (!hasPostgres()) missing.push('postgresql');
if (!hasChromium()) missing.push('chromium');
if (!hasFirefox()) missing.push('firefox-esr');
if (!hasOpenssl()) missing.push('openssl');
if (!hasCoturn()) missing.push('coturn');
if (!hasIp()) missing.push('iproute2');
if (missing.length === 0) process.exit(0);

const isRoot = process.getuid?.() === 0;
const hasApt = existsSync('/usr/bin/apt-get');
if (isRoot && hasApt) {
  process.stdout.write(`tests: installing ${missing.join(', ')} with apt-get\n`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', ...missing], { stdio: 'inherit', env });
  if (hasPostgres() && hasChromium() && hasFirefox() && hasOpenssl() && hasCoturn() && hasIp()) process.exit(0);
}
process.stderr.write(
  `tests: missing ${missing.join(' and ')}.\n` +
    `  Install them (Debian/Ubuntu: sudo apt-get install ${missing.join(' ')}), or point CHROMIUM_PATH at a Chromium,\n` +
    `  FIREFOX_PATH at a Firefox ESR\n` +
    `  and TEST_POSTGRES_URL at a PostgreSQL database the tests may create databases in.\n`,
);
process.exit(1);
