import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import {
  StalePositionError,
  type BatchWriter,
  type DeadLetter,
  type FlushFence,
  type WriteOutcome,
} from '../buffer/batch-writer.ts';
import { connectClient } from '../db/pool.ts';
import { DEFAULT_HARNESS_SCHEMA } from '../db/harness-schema.ts';
import type { SqlVariant } from '../sql/variant-registry.ts';
import {
  executeBatch,
  preparedStatementName,
  serializeBatch,
  type SerializedBatch,
} from './batch-increment-repository.ts';
import { FlushTransaction } from './flush-transaction.ts';
import { isContentError } from './content-error.ts';
import type { OffsetStore } from './offset-store.ts';
import {
  incrementProblem,
  InvalidBatchError,
  storableForm,
  type ProgressIncrement,
} from '../model/progress-increment.ts';

/** SQLSTATEs of the fence functions (migration 0003). */
const ALREADY_APPLIED = 'HF001';
const STALE_POSITION = 'HF002';

function sqlstate(error: unknown): string | undefined {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * The server gives up on a client that stops answering after about 25 s (10 s idle, then 3
 * probes 5 s apart). idle_in_transaction_session_timeout only runs while the server waits
 * between transactions' statements after a Sync; a flush's one write cut off part way (the
 * link lost mid-write) leaves the server waiting inside the write with the fence's row
 * locked, and only the connection's death ends that.
 */
const SERVER_KEEPALIVES = `SELECT set_config('tcp_keepalives_idle', '10', false),
  set_config('tcp_keepalives_interval', '5', false),
  set_config('tcp_keepalives_count', '3', false)`;

export interface PostgresBatchWriterOptions {
  readonly url: string;
  /** The variant, already aimed at its table (variantFor). */
  readonly variant: SqlVariant;
  readonly prepared: boolean;
  /** The harness's schema: fence, offsets and dead letters live there. */
  readonly schema?: string;
  /** Where log positions go; required for `log` fences (the Kafka transport). */
  readonly offsets?: OffsetStore;
  /** Written with dead letters, to tell the transports' apart. */
  readonly transport?: 'http' | 'kafka';
  /**
   * false: a `sequence` flush is the variant alone in autocommit, with no fence, as the
   * production service writes it. A retry after a lost COMMIT reply then applies its batch
   * twice: this exists to show that (tests, fault scenarios), never as a default.
   */
  readonly fenced?: boolean;
}

/**
 * Flushes through a SQL variant, one connection per partition (as the service's flush
 * workers each hold one). A connection that failed is dropped and opened again on the next
 * flush, so a database restart costs retries, not the process.
 *
 * A flush is one transaction in one round trip: the fence (claim_flush for HTTP,
 * advance_offset for Kafka) and the variant, sent together as one implicit transaction
 * (FlushTransaction). The fence makes a retry of the same batch safe whatever happened to the
 * first attempt. When the variant fails
 * for what the batch holds, the batch is applied again in one transaction with savepoints,
 * halving around the failure until the increments the database refuses are found; those go to
 * dead_letters in the same transaction, and everything else is applied.
 */
export class PostgresBatchWriter implements BatchWriter {
  private readonly clients = new Map<number, Promise<pg.Client>>();
  /** This process's name in flush_fence: a restarted service starts its sequences anew. */
  readonly instanceId = randomUUID();
  private readonly schema: string;

  constructor(private readonly options: PostgresBatchWriterOptions) {
    this.schema = options.schema ?? DEFAULT_HARNESS_SCHEMA;
  }

  private client(partition: number): Promise<pg.Client> {
    let client = this.clients.get(partition);
    if (client === undefined) {
      client = connectClient(this.options.url, this.schema, {
        // A flush goes out as one implicit transaction (FlushTransaction), a submittable pg
        // runs only outside pipeline mode; everything else on the connection is sequential.
        pipeline: false,
        // A retry waiting on the row lock of a first attempt that is still open gives up
        // after this and tries again later, instead of holding the partition indefinitely.
        lock_timeout: 5000,
        // A first attempt cut off mid-transaction (a black-holed link) releases its locks.
        idle_in_transaction_session_timeout: 30_000,
        keepAlive: true,
      }).then(async (c) => {
        // A broken connection emits 'error' between queries; forget it so the next flush reconnects.
        c.on('error', () => {
          this.forget(partition, c);
        });
        try {
          await c.query(SERVER_KEEPALIVES);
        } catch (error) {
          c.end().catch(() => undefined);
          throw error;
        }
        return c;
      });
      client.catch(() => this.clients.delete(partition));
      this.clients.set(partition, client);
    }
    return client;
  }

  private forget(partition: number, client: pg.Client): void {
    // The partition may hold a newer connection attempt by now; a failure of that one is
    // its own flush's to report.
    this.clients.get(partition)?.then(
      (current) => {
        if (current === client) this.clients.delete(partition);
      },
      () => undefined,
    );
  }

  /** The connection a partition's flushes use (the Kafka source claims offsets on it too). */
  connection(partition: number): Promise<pg.Client> {
    return this.client(partition);
  }

  async write(
    partition: number,
    increments: readonly ProgressIncrement[],
    fence: FlushFence,
  ): Promise<WriteOutcome> {
    let batch: SerializedBatch | undefined;
    try {
      batch = serializeBatch(increments);
    } catch (error) {
      // Content no flush can write reached the buffer (the door checks the same rules, so
      // this is a guard): those increments are set aside, the rest is written.
      if (!(error instanceof InvalidBatchError)) throw error;
    }
    const client = await this.client(partition);
    try {
      if (batch === undefined) {
        const refused: DeadLetter[] = [];
        const valid = increments.filter((increment) => {
          const problem = incrementProblem(increment);
          if (problem !== undefined) refused.push({ increment, sqlstate: undefined, problem });
          return problem === undefined;
        });
        return await this.isolate(client, partition, valid, fence, refused);
      }
      if (this.unfenced(fence)) {
        try {
          const { rowsUpdated } = await executeBatch(client, this.options.variant, batch, {
            prepared: this.options.prepared,
          });
          return { rowsUpdated, alreadyApplied: false, deadLetters: [] };
        } catch (error) {
          if (!isContentError(error)) throw error;
          return await this.isolate(client, partition, increments, fence);
        }
      }
      return await this.writeFenced(client, partition, increments, batch, fence);
    } catch (error) {
      if (error instanceof StalePositionError) throw error;
      // The connection may be unusable; a fresh one costs little next to a failed flush.
      this.clients.delete(partition);
      client.end().catch(() => undefined);
      throw error;
    }
  }

  /** A `sequence` flush written without its fence (--no-flush-fence). */
  private unfenced(fence: FlushFence): boolean {
    return fence.kind === 'sequence' && this.options.fenced === false;
  }

  private fenceStatement(
    partition: number,
    fence: FlushFence,
  ): { text: string; values: unknown[] } {
    if (fence.kind === 'sequence')
      return {
        text: 'SELECT claim_flush($1, $2, $3)',
        values: [this.instanceId, partition, fence.seq],
      };
    const offsets = this.options.offsets;
    if (offsets === undefined)
      throw new Error('a flush with a log position needs a writer built with an OffsetStore');
    return offsets.fenceStatement(partition, fence.nextOffset);
  }

  /** The fence's own answer: applied before (a success), stale (Kafka), or not the fence's. */
  private fenceOutcome(
    partition: number,
    fence: FlushFence,
    error: unknown,
  ): WriteOutcome | undefined {
    if (sqlstate(error) === ALREADY_APPLIED) {
      if (fence.kind === 'log') this.options.offsets?.committed(partition, fence.nextOffset);
      return { rowsUpdated: 0, alreadyApplied: true, deadLetters: [] };
    }
    if (sqlstate(error) === STALE_POSITION && this.options.offsets !== undefined)
      throw this.options.offsets.staleError(partition, (error as { detail?: string }).detail);
    return undefined;
  }

  private async writeFenced(
    client: pg.Client,
    partition: number,
    increments: readonly ProgressIncrement[],
    batch: SerializedBatch,
    fence: FlushFence,
  ): Promise<WriteOutcome> {
    const variant = this.options.variant;
    const { outcome } = client.query(
      new FlushTransaction(
        this.fenceStatement(partition, fence),
        batch.size === 0
          ? undefined
          : {
              text: variant.sql,
              values: batch.values,
              name: this.options.prepared ? preparedStatementName(variant) : undefined,
            },
      ),
    );
    const result = await outcome;
    if (result.committed) {
      if (fence.kind === 'log') this.options.offsets?.committed(partition, fence.nextOffset);
      return { rowsUpdated: result.rowsUpdated, alreadyApplied: false, deadLetters: [] };
    }
    if (result.step === 'fence') {
      const fenced = this.fenceOutcome(partition, fence, result.error);
      if (fenced !== undefined) return fenced;
    } else if (isContentError(result.error)) {
      return this.isolate(client, partition, increments, fence);
    }
    throw result.error;
  }

  /**
   * The batch again, in one transaction with its fence: each part under a savepoint, halved
   * around every part the database refuses, down to single increments, which are recorded in
   * dead_letters instead. log2(n) statements per refused increment.
   */
  private async isolate(
    client: pg.Client,
    partition: number,
    increments: readonly ProgressIncrement[],
    fence: FlushFence,
    refusedBefore: readonly DeadLetter[] = [],
  ): Promise<WriteOutcome> {
    const variant = this.options.variant;
    const deadLetters: DeadLetter[] = [...refusedBefore];
    let rowsUpdated = 0;
    const apply = async (part: readonly ProgressIncrement[]): Promise<void> => {
      if (part.length === 0) return;
      await client.query('SAVEPOINT isolate');
      try {
        const result = await executeBatch(client, variant, serializeBatch(part));
        await client.query('RELEASE SAVEPOINT isolate');
        rowsUpdated += result.rowsUpdated;
      } catch (error) {
        if (!isContentError(error)) throw error;
        await client.query('ROLLBACK TO SAVEPOINT isolate');
        if (part.length === 1) {
          deadLetters.push({
            increment: part[0] as ProgressIncrement,
            sqlstate: error.code,
            problem: error.message,
          });
          return;
        }
        const half = Math.ceil(part.length / 2);
        await apply(part.slice(0, half));
        await apply(part.slice(half));
      }
    };
    await client.query('BEGIN');
    try {
      try {
        if (!this.unfenced(fence)) await client.query(this.fenceStatement(partition, fence));
      } catch (error) {
        await client.query('ROLLBACK');
        const outcome = this.fenceOutcome(partition, fence, error);
        if (outcome !== undefined) return outcome;
        throw error;
      }
      await apply(increments);
      if (deadLetters.length > 0) await this.recordDeadLetters(client, partition, deadLetters);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
    if (fence.kind === 'log') this.options.offsets?.committed(partition, fence.nextOffset);
    return { rowsUpdated, alreadyApplied: false, deadLetters };
  }

  private async recordDeadLetters(
    client: pg.Client,
    partition: number,
    letters: readonly DeadLetter[],
  ): Promise<void> {
    const column = <T>(pick: (d: DeadLetter) => T) => letters.map(pick);
    await client.query(
      `INSERT INTO dead_letters (transport, partition, user_id, goal_id, challenge_id, namespace,
         delta, target_value, is_daily, sqlstate, problem)
       SELECT $1, $2, * FROM UNNEST($3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[],
         $8::int[], $9::boolean[], $10::text[], $11::text[])`,
      [
        this.options.transport ?? 'http',
        partition,
        column((d) => storableForm(d.increment.userId)),
        column((d) => storableForm(d.increment.goalId)),
        column((d) => storableForm(d.increment.challengeId)),
        column((d) => storableForm(d.increment.namespace)),
        column((d) => d.increment.delta),
        column((d) => d.increment.targetValue),
        column((d) => d.increment.isDaily),
        column((d) => d.sqlstate ?? null),
        column((d) => storableForm(d.problem)),
      ],
    );
  }

  async close(): Promise<void> {
    const clients = [...this.clients.values()];
    this.clients.clear();
    await Promise.all(
      clients.map(async (c) => {
        try {
          await (await c).end();
        } catch {
          // A connection that never opened or has died has nothing left to close; the flush
          // that met its failure has reported it already.
        }
      }),
    );
  }
}
