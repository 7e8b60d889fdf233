import { z } from 'zod';
import { parseDuration } from '../../simulator/duration.ts';
import { SHUTDOWN_MODES } from '../engine/provisioned-database.ts';

/**
 * A scenario's `harness.faults`: what to break and when, as an operator running a failover
 * drill would. Each entry happens `at` a time after the load starts, and again `every` so
 * long, `times` times in all.
 */
export const POISON_KINDS = [
  'nul-id',
  'lone-surrogate',
  'delta-overflow',
  'progress-overflow',
] as const;
export type PoisonKind = (typeof POISON_KINDS)[number];

const duration = z
  .string()
  .regex(/^(\d+(\.\d+)?(ms|s|m|h))+$/, 'a duration like 500ms, 30s or 1m30s');
const when = {
  at: duration,
  every: duration.optional(),
  times: z.number().int().positive().max(1000).optional(),
};
const serviceRestart = {
  restartAfter: duration.optional(),
  /** Which of the run's services (`run --services N`), from 0; the first by default. */
  service: z.number().int().nonnegative().max(63).optional(),
};

export const faultSpecSchema = z
  .discriminatedUnion('action', [
    /** SIGKILL the service (what it buffered is lost: the audit's lost_at_crash), then start it again. */
    z.strictObject({ action: z.literal('kill-service'), ...when, ...serviceRestart }),
    /** SIGTERM the service (it flushes everything and exits), then start it again. */
    z.strictObject({ action: z.literal('stop-service'), ...when, ...serviceRestart }),
    /** pg_ctl restart -m fast|immediate, on a server the harness started. */
    z.strictObject({
      action: z.literal('restart-postgres'),
      ...when,
      mode: z.enum(SHUTDOWN_MODES).optional(),
    }),
    /** PostgreSQL down (fast shutdown) for a while, then started again. */
    z.strictObject({ action: z.literal('stop-postgres'), ...when, for: duration }),
    /** The Kafka broker stopped and started again (a broker the harness runs: --kafka local). */
    z.strictObject({ action: z.literal('restart-broker'), ...when }),
    /** Every chunk between service and database delayed, for a while. */
    z.strictObject({
      action: z.literal('link-latency'),
      ...when,
      ms: z.number().int().positive().max(60_000),
      for: duration,
    }),
    /** Every service-to-database connection cut at once (RST). */
    z.strictObject({ action: z.literal('link-reset'), ...when }),
    /** All service-to-database traffic held for a while, then let through (a partition that heals). */
    z.strictObject({ action: z.literal('link-black-hole'), ...when, for: duration }),
    /** The server's reply to the next COMMIT dropped and that connection cut: an unknown outcome. */
    z.strictObject({ action: z.literal('drop-commit-reply'), ...when }),
    /**
     * An event the database would refuse, sent beside the load: an id with a NUL or a lone
     * surrogate (refused at the door, or dead-lettered from Kafka), two deltas of INT's
     * largest value for one key (a sum past INT), or one on a row that already has progress
     * (a progress past INT). The partition must go on flushing.
     */
    z.strictObject({ action: z.literal('poison'), ...when, kind: z.enum(POISON_KINDS) }),
  ])
  .refine((f) => f.every === undefined || f.times !== undefined, {
    error: 'every needs times: how many times in all',
  });

export type FaultSpec = z.infer<typeof faultSpecSchema>;
export type FaultAction = FaultSpec['action'];

/** One fault at its time: what the runner does. */
export interface TimedFault {
  readonly atMs: number;
  readonly spec: FaultSpec;
  /** 1-based: which of the entry's `times` this is. */
  readonly occurrence: number;
}

/** What a fault needs from the run: a server, a broker, the link proxy, or only the service. */
export function faultNeeds(action: FaultAction): 'service' | 'postgres' | 'broker' | 'link' {
  switch (action) {
    case 'kill-service':
    case 'stop-service':
    case 'poison':
      return 'service';
    case 'restart-postgres':
    case 'stop-postgres':
      return 'postgres';
    case 'restart-broker':
      return 'broker';
    default:
      return 'link';
  }
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
  switch (spec.action) {
    case 'kill-service':
    case 'stop-service':
      return `${spec.action}${spec.service === undefined ? '' : ` of service ${spec.service}`}${spec.restartAfter === undefined ? '' : `, restart after ${spec.restartAfter}`}`;
    case 'restart-postgres':
      return `restart-postgres -m ${spec.mode ?? 'fast'}`;
    case 'stop-postgres':
    case 'link-black-hole':
      return `${spec.action} for ${spec.for}`;
    case 'link-latency':
      return `link-latency ${spec.ms} ms for ${spec.for}`;
    case 'poison':
      return `poison ${spec.kind}`;
    default:
      return spec.action;
  }
}
