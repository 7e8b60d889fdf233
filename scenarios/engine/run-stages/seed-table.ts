import type pg from 'pg';
import type { CleanupStack } from '../../../lib/cleanup-stack.ts';
import { loadCatalogue } from '../../../sut/catalogue/goal-catalogue.ts';
import { GoalRouter } from '../../../sut/catalogue/goal-router.ts';
import { DEFAULT_SEED_SHARES, seedProgress } from '../../../sut/db/seeder.ts';
import { readAuditRows } from '../increment-audit.ts';
import type { RunSession, RunSettings } from '../run-plan.ts';
import { liveClient } from './live-client.ts';

/** The seeded table and the audit's starting point, read before the first event. */
export interface SeededTable {
  /** The run's connection: the session's, or a new one when an earlier variant's faults cut it. */
  readonly client: pg.Client;
  readonly router: GoalRouter;
  readonly before: Awaited<ReturnType<typeof readAuditRows>>;
  /** The server's clock as the load is about to start: dead letters from then on are the run's. */
  readonly runStart: Date;
  /** Time spent reading the table for the audit so far. */
  readonly auditMs: number;
}

/** Stage `seed`: seeds the table and reads what the audit compares the end against. */
export async function seedTable(
  stack: CleanupStack,
  session: RunSession,
  settings: RunSettings,
  onProgress: ((rows: number, total: number) => void) | undefined,
): Promise<SeededTable> {
  const catalogue = await loadCatalogue();
  const client = await liveClient(session, session.client);
  if (client !== session.client) stack.defer('the run’s database connection', () => client.end());
  await seedProgress(client, {
    players: settings.players,
    goalsPerPlayer: settings.goals,
    seed: settings.seed,
    shares: DEFAULT_SEED_SHARES,
    catalogue,
    table: session.table,
    fresh: settings.freshTable,
    ...(onProgress === undefined ? {} : { onProgress }),
  });
  const auditStarted = performance.now();
  const dailyGoals = new Set(catalogue.goals.filter((g) => g.daily).map((g) => g.goalId));
  const before = await readAuditRows(client, session.table, dailyGoals);
  const router = new GoalRouter(catalogue);
  const runStart = (await client.query<{ now: Date }>('SELECT now() AS now')).rows[0]?.now as Date;
  return { client, router, before, runStart, auditMs: performance.now() - auditStarted };
}
