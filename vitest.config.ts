import { defineConfig } from 'vitest/config';

// Tests share two cores with real mediasoup workers, PostgreSQL and Chromium: keep the pool
// small and the timeouts generous, and never assert on wall-clock time.
export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', 'data/**'],
    globalSetup: ['tests/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 240_000,
    pool: 'forks',
    maxWorkers: 2,
    fileParallelism: true,
    // Under CI also a JSON report, from which .ci/run prints the plain 'N passed, N failed' line.
    reporters: process.env.CI ? ['default', ['json', { outputFile: '.ci/vitest-report.json' }]] : ['default'],
  },
});
