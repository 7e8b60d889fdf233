import type pg from 'pg';
import type { DeliveryLedger } from '../../../simulator/delivery-ledger.ts';
import type { prepareSimulation } from '../../../simulator/simulation.ts';
import {
  auditIncrements,
  readDeadLetters,
  readProgress,
  auditRecordOf,
  type AuditInput,
  type AuditRecord,
  type AuditReport,
} from '../increment-audit.ts';
import type { RunSession } from '../run-plan.ts';
import type { ServiceGroup } from '../service-group.ts';
import type { InjectedEvents } from './fault-injection.ts';
import type { SeededTable } from './seed-table.ts';

/**
 * Stage `audit`: every increment sent and acknowledged, held against the table as the
 * stopped service left it (lost, doubled, lost with a killed service's buffer).
 */
export async function auditRun(input: {
  readonly client: pg.Client;
  readonly session: RunSession;
  readonly seeded: SeededTable;
  readonly ledger: DeliveryLedger;
  readonly prepared: ReturnType<typeof prepareSimulation>;
  readonly service: ServiceGroup;
  readonly injected: InjectedEvents['injected'];
  readonly transport: 'http' | 'kafka';
  /** When the load started (Date.now()). */
  readonly loadStartedAt: number;
}): Promise<{ report: AuditReport; record: AuditRecord }> {
  const { client, seeded } = input;
  const reading = performance.now();
  const auditInput: AuditInput = {
    ledger: input.ledger,
    generator: input.prepared.generator,
    playerIds: input.prepared.population.ids,
    router: seeded.router,
    before: seeded.before,
    after: await readProgress(client, input.session.table),
    deadLetters: await readDeadLetters(client, seeded.runStart),
    crashes: input.service.crashes,
    injected: input.injected,
    transport: input.transport,
    loadStartedAt: input.loadStartedAt,
  };
  const figures = auditIncrements(auditInput);
  return {
    report: { ...figures, durationMs: seeded.auditMs + performance.now() - reading },
    record: auditRecordOf(auditInput),
  };
}
