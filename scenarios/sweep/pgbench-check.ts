import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type pg from 'pg';
import type { PgbenchCheck } from '../../results/schema/result-schema.ts';
import {
  executeBatch,
  type SerializedBatch,
} from '../../sut/repository/batch-increment-repository.ts';
import type { SqlVariant } from '../../sut/sql/variant-registry.ts';
import { sessionOptions } from '../../sut/db/pool.ts';

const execFileAsync = promisify(execFile);
const TARGET_MS = 2000;

export async function findPgbench(): Promise<string | undefined> {
  try {
    await execFileAsync('pgbench', ['--version']);
    return 'pgbench';
  } catch {
    return undefined;
  }
}

/**
 * The variant as a pgbench script statement: $1..$7 become pgbench variables :p1..:p7, which
 * pgbench's extended protocol sends as bind parameters, exactly as the harness does.
 */
export function pgbenchStatement(variant: SqlVariant): string {
  return variant.sql.replace(/\$([1-7])(?!\d)/g, ':p$1');
}

const mean = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / values.length;

function parseLatency(output: string): number {
  const match = /latency average = ([\d.]+) ms/.exec(output);
  if (match?.[1] === undefined)
    throw new Error(`could not read pgbench's latency from:\n${output}`);
  return Number(match[1]);
}

/**
 * The same statement with the same batch, timed by pgbench and by the harness, alternately
 * (harness, pgbench, harness, pgbench) so drift hits both. pgbench runs the lone UPDATE
 * in autocommit like the harness's flush, over the extended protocol with the
 * seven arrays as parameters (unnamed statements, parsed and planned each time), as the
 * harness sends them unprepared.
 */
export async function pgbenchCheck(
  client: pg.ClientBase,
  url: string,
  variant: SqlVariant,
  batch: SerializedBatch,
  medianMs: number,
  schema: string,
): Promise<PgbenchCheck> {
  const transactions = Math.max(
    10,
    Math.min(500, Math.round(TARGET_MS / Math.max(medianMs, 0.1) / 2)),
  );
  const dir = await mkdtemp(join(tmpdir(), 'harness-pgbench-'));
  try {
    const script = join(dir, `${variant.name}.sql`);
    await writeFile(script, `${pgbenchStatement(variant)};\n`);
    const variables = batch.values.flatMap((value, i) => ['-D', `p${i + 1}=${value ?? ''}`]);
    const harness: number[] = [];
    const bench: number[] = [];
    for (let pass = 0; pass < 2; pass++) {
      const t0 = performance.now();
      for (let i = 0; i < transactions; i++) await executeBatch(client, variant, batch);
      harness.push((performance.now() - t0) / transactions);
      const { stdout } = await execFileAsync(
        'pgbench',
        [
          '-n',
          '-M',
          'extended',
          '-c',
          '1',
          '-t',
          String(transactions),
          ...variables,
          '-f',
          script,
          url,
        ],
        {
          maxBuffer: 10 * 1024 * 1024,
          // The statement names its table schema-qualified; the session still gets the
          // harness's time zone and search_path, as every harness connection does.
          env: { ...process.env, PGOPTIONS: sessionOptions(schema) },
        },
      );
      bench.push(parseLatency(stdout));
    }
    const harnessMeanMs = mean(harness);
    const pgbenchMeanMs = mean(bench);
    return {
      variant: variant.name,
      size: batch.size,
      transactions: transactions * 2,
      pgbenchMeanMs,
      harnessMeanMs,
      differencePercent: ((harnessMeanMs - pgbenchMeanMs) / pgbenchMeanMs) * 100,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
