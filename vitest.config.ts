import { defineConfig } from 'vitest/config';

// Two projects: unit tests of the pure core need nothing; integration tests
// run against the real local stack, which the global setup starts when it is
// not already running (and stops afterwards if it started it).
export default defineConfig({
  test: {
    // In CI also write a JSON report, from which .ci/run prints the plain "N passed, N failed" line.
    reporters: process.env.CI ? ['default', ['json', { outputFile: '.warden/vitest-report.json' }]] : ['default'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['shared/**/*.test.ts', 'services/**/*.test.ts', 'cli/**/*.test.ts', 'test/unit/**/*.test.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          // test/browser: the web console in headless Chromium, against the same stack.
          include: ['test/integration/**/*.test.ts', 'test/reliability/**/*.test.ts', 'test/security/**/*.test.ts', 'test/browser/**/*.test.ts'],
          globalSetup: ['test/globalSetup.ts'],
          testTimeout: 60_000,
          hookTimeout: 180_000,
          // One file at a time: they share one broker and 2 cores.
          fileParallelism: false,
        },
      },
    ],
  },
});
