import type pg from 'pg';
import type { SqlVariant } from '../sql/variant-registry.ts';
import {
  assertValidBatch,
  toBatchParameters,
  type ProgressIncrement,
} from './progress-increment.ts';

export interface ApplyBatchOptions {
  /**
   * Run the variant as a named prepared statement (parsed once per connection; PostgreSQL
   * may switch to a generic plan after five executions), as drivers with statement caches
   * do. Unprepared, every call is parsed and planned anew.
   */
  readonly prepared?: boolean;
}

export interface ApplyBatchResult {
  /** Rows the UPDATE changed: existing, active, unclaimed rows named by the batch. */
  readonly rowsUpdated: number;
}

export function preparedStatementName(variant: SqlVariant): string {
  return `batch_increment_${variant.name}`;
}

/**
 * BatchIncrementProgress: applies one batch with the named SQL variant in one transaction
 * on the given connection. The batch is validated first, so bad input never reaches SQL;
 * an error inside the transaction rolls it back and leaves the table as it was.
 */
export async function applyBatch(
  client: pg.ClientBase,
  variant: SqlVariant,
  increments: readonly ProgressIncrement[],
  options: ApplyBatchOptions = {},
): Promise<ApplyBatchResult> {
  assertValidBatch(increments);
  if (increments.length === 0) return { rowsUpdated: 0 };
  const values = toBatchParameters(increments);
  const query =
    options.prepared === true
      ? { name: preparedStatementName(variant), text: variant.sql, values }
      : { text: variant.sql, values };
  await client.query('BEGIN');
  try {
    const result = await client.query(query);
    await client.query('COMMIT');
    return { rowsUpdated: result.rowCount ?? 0 };
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  }
}
