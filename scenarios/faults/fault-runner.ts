import { describeFault, faultTypeOf, type TimedFault } from './fault-spec.ts';
import type { FaultTargets } from './fault-type.ts';

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
  let poisoned = 0;
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
    let said: string | undefined;
    try {
      said = await faultTypeOf(fault.spec.action).carryOut(fault.spec, targets, {
        poisonIndex: poisoned++,
      });
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
    }
    const record: FaultRecord = {
      t: (began - startedAt) / 1000,
      action: fault.spec.action,
      detail: `${describeFault(fault.spec)}${(fault.spec.times ?? 1) > 1 ? ` (${fault.occurrence}/${fault.spec.times ?? 1})` : ''}${said === undefined ? '' : `: ${said}`}`,
      durationMs: performance.now() - began,
      ok: error === undefined,
      ...(error === undefined ? {} : { error }),
    };
    records.push(record);
    onFault(record);
  }
  return records;
}
