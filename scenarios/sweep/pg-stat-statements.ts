import type pg from 'pg';
import type { PgStatStatements } from '../../results/schema/result-schema.ts';
import type { SqlVariant } from '../../sut/sql/variant-registry.ts';

interface Counters {
  calls: number;
  execMs: number;
  planMs: number;
  rows: number;
}

export interface StatementsProbe {
  /** Cumulative counters per variant now. */
  snapshot(): Promise<Map<string, Counters>>;
  /** Per-statement figures between two snapshots. */
  report(before: Map<string, Counters>, after: Map<string, Counters>): PgStatStatements;
}

/**
 * pg_stat_statements' view of the variants, when the database has the extension. On a
 * server the harness started, it creates the extension; on the user's own server it only
 * uses it if it is already installed, and otherwise says how to enable it.
 */
export async function probeStatements(
  client: pg.ClientBase,
  variants: readonly SqlVariant[],
  mayCreateExtension: boolean,
): Promise<StatementsProbe | { available: false; reason: string }> {
  // The extension's view lives in the schema it was created in, which is not on the harness's
  // search_path (that holds only the harness's own schema): it is named qualified.
  const installedIn = async () =>
    (
      await client.query<{ schema: string }>(
        `SELECT quote_ident(extnamespace::regnamespace::text) AS schema FROM pg_extension WHERE extname = 'pg_stat_statements'`,
      )
    ).rows[0]?.schema;
  let schema = await installedIn();
  if (schema === undefined) {
    if (!mayCreateExtension) {
      return {
        available: false,
        reason:
          'the extension is not installed in this database (CREATE EXTENSION pg_stat_statements; it also needs shared_preload_libraries)',
      };
    }
    try {
      // Only on a server the harness started, so `public` is its to use.
      await client.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements SCHEMA public');
      schema = (await installedIn()) ?? 'public';
    } catch (error) {
      return {
        available: false,
        reason: `CREATE EXTENSION pg_stat_statements failed: ${(error as Error).message}`,
      };
    }
  }
  try {
    await client.query(`SELECT 1 FROM ${schema}.pg_stat_statements LIMIT 1`);
  } catch (error) {
    return { available: false, reason: (error as Error).message };
  }
  const { rows: setting } = await client.query<{ on: string }>(
    `SELECT current_setting('pg_stat_statements.track_planning', true) AS on`,
  );
  const tracksPlanning = setting[0]?.on === 'on';
  // pg_stat_statements keeps the text normalised (literals become $n), so a variant is
  // recognised by its leading comment line, which normalisation leaves alone.
  const heads = variants.map((v) => ({ name: v.name, head: v.sql.split('\n', 1)[0] as string }));
  return {
    async snapshot() {
      const { rows } = await client.query<{
        query: string;
        calls: string;
        exec: number;
        plan: number;
        rows: string;
      }>(
        `SELECT query, calls, total_exec_time AS exec, total_plan_time AS plan, rows
           FROM ${schema}.pg_stat_statements
          WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
            AND left(query, 3) = '-- ' AND left(query, 8) <> 'EXPLAIN '`,
      );
      const counters = new Map<string, Counters>();
      for (const r of rows) {
        const variant = heads.find((h) => r.query.startsWith(`${h.head}\n`));
        if (variant === undefined) continue;
        const c = counters.get(variant.name) ?? { calls: 0, execMs: 0, planMs: 0, rows: 0 };
        counters.set(variant.name, {
          calls: c.calls + Number(r.calls),
          execMs: c.execMs + r.exec,
          planMs: c.planMs + r.plan,
          rows: c.rows + Number(r.rows),
        });
      }
      return counters;
    },
    report(before, after) {
      return {
        available: true,
        statements: variants.map((v) => {
          const a = after.get(v.name) ?? { calls: 0, execMs: 0, planMs: 0, rows: 0 };
          const b = before.get(v.name) ?? { calls: 0, execMs: 0, planMs: 0, rows: 0 };
          const calls = a.calls - b.calls;
          return {
            variant: v.name,
            calls,
            meanExecMs: calls > 0 ? (a.execMs - b.execMs) / calls : 0,
            meanPlanMs: tracksPlanning && calls > 0 ? (a.planMs - b.planMs) / calls : null,
            rows: a.rows - b.rows,
          };
        }),
      };
    },
  };
}
