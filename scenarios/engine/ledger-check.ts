import { DELIVERY } from '../../simulator/delivery-ledger.ts';
import { formatInteger } from '../../lib/format.ts';
import { judgeIncrements } from './audit-judgement.ts';
import type { ReadLedger } from './audit-ledger-file.ts';
import type { AuditReport } from './increment-audit.ts';

/** What `harness audit` found: the audit recomputed from the ledger, and where it differs from the results. */
export interface LedgerCheck {
  readonly recomputed: AuditReport;
  /** Figures the results file states that the ledger does not give (empty: they agree). */
  readonly disagreements: string[];
  /** With --db: rows whose progress in the database differs from the ledger's after state. */
  readonly tableDifferences: number | null;
  /** Whether the table is right: no increment lost outside a crash window, none doubled, no untouchable row moved. */
  readonly correct: boolean;
}

/**
 * Recomputes the audit from a ledger alone (and, given one, the table as the database holds
 * it now instead of the ledger's after state), and compares it with what the results file
 * says. The verdict rests on the recomputation; a results file that states other figures is
 * itself a wrong result.
 */
export function checkLedger(
  ledger: ReadLedger,
  claimed: AuditReport,
  table?: ReadonlyMap<string, number>,
  /** What reading the table took (ms), to which the judgement's own time is added. */
  readingMs = 0,
): LedgerCheck {
  const started = performance.now();
  let tableDifferences: number | null = null;
  let after: ReadonlyMap<string, number> = ledger.after;
  if (table !== undefined) {
    tableDifferences = 0;
    for (const [key, progress] of ledger.after) if (table.get(key) !== progress) tableDifferences++;
    after = table;
  }
  const counts = judgeIncrements({
    events: ledger.events,
    before: ledger.before,
    after,
    deadLetters: ledger.deadLetters,
    crashes: ledger.header.crashes,
  });
  const planned = ledger.events.filter((e) => e.index !== null);
  const count = (state: number) => planned.filter((e) => e.state === state).length;
  const recomputed: AuditReport = {
    events: {
      scheduled: planned.length,
      notSent: count(DELIVERY.notSent),
      unknown: count(DELIVERY.unknown),
      acknowledged: count(DELIVERY.acknowledged),
      refused: count(DELIVERY.refused),
    },
    ...counts,
    durationMs: readingMs + performance.now() - started,
  };
  const disagreements: string[] = [];
  const compare = (name: string, stated: number, found: number) => {
    if (stated !== found)
      disagreements.push(
        `${name}: the results say ${formatInteger(stated)}, the ledger gives ${formatInteger(found)}`,
      );
  };
  for (const name of ['scheduled', 'acknowledged', 'unknown', 'refused', 'notSent'] as const)
    compare(`events ${name}`, claimed.events[name], recomputed.events[name]);
  compare('rows checked', claimed.rowsChecked, recomputed.rowsChecked);
  compare('lost increments', claimed.lost, recomputed.lost);
  compare('lost at crash', claimed.lostAtCrash, recomputed.lostAtCrash);
  compare('doubled increments', claimed.doubled, recomputed.doubled);
  compare('rows that must not move and did', claimed.untouchableMoved, recomputed.untouchableMoved);
  compare('set aside in dead_letters', claimed.deadLettered, recomputed.deadLettered);
  return {
    recomputed,
    disagreements,
    tableDifferences,
    correct: recomputed.lost === 0 && recomputed.doubled === 0 && recomputed.untouchableMoved === 0,
  };
}
