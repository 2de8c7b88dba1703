import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    globalSetup: ['tests/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Every suite shares one throwaway database; suites create their own fixtures.
    fileParallelism: true,
    pool: 'forks',
    reporters: ['default', './tests/support/summary-reporter.ts'],
  },
});
