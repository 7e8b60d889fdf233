import type pg from 'pg';
import type { SerializedBatch } from '../../sut/repository/batch-increment-repository.ts';
import type { SqlVariant } from '../../sut/sql/variant-registry.ts';

export interface ExplainSample {
  readonly planningMs: number;
  readonly executionMs: number;
  readonly sharedHit: number;
  readonly sharedRead: number;
}

interface ExplainJson {
  'Planning Time': number;
  'Execution Time': number;
  Plan: { 'Shared Hit Blocks'?: number; 'Shared Read Blocks'?: number };
}

/**
 * EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) of one batch, inside a transaction that is rolled
 * back: PostgreSQL's own split of planning and execution, apart from the timed batches
 * (EXPLAIN ANALYZE adds instrumentation overhead, so its times are not mixed with them).
 */
export async function explainBatch(
  client: pg.ClientBase,
  variant: SqlVariant,
  batch: SerializedBatch,
): Promise<ExplainSample> {
  await client.query('BEGIN');
  try {
    const { rows } = await client.query<{ 'QUERY PLAN': ExplainJson[] }>(
      `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${variant.sql}`,
      [...batch.values],
    );
    const plan = rows[0]?.['QUERY PLAN'][0];
    if (plan === undefined) throw new Error(`EXPLAIN of ${variant.name} returned no plan`);
    return {
      planningMs: plan['Planning Time'],
      executionMs: plan['Execution Time'],
      sharedHit: plan.Plan['Shared Hit Blocks'] ?? 0,
      sharedRead: plan.Plan['Shared Read Blocks'] ?? 0,
    };
  } finally {
    await client.query('ROLLBACK');
  }
}
