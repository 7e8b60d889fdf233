import type pg from 'pg';
import type { SqlVariant } from '../sql/variant-registry.ts';
import { booleanArrayLiteral, integerArrayLiteral, textArrayLiteral } from './array-literal.ts';
import {
  assertValidBatch,
  toBatchParameters,
  type ProgressIncrement,
} from '../model/progress-increment.ts';

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

/**
 * A validated batch with its seven parameters already serialised to PostgreSQL array
 * literals (array-literal.ts). Building it is all the client-side work a
 * flush does; keeping it apart lets the sweep time it apart from the round trip.
 */
export interface SerializedBatch {
  readonly size: number;
  readonly values: readonly (string | null)[];
}

export function preparedStatementName(variant: SqlVariant): string {
  return `batch_increment_${variant.name}`;
}

/** Validates (bad input never reaches SQL) and serialises a batch. */
export function serializeBatch(increments: readonly ProgressIncrement[]): SerializedBatch {
  assertValidBatch(increments);
  const [userIds, goalIds, challengeIds, namespaces, deltas, targets, daily] =
    toBatchParameters(increments);
  return {
    size: increments.length,
    values: [
      textArrayLiteral(userIds),
      textArrayLiteral(goalIds),
      textArrayLiteral(challengeIds),
      textArrayLiteral(namespaces),
      integerArrayLiteral(deltas),
      integerArrayLiteral(targets),
      booleanArrayLiteral(daily),
    ],
  };
}

/**
 * Runs a prepared batch with the SQL variant as one statement: PostgreSQL runs a lone
 * statement as its own transaction, so a batch applies whole or not at all, in a single
 * round trip, as the production service's Exec does. (Explicit BEGIN/COMMIT would add two
 * round trips to every flush.)
 */
export async function executeBatch(
  client: pg.ClientBase,
  variant: SqlVariant,
  batch: SerializedBatch,
  options: ApplyBatchOptions = {},
): Promise<ApplyBatchResult> {
  if (batch.size === 0) return { rowsUpdated: 0 };
  const values = [...batch.values];
  const result = await client.query(
    options.prepared === true
      ? { name: preparedStatementName(variant), text: variant.sql, values }
      : { text: variant.sql, values },
  );
  return { rowsUpdated: result.rowCount ?? 0 };
}

/** BatchIncrementProgress: validate, serialise and apply one batch as one transaction. */
export async function applyBatch(
  client: pg.ClientBase,
  variant: SqlVariant,
  increments: readonly ProgressIncrement[],
  options: ApplyBatchOptions = {},
): Promise<ApplyBatchResult> {
  return executeBatch(client, variant, serializeBatch(increments), options);
}
