import { defineConfig } from 'vitest/config';

/**
 * Two projects: `unit` needs nothing (no database, no broker) and runs on its own with
 * `npm run test:unit`; `integration` (files named *.integration.test.ts and
 * *.property.test.ts) gets the run's PostgreSQL and Kafka broker from the global setups.
 * `npm test` runs both.
 */
const INTEGRATION = ['**/*.integration.test.ts', '**/*.property.test.ts'];
const ALWAYS_EXCLUDED = ['node_modules/**', 'results/runs/**'];

export default defineConfig({
  test: {
    reporters: ['default', './scripts/testing/closing-line-reporter.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two cores: more workers than that only adds contention for the one PostgreSQL.
    maxWorkers: 2,
    // Stops a harness process a test left running (it timed out) before the next test starts.
    setupFiles: ['scripts/testing/harness-runs-setup.ts'],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['**/*.test.ts'],
          exclude: [...ALWAYS_EXCLUDED, ...INTEGRATION],
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: INTEGRATION,
          // A whole run (seed, warm-up, measured part, audit) takes 30-40 s alone and more than
          // 60 s beside the other worker's fault matrix on two cores; a hung test still fails.
          testTimeout: 180_000,
          exclude: ALWAYS_EXCLUDED,
          globalSetup: [
            'scripts/testing/postgres-global-setup.ts',
            'scripts/testing/kafka-global-setup.ts',
          ],
        },
      },
    ],
  },
});
