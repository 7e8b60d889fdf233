import { Command } from 'commander';
import { formatInteger } from '../../lib/format.ts';
import { seedProgress } from '../../sut/db/seeder.ts';
import { withDatabase } from '../db/with-database.ts';
import type { Logger } from '../../lib/logger.ts';
import { seedingProgress } from '../lib/progress.ts';
import {
  addDatabaseOptions,
  databaseFrom,
  addSeedOptions,
  seedSharesOf,
  type DatabaseOptions,
  type SeedTableOptions,
} from './common-options.ts';

/** `harness seed`: migrate and fill the progress table on the chosen database. */
export function seedCommand(logger: () => Logger): Command {
  const command = new Command('seed').description(
    "create the harness's schema and fill its user_goal_progress (or your --table) with players x goals rows (COPY)",
  );
  addSeedOptions(addDatabaseOptions(command));
  return command.action(async (options: DatabaseOptions & SeedTableOptions) => {
    const log = logger();
    await withDatabase(databaseFrom(options, log), async ({ client, table }) => {
      const seeding = seedingProgress(log, table.label);
      const result = await seedProgress(client, {
        onProgress: seeding.onProgress,
        players: options.players,
        goalsPerPlayer: options.goals,
        seed: options.seed,
        shares: seedSharesOf(options),
        table,
        fresh: options.freshTable,
      }).finally(() => {
        seeding.stop();
      });
      process.stdout.write(
        `seeded ${table.label}: ${result.rows.toLocaleString('en-US')} rows in ${(result.ms / 1000).toFixed(2)} s (${formatInteger(result.rowsPerSecond)} rows/s)\n`,
      );
    });
  });
}
