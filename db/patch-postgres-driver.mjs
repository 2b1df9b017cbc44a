#!/usr/bin/env node
// Repairs a known defect of the postgres.js driver (postgres 3.4.x, still open upstream:
// porsager/postgres issues #1066, #1154, #1208) in the installed copy. Run by `npm run setup`,
// so `npm start`, `npm test` and CI get it after every install. Idempotent.
//
// The defect: small writes wait for a setImmediate. When a connection's socket closes while
// one waits (PostgreSQL crashed or restarted), closed()/terminate() cancel the immediate but
// leave `nextWriteTimer` set and the stale bytes in `chunk`. From then on that connection never
// sends anything again (not even its startup message on reconnect), so the pool slowly fills
// with dead connections and the app cannot reach a restarted server without being restarted
// itself; and an immediate that does fire after the close writes to a null socket and throws
// from the timer, which no caller can catch: the whole process exits. tests/faults/
// postgres-crash.test.ts shows both on an unpatched driver.
//
// The repair (the guard proposed upstream, plus the reset): teardown also forgets the pending
// write, and a write that finds no socket fails the connection's queries with CONNECTION_CLOSED
// (the caller retries) instead of throwing.
//
// Plain Node with builtins only.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const MARK = '/* hoinghi: nextWrite guard */';

const edits = [
  {
    what: 'nextWrite on a closed socket fails the queries instead of throwing',
    from: `  function nextWrite(fn) {
    const x = socket.write(chunk, fn)`,
    to: `  function nextWrite(fn) {
    ${MARK}
    if (!socket) {
      nextWriteTimer !== null && clearImmediate(nextWriteTimer)
      chunk = nextWriteTimer = null
      error(Errors.connection('CONNECTION_CLOSED', options))
      return false
    }
    const x = socket.write(chunk, fn)`,
  },
  {
    what: 'terminate() forgets the pending write',
    from: `    clearImmediate(nextWriteTimer)
    if (socket) {`,
    to: `    clearImmediate(nextWriteTimer)
    chunk = nextWriteTimer = null
    if (socket) {`,
  },
  {
    what: 'closed() forgets the pending write',
    from: `    clearImmediate(nextWriteTimer)
    socket.removeListener('data', data)`,
    to: `    clearImmediate(nextWriteTimer)
    chunk = nextWriteTimer = null
    socket.removeListener('data', data)`,
  },
];

function log(msg) {
  process.stderr.write(`[patch-postgres-driver] ${msg}\n`);
}

// The package exports no ./package.json: find it above the entry point.
let root = path.dirname(require.resolve('postgres'));
while (!fs.existsSync(path.join(root, 'package.json')) || JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).name !== 'postgres') {
  const up = path.dirname(root);
  if (up === root) throw new Error('postgres package.json not found');
  root = up;
}
const { version } = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
let failed = false;

// src/ is what `import 'postgres'` loads; cjs/src/ what `require('postgres')` loads.
for (const rel of ['src/connection.js', 'cjs/src/connection.js']) {
  const file = path.join(root, rel);
  if (!fs.existsSync(file)) continue;
  const source = fs.readFileSync(file, 'utf8');
  if (source.includes(MARK)) continue;
  if (!source.includes('chunk = nextWriteTimer = null')) {
    log(`postgres ${version} ${rel}: the write scheduler changed; check whether upstream fixed #1208 and drop this script`);
    continue;
  }
  const missing = edits.filter((e) => source.split(e.from).length !== 2);
  if (missing.length > 0) {
    log(`postgres ${version} ${rel}: cannot apply (${missing.map((e) => e.what).join('; ')}): the driver can take the app down when PostgreSQL restarts`);
    failed = true;
    continue;
  }
  const patched = edits.reduce((s, e) => s.replace(e.from, e.to), source);
  // Written aside and renamed: a process loading the driver meanwhile sees one version or the other.
  const tmp = `${file}.hoinghi-${process.pid}`;
  fs.writeFileSync(tmp, patched);
  fs.renameSync(tmp, file);
  log(`postgres ${version} ${rel}: patched (${edits.map((e) => e.what).join('; ')})`);
}
process.exit(failed ? 1 : 0);
