import { readFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../testing/test-database.ts';
import { sessionPostmasterPid } from '../../scenarios/engine/postmaster-pid.ts';

// The tests' server runs on this machine (embedded, or DATABASE_URL's local one), so the
// session's backend and its postmaster are both visible in /proc.
let db: TestDatabase;
let client: pg.Client;
beforeAll(async () => {
  db = await createTestDatabase();
  client = new pg.Client({ connectionString: db.url });
  await client.connect();
});
afterAll(async () => {
  await client.end();
  await db.drop();
});

describe('the postmaster of a server reached by URL', () => {
  it("is the parent of the session's backend, a postgres process", async () => {
    const pid = await sessionPostmasterPid(client);
    expect(pid).toBeGreaterThan(0);
    expect(readFileSync(`/proc/${pid}/comm`, 'utf8')).toMatch(/^postgres/);
    const backend = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]
      ?.pid;
    const stat = readFileSync(`/proc/${backend}/stat`, 'utf8');
    expect(Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])).toBe(pid);
  });

  it('is undefined when the backend pid names no postgres process here (a remote server)', async () => {
    const remote = { query: () => Promise.resolve({ rows: [{ pid: process.pid }] }) };
    expect(await sessionPostmasterPid(remote)).toBeUndefined();
    const gone = { query: () => Promise.resolve({ rows: [{ pid: 2 ** 22 + 1 }] }) };
    expect(await sessionPostmasterPid(gone)).toBeUndefined();
  });
});
