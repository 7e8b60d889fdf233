import { existsSync } from 'node:fs';
import { Command } from 'commander';
import pg from 'pg';
import { resolveResult } from '../../results/run-index.ts';
import { resultIdentity } from '../../results/result-identity.ts';
import { UsageError, ThresholdsFailedError } from '../../lib/errors.ts';
import { formatInteger } from '../../lib/format.ts';
import { parseTableName } from '../../sut/db/target-table.ts';
import { auditKey } from '../../scenarios/engine/audit-judgement.ts';
import { readAuditLedger, type ReadLedger } from '../../scenarios/engine/audit-ledger-file.ts';
import { checkLedger } from '../../scenarios/engine/ledger-check.ts';
import { auditLines } from '../../scenarios/engine/run-summary.ts';
import { ledgerPathFor } from '../../scenarios/engine/run-ledger.ts';
import type { AuditReport } from '../../scenarios/engine/increment-audit.ts';

/**
 * The table as the database holds it now, read in a read-only transaction: what `--db`
 * checks the ledger's after state against. Only the rows the ledger lists are compared.
 */
async function readTable(url: string, ledger: ReadLedger): Promise<Map<string, number>> {
  const { schema, name } = parseTableName(ledger.header.table, 'the ledger table');
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
  } catch (error) {
    throw new UsageError(`--db ${url}: cannot connect (${(error as Error).message})`);
  }
  try {
    await client.query('BEGIN READ ONLY');
    const { rows } = await client
      .query<[string, string, number]>({
        text: `SELECT user_id, goal_id, progress FROM ${schema}.${name}`,
        rowMode: 'array',
      })
      .catch((error: unknown) => {
        throw new UsageError(
          `--db ${url}: cannot read ${schema}.${name}, the table the ledger audited (${(error as Error).message})`,
        );
      });
    await client.query('COMMIT');
    return new Map(rows.map(([u, g, p]) => [auditKey(u, g), p]));
  } finally {
    await client.end();
  }
}

/** `harness audit <results>`: recomputes a run's audit from its ledger alone (docs/audit.md). */
export function auditCommand(): Command {
  return new Command('audit')
    .description(
      "recompute a run's audit from its ledger (and the table, with --db): exit 0 when the table is right and the results file says so, 99 when it is not or the results say otherwise, 2 on bad input",
    )
    .argument('<results>', 'the results JSON of a run (harness run writes its ledger beside it)')
    .option(
      '--ledger <file>',
      'the ledger (default: beside the results, <results>.ledger.jsonl.gz)',
    )
    .option(
      '--db <url>',
      "read the table's state after the run from this database instead of the ledger's after state (read only)",
    )
    .action(async (resultsRef: string, flags: { ledger?: string; db?: string }) => {
      const { result, path } = resolveResult(resultsRef);
      if (result.kind !== 'run')
        throw new UsageError(`${path} is a ${result.kind} result: only a run has an audit`);
      const claimed = result.metrics.audit as AuditReport | undefined;
      if (claimed === undefined)
        throw new UsageError(`${path} holds no audit (a run from before the audit was recorded)`);
      const ledgerPath = flags.ledger ?? ledgerPathFor(path);
      if (flags.ledger === undefined && !existsSync(ledgerPath))
        throw new UsageError(
          `no ledger beside ${path} (looked for ${ledgerPath}): name it with --ledger <file>`,
        );
      const ledger = await readAuditLedger(ledgerPath);
      const variant = resultIdentity(result).variant;
      if (variant !== null && ledger.header.variant !== variant)
        throw new UsageError(
          `--ledger ${ledgerPath} is the ledger of variant ${ledger.header.variant}, and ${path} ran ${variant}: not the same run`,
        );
      const started = performance.now();
      const table = flags.db === undefined ? undefined : await readTable(flags.db, ledger);
      const check = checkLedger(ledger, claimed, table, performance.now() - started);
      const out = process.stdout;
      out.write(
        `recomputed from ${ledgerPath}${flags.db === undefined ? '' : ` and ${ledger.header.table} as the database holds it now`}:\n`,
      );
      out.write(`${auditLines(check.recomputed, ledger.header.transport)}\n`);
      if (check.tableDifferences !== null)
        out.write(
          check.tableDifferences === 0
            ? `the table holds exactly the after state the ledger recorded (${formatInteger(ledger.after.size)} rows)\n`
            : `the table differs from the ledger's after state in ${formatInteger(check.tableDifferences)} rows: judged on the table\n`,
        );
      if (check.disagreements.length === 0) out.write(`the results file ${path} agrees\n`);
      else
        out.write(
          `the results file ${path} disagrees:\n${check.disagreements.map((d) => `  - ${d}`).join('\n')}\n`,
        );
      const wrong = [
        ...(check.correct ? [] : ['the table is not what the events allow']),
        ...(check.disagreements.length === 0 ? [] : ['the results file states other figures']),
      ];
      if (wrong.length > 0) throw new ThresholdsFailedError(`WRONG RESULTS: ${wrong.join('; ')}`);
      out.write('audit: PASS\n');
    });
}
