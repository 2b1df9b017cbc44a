/**
 * The dependency rule of docs/ARCHITECTURE.md, checked by `npm run lint` (part of `npm test`):
 * every arrow points down — server → web → api → sfu → db — with no cycles. Tests may import
 * anything; code may not import tests. Browser code (web/<feature>/browser) reaches the server
 * only through HTTP and the signaling protocol, so it imports no server-only module at run time.
 */
const code = '^(server|web|api|sfu|db)/';
const notTests = '(^tests/|\\.test\\.tsx?$|\\.test-support\\.ts$|test-fixtures\\.ts$)';

/** `from` may not import any of the `to` folders (runtime or type imports alike). */
const layer = (name, from, to) => ({
  name,
  severity: 'error',
  comment: `${from} sits above ${to.join(', ')} only; see docs/ARCHITECTURE.md`,
  from: { path: `^${from}/`, pathNot: notTests },
  to: { path: `^(${to.join('|')})/` },
});

module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'cycles make the layers meaningless', from: {}, to: { circular: true } },
    layer('db-is-the-bottom', 'db', ['sfu', 'api', 'web', 'server', 'tests']),
    layer('sfu-uses-db-only', 'sfu', ['api', 'web', 'server', 'tests']),
    layer('api-is-below-web', 'api', ['web', 'server', 'tests']),
    layer('web-is-below-server', 'web', ['server', 'tests']),
    {
      name: 'browser-code-stays-in-the-browser',
      severity: 'error',
      comment: 'browser bundles may use the protocol, texts and types, never server modules at run time',
      from: { path: '^web/[^/]+/browser/' },
      to: { path: '^(server|db)/|^api/(?!i18n/)', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'no-node-builtins-in-the-browser',
      severity: 'error',
      from: { path: '^web/[^/]+/browser/' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'code-does-not-import-tests',
      severity: 'error',
      from: { path: code, pathNot: notTests },
      to: { path: '(^tests/|\\.test-support\\.ts$|test-fixtures\\.ts$)' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|data|web/dist)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.tsx', '.js', '.mjs'] },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
