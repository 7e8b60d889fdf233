import { FLUSH_PHASES } from '../../sut/buffer/flush-worker.ts';
import { z } from 'zod';
import { MAX_PLAYERS } from '../../simulator/population.ts';
import { faultSpecSchema } from '../faults/fault-spec.ts';
import { MAX_PARTITIONS } from '../../sut/partitioning/fnv1a.ts';
import { UsageError } from '../../scripts/lib/usage-error.ts';

/**
 * A scenario file's `options`: k6's `scenarios` and `thresholds`, plus the harness's keys.
 * Strict: unknown keys are errors, and every problem is reported at once.
 */
const duration = z
  .string()
  .regex(/^(\d+(\.\d+)?(ms|s|m|h))+$/, 'a duration like 500ms, 30s or 1m30s');
const constantArrivalRate = z.strictObject({
  executor: z.literal('constant-arrival-rate'),
  rate: z.number().positive(),
  timeUnit: duration.optional(),
  duration,
  gracefulStop: duration.optional(),
});
const rampingArrivalRate = z.strictObject({
  executor: z.literal('ramping-arrival-rate'),
  startRate: z.number().nonnegative().optional(),
  timeUnit: duration.optional(),
  stages: z.array(z.strictObject({ target: z.number().nonnegative(), duration })).min(1),
  gracefulStop: duration.optional(),
});
const thresholdEntry = z.union([
  z.string(),
  z.strictObject({
    threshold: z.string(),
    abortOnFail: z.boolean().optional(),
    delayAbortEval: duration.optional(),
  }),
]);

export const HARNESS_METRICS = {
  flush_size: 'trend',
  rows_updated: 'trend',
  flush_duration: 'trend',
  event_to_commit: 'trend',
  schedule_lag: 'trend',
  events_per_second: 'gauge',
  events_sent: 'counter',
  dropped_events: 'counter',
  rejected_events: 'counter',
  flushes: 'counter',
  flush_errors: 'counter',
  db_cpu: 'gauge',
  /** The audit (after the run): increments acknowledged but missing, beyond what a crash explains. */
  lost_increments: 'counter',
  /** The audit: increments applied more often than they were sent. */
  doubled_increments: 'counter',
  /** The audit: increments lost with the buffer of a service that was killed (HTTP's known window). */
  lost_at_crash: 'counter',
} as const;
export type HarnessMetric = keyof typeof HARNESS_METRICS;

/** Metrics known only once the run is over (the audit): never judged while it runs. */
export const END_OF_RUN_METRICS: ReadonlySet<HarnessMetric> = new Set([
  'lost_increments',
  'doubled_increments',
  'lost_at_crash',
]);

export const scenarioOptionsSchema = z.strictObject({
  scenarios: z
    .record(z.string(), z.discriminatedUnion('executor', [constantArrivalRate, rampingArrivalRate]))
    .refine(
      (s) => Object.keys(s).length === 1,
      'exactly one scenario: the harness drives one load at a time',
    ),
  thresholds: z
    .record(z.string(), z.array(thresholdEntry))
    .refine(
      (t) => Object.keys(t).every((m) => Object.hasOwn(HARNESS_METRICS, m)),
      `threshold metrics are ${Object.keys(HARNESS_METRICS).join(', ')}`,
    )
    .optional(),
  harness: z
    .strictObject({
      transport: z.enum(['http', 'kafka']).optional(),
      variant: z.string().optional(),
      /** Several variants: the scenario runs once per variant, one after another, each on fresh data. */
      variants: z.array(z.string()).min(1).optional(),
      partitions: z.number().int().positive().max(MAX_PARTITIONS).optional(),
      flushIntervalMs: z.number().int().positive().optional(),
      flushPhase: z.enum(FLUSH_PHASES).optional(),
      bufferSize: z.number().int().positive().optional(),
      players: z.number().int().positive().max(MAX_PLAYERS).optional(),
      goals: z.number().int().positive().optional(),
      seed: z.number().int().optional(),
      dbCpuLimitPercent: z.number().positive().max(100).optional(),
      /** What to break during the run, and when (scenarios/faults/fault-spec.ts). */
      faults: z.array(faultSpecSchema).max(1000).optional(),
      /** false: HTTP flushes without their fence, to show what a lost COMMIT reply then does. */
      flushFence: z.boolean().optional(),
    })
    .optional(),
});

export type ScenarioOptions = z.input<typeof scenarioOptionsSchema>;
export type ValidScenarioOptions = z.output<typeof scenarioOptionsSchema>;

/** Validates options from a file; the error names the file and every key at fault. */
export function validateScenarioOptions(file: string, raw: unknown): ValidScenarioOptions {
  const parsed = scenarioOptionsSchema.safeParse(raw);
  const problems = parsed.success
    ? []
    : parsed.error.issues.map((i) => `${i.path.join('.') || 'options'}: ${i.message}`);
  // A key such as __proto__ does not survive parsing into a plain object: looked for in
  // what the file gave, so it is refused rather than silently dropped.
  const thresholds = (raw as { thresholds?: unknown } | null)?.thresholds;
  if (typeof thresholds === 'object' && thresholds !== null) {
    const unknownMetrics = Object.keys(thresholds).filter(
      (m) => !Object.hasOwn(HARNESS_METRICS, m),
    );
    if (unknownMetrics.length > 0 && parsed.success)
      problems.push(
        `thresholds: ${unknownMetrics.map((m) => JSON.stringify(m)).join(', ')}: threshold metrics are ${Object.keys(HARNESS_METRICS).join(', ')}`,
      );
  }
  if (!parsed.success || problems.length > 0)
    throw new UsageError(`scenario ${file} is not valid:`, problems);
  return parsed.data;
}
