import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    pool: 'forks',
    // Tests write perf data to fresh temp folders; caching their decoded tables would only fill
    // the user's cache. The cache's own test points it at a temp folder.
    env: { INFERPLAN_CACHE: 'off' },
  },
});
