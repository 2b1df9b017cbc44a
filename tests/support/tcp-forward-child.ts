/**
 * Child process for tests/support/netns.ts: runs TCP forwarding routes inside a network
 * namespace (it is started with `ip netns exec`), prints "ready" once every route listens, and
 * stops on SIGTERM or when its stdin closes: a test process that dies without closing it must
 * not leave it holding the namespace (and the veth pair) alive.
 *
 *   ip netns exec <ns> node --import tsx tcp-forward-child.ts '<routes as JSON>'
 */
import { forward, type Route } from './tcp-forward.ts';

const close = await forward(JSON.parse(process.argv[2] ?? '[]') as Route[]);
process.stdout.write('ready\n');
const stop = () => void close().then(() => process.exit(0));
process.once('SIGTERM', stop);
process.stdin.once('close', stop).resume();
