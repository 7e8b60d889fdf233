import type { ServerControl } from '../../scripts/db/server-control.ts';
import { parseDuration } from '../../simulator/duration.ts';
import { describeFault, type TimedFault } from './fault-spec.ts';
import type { PgLinkProxy } from './pg-link-proxy.ts';

/** What the faults act on; a part a run does not have is undefined (checked before the run). */
export interface FaultTargets {
  readonly service: {
    kill(restartAfterMs: number): Promise<void>;
    terminate(restartAfterMs: number): Promise<void>;
  };
  readonly postgres?: ServerControl;
  readonly broker?: { restart(): Promise<void> };
  readonly link?: PgLinkProxy;
}

/** One fault as it happened: in the summary, the results and the per-second series. */
export interface FaultRecord {
  /** Seconds from the start of the load to the fault's start. */
  readonly t: number;
  readonly action: string;
  readonly detail: string;
  /** How long the fault took to carry out, recovery of the part included (a restart). */
  readonly durationMs: number;
  readonly ok: boolean;
  readonly error?: string;
}

/**
 * Carries out the planned faults at their times, one after another (a fault that takes long,
 * such as a 10 s outage, delays the ones after it), until they are done or `signal` says the
 * run is over; those not reached are left out. A fault that fails is recorded, and the run
 * goes on: the audit says what it did to the data.
 */
export async function runFaults(
  plan: readonly TimedFault[],
  targets: FaultTargets,
  startedAt: number,
  signal: AbortSignal,
  onFault: (record: FaultRecord) => void = () => undefined,
): Promise<FaultRecord[]> {
  const records: FaultRecord[] = [];
  for (const fault of plan) {
    const wait = startedAt + fault.atMs - performance.now();
    if (wait > 0)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, wait);
        signal.addEventListener(
          'abort',
          () => {
            clearTimeout(timer);
            resolve();
          },
          { once: true },
        );
      });
    if (signal.aborted) break;
    const began = performance.now();
    let error: string | undefined;
    try {
      await carryOut(fault, targets);
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
    }
    const record: FaultRecord = {
      t: (began - startedAt) / 1000,
      action: fault.spec.action,
      detail: `${describeFault(fault.spec)}${(fault.spec.times ?? 1) > 1 ? ` (${fault.occurrence}/${fault.spec.times ?? 1})` : ''}`,
      durationMs: performance.now() - began,
      ok: error === undefined,
      ...(error === undefined ? {} : { error }),
    };
    records.push(record);
    onFault(record);
  }
  return records;
}

function need<T>(part: T | undefined, what: string): T {
  if (part === undefined) throw new Error(`this run has no ${what} to act on`);
  return part;
}

async function carryOut(fault: TimedFault, targets: FaultTargets): Promise<void> {
  const spec = fault.spec;
  switch (spec.action) {
    case 'kill-service':
      return targets.service.kill(parseDuration(spec.restartAfter ?? '0s', 'restartAfter'));
    case 'stop-service':
      return targets.service.terminate(parseDuration(spec.restartAfter ?? '0s', 'restartAfter'));
    case 'restart-postgres':
      return need(targets.postgres, 'PostgreSQL server').restart(spec.mode ?? 'fast');
    case 'stop-postgres': {
      const postgres = need(targets.postgres, 'PostgreSQL server');
      await postgres.stop('fast');
      await new Promise((r) => setTimeout(r, parseDuration(spec.for, 'for')));
      return postgres.start();
    }
    case 'restart-broker':
      return need(targets.broker, 'Kafka broker').restart();
    case 'link-latency': {
      const link = need(targets.link, 'database link');
      link.setLatency(spec.ms);
      await new Promise((r) => setTimeout(r, parseDuration(spec.for, 'for')));
      link.setLatency(0);
      return;
    }
    case 'link-reset':
      need(targets.link, 'database link').resetAll();
      return;
    case 'link-black-hole':
      return need(targets.link, 'database link').blackHole(parseDuration(spec.for, 'for'));
    case 'drop-commit-reply':
      need(targets.link, 'database link').dropCommitReplies(1);
      return;
  }
}
