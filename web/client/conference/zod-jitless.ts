/**
 * Imported first by the conference pages, before anything that builds a zod schema.
 *
 * zod 4 compiles object parsers with `new Function` after probing whether eval is allowed.
 * Our pages' CSP forbids eval, so the probe fails safely but Firefox reports it as a CSP
 * violation on every page load. Jitless parsing never probes; the signaling messages are small,
 * so the compiled fast path buys nothing here. zod reads this flag when a schema is created,
 * hence its own module, evaluated before sfu/protocol.ts.
 */
import { z } from 'zod';

z.config({ jitless: true });
