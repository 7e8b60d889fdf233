import { createHash } from 'node:crypto';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../scripts/testing/test-database.ts';
import { UsageError } from '../../lib/errors.ts';
import { generatePlayerIds } from './player-ids.ts';
import { seedProgress, type SeedOptions } from './seeder.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

const NOW = Date.parse('2026-11-28T12:00:00Z');
const base: SeedOptions = {
  players: 200,
  goalsPerPlayer: 50,
  seed: 7,
  shares: { inactive: 0.1, claimed: 0.1, completed: 0.2, dailyToday: 0.5 },
  now: () => NOW,
};

async function tableDigest(client: pg.ClientBase): Promise<string> {
  const { rows } = await client.query<{ line: string }>(
    `SELECT user_goal_progress::text AS line FROM user_goal_progress ORDER BY user_id, goal_id`,
  );
  return createHash('sha256')
    .update(rows.map((r) => r.line).join('\n'))
    .digest('hex');
}

describe('seeder', () => {
  it('fills players x goals rows, with ids shared with the simulator population', async () => {
    const result = await seedProgress(db.client, base);
    expect(result.rows).toBe(10_000);
    expect(result.rowsPerSecond).toBeGreaterThan(0);
    const { rows } = await db.client.query<{ n: string; users: string }>(
      'SELECT count(*) AS n, count(DISTINCT user_id) AS users FROM user_goal_progress',
    );
    expect(rows[0]).toEqual({ n: '10000', users: '200' });
    const ids = generatePlayerIds(200, 7);
    const { rows: present } = await db.client.query<{ n: string }>(
      'SELECT count(DISTINCT user_id) AS n FROM user_goal_progress WHERE user_id = ANY($1)',
      [ids],
    );
    expect(present[0]?.n).toBe('200');
  });

  it('is deterministic for a seed and clock, and differs for another seed', async () => {
    await seedProgress(db.client, base);
    const first = await tableDigest(db.client);
    await seedProgress(db.client, base);
    expect(await tableDigest(db.client)).toBe(first);
    await seedProgress(db.client, { ...base, seed: 8 });
    expect(await tableDigest(db.client)).not.toBe(first);
  });

  it('honours the shares of inactive, claimed and completed rows, and every row passes the checks', async () => {
    await seedProgress(db.client, { ...base, players: 1000 });
    const { rows } = await db.client.query<{
      inactive: number;
      claimed: number;
      completed: number;
      daily: number;
    }>(
      `SELECT avg((NOT is_active)::int)::float AS inactive,
              avg((is_active AND status = 'claimed')::int)::float AS claimed,
              avg((is_active AND status = 'completed')::int)::float AS completed
         FROM user_goal_progress`,
    );
    const shares = rows[0];
    expect(shares?.inactive).toBeCloseTo(0.1, 1);
    expect(shares?.claimed).toBeCloseTo(0.1, 1);
    expect(shares?.completed).toBeCloseTo(0.2, 1);
    const { rows: bad } = await db.client.query<{ n: string }>(
      `SELECT count(*) AS n FROM user_goal_progress
        WHERE (status IN ('completed', 'claimed') AND completed_at IS NULL) OR (status = 'not_started' AND progress <> 0)`,
    );
    expect(bad[0]?.n).toBe('0');
  });

  it("spreads each player's goals over all challenges and counts a share of daily rows as done today", async () => {
    await seedProgress(db.client, { ...base, players: 1000 });
    const { rows } = await db.client.query<{ challenges: string; per_player: string }>(
      `SELECT count(DISTINCT challenge_id) AS challenges, count(*) / count(DISTINCT user_id) AS per_player FROM user_goal_progress`,
    );
    expect(rows[0]).toEqual({ challenges: '10', per_player: '50' });
    const { rows: daily } = await db.client.query<{ today: number }>(
      `SELECT avg((updated_at >= date_trunc('day', $1::timestamp))::int)::float AS today
         FROM user_goal_progress WHERE goal_id LIKE '%-goal-001' AND status = 'in_progress' AND is_active`,
      [new Date(NOW).toISOString().slice(0, 19)],
    );
    expect(daily[0]?.today).toBeGreaterThan(0.4);
    expect(daily[0]?.today).toBeLessThan(0.65);
  });

  it('rejects impossible options, all at once, before touching the table', async () => {
    await seedProgress(db.client, base);
    const before = await tableDigest(db.client);
    const error = await seedProgress(db.client, {
      ...base,
      players: 0,
      goalsPerPlayer: 501,
      shares: { inactive: 0.6, claimed: 0.6, completed: -1, dailyToday: 0 },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    const message = (error as Error).message;
    expect(message).toMatch(/players must be a positive integer, got 0/);
    expect(message).toMatch(/goals per player \(501\) exceeds the catalogue's 500 goals/);
    expect(message).toMatch(/completed share must be between 0 and 1/);
    expect(await tableDigest(db.client)).toBe(before);
  });
});

describe('schema migration', () => {
  it('creates user_goal_progress with the production key, checks and indexes, once', async () => {
    const { migrate } = await import('./migrate.ts');
    expect(await migrate(db.client)).toEqual({ schema: 'existing', applied: [] });
    const { rows: indexes } = await db.client.query<{ indexdef: string }>(
      `SELECT indexdef FROM pg_indexes WHERE tablename = 'user_goal_progress' ORDER BY indexname`,
    );
    const defs = indexes.map((r) => r.indexdef.replace(/^.* USING btree /, ''));
    expect(defs.sort()).toEqual(
      [
        '(user_id)',
        '(user_id) WHERE is_active',
        '(user_id, challenge_id)',
        '(user_id, goal_id)',
        '(user_id, goal_id)',
        '(user_id, is_active) WHERE is_active',
      ].sort(),
    );
    const { rows: checks } = await db.client.query<{ def: string }>(
      `SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = 'user_goal_progress'::regclass AND contype = 'c' ORDER BY conname`,
    );
    expect(checks.map((c) => c.def)).toEqual([
      'CHECK (((claimed_at IS NULL) OR (completed_at IS NOT NULL)))',
      'CHECK ((progress >= 0))',
      "CHECK (((status)::text = ANY ((ARRAY['not_started'::character varying, 'in_progress'::character varying, 'completed'::character varying, 'claimed'::character varying])::text[])))",
    ]);
  });
});
