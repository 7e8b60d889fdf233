import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../scripts/testing/test-database.ts';
import { connectClient } from '../db/pool.ts';
import { FlushTransaction, type FlushStatement } from './flush-transaction.ts';

let db: TestDatabase;
let client: pg.Client;
beforeAll(async () => {
  db = await createTestDatabase();
  client = await connectClient(db.url);
  await client.query('CREATE TABLE ft_rows (id INT PRIMARY KEY, n INT NOT NULL CHECK (n < 100))');
  await client.query('INSERT INTO ft_rows SELECT g, 0 FROM generate_series(1, 5) g');
});
afterAll(async () => {
  await client.end();
  await db.drop();
});

const instance = randomUUID();
const fence = (seq: number): FlushStatement => ({
  text: 'SELECT claim_flush($1, $2, $3)',
  values: [instance, 0, seq],
});
const add = (ids: string, by: number, name?: string): FlushStatement => ({
  text: 'UPDATE ft_rows SET n = n + $2::int WHERE id = ANY($1::int[])',
  values: [ids, by],
  name,
});

async function rows(): Promise<number[]> {
  const { rows: found } = await client.query<{ n: number }>('SELECT n FROM ft_rows ORDER BY id');
  return found.map((r) => r.n);
}

async function lastSeq(): Promise<number | undefined> {
  const { rows: found } = await client.query<{ last_seq: string }>(
    'SELECT last_seq FROM flush_fence WHERE instance_id = $1 AND partition = 0',
    [instance],
  );
  return found[0] === undefined ? undefined : Number(found[0].last_seq);
}

/** Runs a transaction and counts the ReadyForQuery messages its answer held. */
async function run(
  fenceStatement: FlushStatement,
  batch: FlushStatement | undefined,
): Promise<{ outcome: Awaited<FlushTransaction['outcome']>; readyForQuery: number }> {
  let readyForQuery = 0;
  const count = () => readyForQuery++;
  client.connection.on('readyForQuery', count);
  try {
    const outcome = await client.query(new FlushTransaction(fenceStatement, batch)).outcome;
    // The ReadyForQuery after an error reaches the client after the error itself.
    await client.query('SELECT 1');
    return { outcome, readyForQuery: readyForQuery - 1 };
  } finally {
    client.connection.off('readyForQuery', count);
  }
}

describe('FlushTransaction: the fence and the batch as one implicit transaction', () => {
  it('commits both and is answered with one ReadyForQuery', async () => {
    const { outcome, readyForQuery } = await run(fence(1), add('{1,2,3}', 5));
    expect(outcome).toEqual({ committed: true, rowsUpdated: 3 });
    expect(readyForQuery).toBe(1);
    expect(await rows()).toEqual([5, 5, 5, 0, 0]);
    expect(await lastSeq()).toBe(1);
    expect(client.getTransactionStatus()).toBe('I');
  });

  it('a fence that refuses (HF001) applies nothing and says it was the fence', async () => {
    const { outcome, readyForQuery } = await run(fence(1), add('{4}', 1));
    expect(outcome).toMatchObject({ committed: false, step: 'fence' });
    expect((outcome as { error: { code: string } }).error.code).toBe('HF001');
    expect(readyForQuery).toBe(1);
    expect(await rows()).toEqual([5, 5, 5, 0, 0]);
  });

  it('a batch the table refuses rolls the fence back with it', async () => {
    const { outcome } = await run(fence(2), add('{1,4}', 95));
    expect(outcome).toMatchObject({ committed: false, step: 'batch' });
    expect((outcome as { error: { code: string } }).error.code).toBe('23514');
    expect(await rows()).toEqual([5, 5, 5, 0, 0]);
    // The fence's claim of 2 went with the batch: the same flush can be written again.
    expect(await lastSeq()).toBe(1);
    expect((await run(fence(2), add('{4}', 1))).outcome).toEqual({
      committed: true,
      rowsUpdated: 1,
    });
    expect(await rows()).toEqual([5, 5, 5, 1, 0]);
  });

  it('a named batch is parsed once per connection, also when a first execution failed', async () => {
    const name = `ft_add_${Date.now()}`;
    const parsed = () =>
      (client.connection as unknown as { parsedStatements: Record<string, string> })
        .parsedStatements[name];
    expect((await run(fence(3), add('{5}', 200, name))).outcome).toMatchObject({
      committed: false,
      step: 'batch',
    });
    expect(parsed()).toBeDefined();
    expect((await run(fence(3), add('{5}', 2, name))).outcome).toEqual({
      committed: true,
      rowsUpdated: 1,
    });
    expect((await run(fence(4), add('{5}', 3, name))).outcome).toEqual({
      committed: true,
      rowsUpdated: 1,
    });
    const { rows: prepared } = await client.query<{ name: string }>(
      'SELECT name FROM pg_prepared_statements WHERE name = $1',
      [name],
    );
    expect(prepared).toHaveLength(1);
    expect(await rows()).toEqual([5, 5, 5, 1, 5]);
  });

  it('a parameter that cannot be sent fails before anything is written', async () => {
    const outcome = await client.query(
      new FlushTransaction(fence(5), add('{1}', { not: 'a number' } as unknown as number)),
    ).outcome;
    expect(outcome).toMatchObject({ committed: false, step: 'fence' });
    expect(String((outcome as { error: unknown }).error)).toMatch(/parameter \$2/);
    expect(await lastSeq()).toBe(4);
    expect((await client.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  });

  it('a fence alone (an empty batch) commits', async () => {
    expect((await run(fence(6), undefined)).outcome).toEqual({ committed: true, rowsUpdated: 0 });
    expect(await lastSeq()).toBe(6);
  });
});
