import { Command } from 'commander';
import { createRandom } from '../../sut/db/random.ts';
import { RowSampler } from '../../sut/db/row-sampler.ts';
import { seedProgress } from '../../sut/db/seeder.ts';
import { applyBatch } from '../../sut/repository/batch-increment-repository.ts';
import { loadVariants } from '../../sut/sql/variant-registry.ts';
import { withDatabase } from '../db/with-database.ts';
import { createTable } from '../lib/table.ts';
import { UsageError } from '../lib/usage-error.ts';
import type { Logger } from '../lib/logger.ts';
import { positiveInt } from '../lib/option-parsers.ts';
import {
  addDatabaseOptions,
  addSeedOptions,
  seedSharesOf,
  type DatabaseOptions,
  type SeedTableOptions,
} from './common-options.ts';
import { formatRate } from './seed-command.ts';

interface CheckOptions extends DatabaseOptions, SeedTableOptions {
  batchSize: number;
  rounds: number;
  variant?: string[];
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/**
 * `harness check`: the release check. Provisions PostgreSQL, migrates, seeds, then applies
 * batches of one size with every SQL variant, interleaved round by round so that drift hits
 * all variants alike, and checks that each batch updated every row it named.
 */
export function checkCommand(logger: () => Logger): Command {
  const command = new Command('check').description(
    'the release check: provision PostgreSQL, migrate, seed, apply batches with every SQL variant and print timings',
  );
  addSeedOptions(addDatabaseOptions(command))
    .option(
      '--batch-size <n>',
      'rows per batch (production flushes carry ~60)',
      positiveInt('--batch-size'),
      60,
    )
    .option('--rounds <n>', 'batches per variant, interleaved', positiveInt('--rounds'), 20)
    .option(
      '--variant <name...>',
      'SQL variants to apply (default: every file in sut/sql/variants/)',
    );
  return command.action(async (options: CheckOptions) => {
    const log = logger();
    const variants = await loadVariants(options.variant);
    if (options.batchSize > options.players * options.goals) {
      throw new UsageError(
        `--batch-size ${options.batchSize} exceeds the ${options.players * options.goals} rows seeded (--players x --goals); a batch names distinct rows`,
      );
    }
    await withDatabase(
      { source: options.db, logger: log, createPostgresUser: options.createPostgresUser },
      async ({ database, client, serverVersion }) => {
        const out = process.stdout;
        out.write(
          `PostgreSQL ${serverVersion} (${database.kind}${database.kind === 'embedded' ? `, started in ${(database.startupMs / 1000).toFixed(2)} s` : ''})\n`,
        );
        const seeded = await seedProgress(client, {
          players: options.players,
          goalsPerPlayer: options.goals,
          seed: options.seed,
          shares: seedSharesOf(options),
        });
        out.write(
          `seeded ${seeded.rows.toLocaleString('en-US')} rows in ${(seeded.ms / 1000).toFixed(2)} s (${formatRate(seeded.rowsPerSecond)} rows/s)\n`,
        );
        const sampler = await RowSampler.load(client, seeded.catalogue, createRandom(options.seed));
        if (options.batchSize > sampler.capacity) {
          throw new UsageError(
            `--batch-size ${options.batchSize} exceeds the ${sampler.capacity} updatable rows seeded (active, not claimed); a batch names distinct rows`,
          );
        }
        const timings = new Map(variants.map((v) => [v.name, [] as number[]]));
        for (let round = 0; round < options.rounds; round++) {
          for (const variant of variants) {
            const batch = sampler.batch(options.batchSize);
            const started = performance.now();
            const { rowsUpdated } = await applyBatch(client, variant, batch);
            const ms = performance.now() - started;
            if (rowsUpdated !== batch.length) {
              throw new Error(
                `${variant.name} updated ${rowsUpdated} rows of a ${batch.length}-row batch of updatable rows`,
              );
            }
            timings.get(variant.name)?.push(ms);
          }
        }
        const table = createTable([
          'Variant',
          'Batch Size',
          'Median',
          'Min',
          'Max',
          'ms/row',
          'Throughput',
        ]);
        for (const variant of variants) {
          const t = timings.get(variant.name) ?? [];
          const med = median(t);
          table.push([
            variant.name,
            `${options.batchSize} rows`,
            `${med.toFixed(2)} ms`,
            `${Math.min(...t).toFixed(2)} ms`,
            `${Math.max(...t).toFixed(2)} ms`,
            (med / options.batchSize).toFixed(3),
            `${formatRate((options.batchSize * 1000) / med)} rows/s`,
          ]);
        }
        out.write(`${table.toString()}\n`);
        out.write(
          `${options.rounds} batch${options.rounds === 1 ? '' : 'es'} per variant, interleaved; every batch updated all ${options.batchSize} rows it named.\n`,
        );
      },
    );
  });
}
