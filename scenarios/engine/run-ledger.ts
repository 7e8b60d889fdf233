import type { FaultRecord } from '../faults/fault-runner.ts';
import { LEDGER_FORMAT, LEDGER_VERSION, writeAuditLedger } from './audit-ledger-file.ts';
import type { AuditRecord } from './increment-audit.ts';

/** Where a run's ledger goes by default: beside its results, `<results>.ledger.jsonl.gz`. */
export function ledgerPathFor(resultsPath: string): string {
  return `${resultsPath.replace(/\.json$/, '')}.ledger.jsonl.gz`;
}

/** Writes a run's ledger (docs/audit.md): everything `harness audit` needs to judge it again. */
export async function writeRunLedger(
  path: string,
  run: {
    readonly scenario: string;
    readonly variant: string;
    readonly transport: 'http' | 'kafka';
    readonly table: string;
    readonly faults: readonly FaultRecord[];
  },
  record: AuditRecord,
): Promise<void> {
  await writeAuditLedger(path, {
    header: {
      format: LEDGER_FORMAT,
      version: LEDGER_VERSION,
      scenario: run.scenario,
      variant: run.variant,
      transport: run.transport,
      table: run.table,
      loadStartedAt: new Date(record.loadStartedAt).toISOString(),
      crashes: record.crashes,
      faults: run.faults.map((f) => ({ t: f.t, detail: f.detail })),
    },
    events: record.events(),
    before: record.before,
    after: record.after,
    deadLetters: record.deadLetters,
  });
}
