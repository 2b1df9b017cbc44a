/**
 * zod as the browser bundles see it (web/build-assets.ts resolves every `import … from 'zod'` in
 * browser code to this module): `jitless` is set before any schema is built, because zod probes
 * `new Function` when a schema is created and that probe is a CSP violation on our pages.
 */
import { z } from 'zod';

z.config({ jitless: true });

export * from 'zod';
