import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', 'results/runs/**'],
    reporters: ['default', './scripts/testing/closing-line-reporter.ts'],
    globalSetup: ['scripts/testing/postgres-global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two cores: more workers than that only adds contention for the one PostgreSQL.
    maxWorkers: 2,
  },
});
