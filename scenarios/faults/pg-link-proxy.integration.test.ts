import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../scripts/testing/test-database.ts';
import { startPgLinkProxy, type PgLinkProxy } from './pg-link-proxy.ts';

let db: TestDatabase;
let proxy: PgLinkProxy;
beforeAll(async () => {
  db = await createTestDatabase();
  await db.client.query('CREATE TABLE flush_harness.link_test (x int)');
  proxy = await startPgLinkProxy(db.url);
});
afterAll(async () => {
  await proxy.close();
  await db.drop();
});

async function client(): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: proxy.url });
  c.on('error', () => undefined);
  await c.connect();
  return c;
}

const count = async () =>
  Number(
    (await db.client.query<{ n: string }>('SELECT count(*) AS n FROM flush_harness.link_test'))
      .rows[0]?.n,
  );

describe('the PostgreSQL link proxy', () => {
  it('passes traffic through, and adds the latency asked for', async () => {
    const c = await client();
    const fast = performance.now();
    await c.query('SELECT 1');
    const base = performance.now() - fast;
    proxy.setLatency(100);
    const slow = performance.now();
    await c.query('SELECT 1');
    expect(performance.now() - slow).toBeGreaterThan(base + 150);
    proxy.setLatency(0);
    await c.end();
  });

  it("holds the link's round trip, half each way, and keeps every chunk in order through jitter", async () => {
    const c = await client();
    proxy.setLink({ roundTripMs: 10, jitterMs: 8 });
    proxy.takeLateness();
    // A reply of many chunks, each delayed by 1 to 9 ms: any chunk overtaking another would
    // break the protocol stream or the data.
    const { rows } = await c.query<{ s: string }>(
      'SELECT repeat(chr(65 + n % 26), 50000) AS s FROM generate_series(0, 39) AS n',
    );
    expect(rows.map((r) => r.s.length)).toEqual(Array.from({ length: 40 }, () => 50_000));
    expect(rows.every((r, n) => r.s === String.fromCharCode(65 + (n % 26)).repeat(50_000))).toBe(
      true,
    );
    const before = proxy.stats.exchanges;
    const times: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t0 = performance.now();
      await c.query('SELECT 1');
      times.push(performance.now() - t0);
    }
    // One client turn per query; never sooner than the two one-way delays' floor.
    expect(proxy.stats.exchanges - before).toBe(20);
    expect(Math.min(...times)).toBeGreaterThanOrEqual(2);
    expect(proxy.takeLateness().chunks).toBeGreaterThan(40);
    proxy.setLink({ roundTripMs: 0, jitterMs: 0 });
    await c.end();
  });

  it('drops the reply to a COMMIT and cuts that connection: the client cannot tell, the server committed', async () => {
    const c = await client();
    const before = await count();
    proxy.dropCommitReplies(1);
    await c.query('BEGIN');
    await c.query('INSERT INTO flush_harness.link_test VALUES (1)');
    await expect(c.query('COMMIT')).rejects.toThrow();
    expect(await count()).toBe(before + 1);
    expect(proxy.stats.commitRepliesDropped).toBe(1);
    // The next connection and its COMMIT go through.
    const next = await client();
    await next.query('BEGIN');
    await next.query('INSERT INTO flush_harness.link_test VALUES (2)');
    await next.query('COMMIT');
    expect(await count()).toBe(before + 2);
    await next.end();
  });

  it('cuts every connection on reset, and holds traffic through a black hole, then lets it pass', async () => {
    const a = await client();
    const b = await client();
    expect(proxy.resetAll()).toBeGreaterThanOrEqual(4);
    await expect(a.query('SELECT 1')).rejects.toThrow();
    await expect(b.query('SELECT 1')).rejects.toThrow();
    const c = await client();
    const hole = proxy.blackHole(600);
    const started = performance.now();
    await c.query('SELECT 1');
    expect(performance.now() - started).toBeGreaterThan(500);
    await hole;
    await c.end();
  });
});
