import type pg from 'pg';
import { collectEnvironment, type Environment } from '../../results/environment.ts';
import { connectClient } from '../../sut/db/pool.ts';
import { migrate } from '../../sut/db/migrate.ts';
import { DEFAULT_HARNESS_SCHEMA } from '../../sut/db/harness-schema.ts';
import { DEFAULT_SEED_SHARES, seedProgress } from '../../sut/db/seeder.ts';
import { provisionPostgres } from '../db/provision-postgres.ts';
import type { ProvisionedDatabase } from '../../scenarios/engine/provisioned-database.ts';
import { createLogger } from '../../lib/logger.ts';
import { PRODUCTION } from '../../sut/production-defaults.ts';

export interface BenchDatabase {
  readonly database: ProvisionedDatabase;
  readonly client: pg.Client;
  /** The harness's schema on it. */
  readonly schema: string;
  /** Where the benchmark runs, for its results JSON. */
  readonly env: Environment;
  /** (Re)fills the table with the benchmarks' seed: 10,000 players x 50 goals, seed 42. */
  seed(): Promise<void>;
  stop(): Promise<void>;
}

/** The database every PostgreSQL benchmark measures against: embedded, full durability, migrated. */
export async function startBenchDatabase(
  settings: Readonly<Record<string, string>> = {},
): Promise<BenchDatabase> {
  const database = await provisionPostgres({
    source: 'embedded',
    logger: createLogger('warn'),
    settings,
  });
  const client = await connectClient(database.url);
  await migrate(client);
  const env = await collectEnvironment(client, database.kind);
  return {
    database,
    client,
    schema: DEFAULT_HARNESS_SCHEMA,
    env,
    async seed() {
      await seedProgress(client, {
        players: PRODUCTION.players,
        goalsPerPlayer: PRODUCTION.goalsPerPlayer,
        seed: PRODUCTION.seed,
        shares: DEFAULT_SEED_SHARES,
      });
    },
    async stop() {
      await client.end();
      await database.stop();
    },
  };
}
