import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // e2e suites spawn real server processes; two cores, so keep files from piling up
    maxWorkers: 2,
  },
});
