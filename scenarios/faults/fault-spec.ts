import { z } from 'zod';
import { parseDuration } from '../../simulator/duration.ts';
import type { FaultNeed, FaultSchema, FaultType } from './fault-type.ts';
import { dropCommitReply, linkBlackHole, linkLatency, linkReset } from './types/link-faults.ts';
import { poison } from './types/poison.ts';
import { restartBroker, restartPostgres, stopPostgres } from './types/server-faults.ts';
import { killService, stopService } from './types/service-faults.ts';

export { POISON_KINDS, type PoisonKind } from './types/poison.ts';

/**
 * A scenario's `harness.faults`: what to break and when, as an operator running a failover
 * drill would. Each entry happens `at` a time after the load starts, and again `every` so
 * long, `times` times in all. Each type is one module (scenarios/faults/types/) with its
 * schema, what it needs, how it is said and how it is carried out.
 */
export const faultSpecSchema = z
  .discriminatedUnion('action', [
    killService.schema,
    stopService.schema,
    restartPostgres.schema,
    stopPostgres.schema,
    restartBroker.schema,
    linkLatency.schema,
    linkReset.schema,
    linkBlackHole.schema,
    dropCommitReply.schema,
    poison.schema,
  ])
  .refine((f) => f.every === undefined || f.times !== undefined, {
    error: 'every needs times: how many times in all',
  });

export type FaultSpec = z.infer<typeof faultSpecSchema>;
export type FaultAction = FaultSpec['action'];

/**
 * Every fault type by the action that names it, checked by the compiler against the schema:
 * an action without its type, or a type without its schema above, does not compile. The
 * checks before a run, the summary and the fault runner all read it.
 */
const FAULT_TYPES: {
  readonly [A in FaultAction]: { readonly schema: { readonly shape: { action: { value: A } } } };
} & Readonly<Record<FaultAction, FaultType<FaultSchema>>> = {
  'kill-service': killService,
  'stop-service': stopService,
  'restart-postgres': restartPostgres,
  'stop-postgres': stopPostgres,
  'restart-broker': restartBroker,
  'link-latency': linkLatency,
  'link-reset': linkReset,
  'link-black-hole': linkBlackHole,
  'drop-commit-reply': dropCommitReply,
  poison,
};

/** The type of the fault `action` names. */
export function faultTypeOf(action: FaultAction): FaultType<FaultSchema> {
  return FAULT_TYPES[action];
}

/** One fault at its time: what the runner does. */
export interface TimedFault {
  readonly atMs: number;
  readonly spec: FaultSpec;
  /** 1-based: which of the entry's `times` this is. */
  readonly occurrence: number;
}

/** What a fault needs from the run: a server, a broker, the link proxy, or only the service. */
export function faultNeeds(action: FaultAction): FaultNeed {
  return faultTypeOf(action).needs;
}

/** Every fault of the scenario at its time, in time order. */
export function planFaults(specs: readonly FaultSpec[]): TimedFault[] {
  const out: TimedFault[] = [];
  for (const spec of specs) {
    const at = parseDuration(spec.at, 'at');
    const every = spec.every === undefined ? 0 : parseDuration(spec.every, 'every');
    const times = spec.times ?? 1;
    for (let i = 0; i < times; i++) out.push({ atMs: at + i * every, spec, occurrence: i + 1 });
  }
  return out.sort((a, b) => a.atMs - b.atMs);
}

/** A fault as one line of the summary: the action and its parameters. */
export function describeFault(spec: FaultSpec): string {
  return faultTypeOf(spec.action).describe(spec);
}
