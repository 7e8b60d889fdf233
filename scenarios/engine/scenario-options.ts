import { FLUSH_PHASES } from '../../sut/buffer/flush-worker.ts';
import { z } from 'zod';
import { MAX_PLAYERS } from '../../sut/db/player-ids.ts';
import { faultSpecSchema } from '../faults/fault-spec.ts';
import { MAX_PARTITIONS } from '../../sut/partitioning/fnv1a.ts';
import { UsageError } from '../../lib/errors.ts';
import { AUDIT_CHECK_NAMES } from '../../results/schema/result-schema.ts';
import { parseMetricKey, type CustomTags } from '../thresholds/metric-key.ts';
import {
  IGNORED_K6_OPTIONS,
  IGNORED_K6_SCENARIO_KEYS,
  REFUSED_K6_EXECUTORS,
  REFUSED_K6_OPTIONS,
} from './k6-options.ts';
import { healthLimitsSchema } from './health-limits.ts';
import {
  HARNESS_METRICS,
  METRIC_TAGS,
  METRIC_TAGS_OF,
  type HarnessMetric,
} from '../../results/metric-registry.ts';

/**
 * A scenario file's `options`: k6's `scenarios` and `thresholds`, plus the harness's keys.
 * Strict: unknown keys are errors, and every problem is reported at once.
 */
const duration = z
  .string()
  .regex(/^(\d+(\.\d+)?(ms|s|m|h))+$/, 'a duration like 500ms, 30s or 1m30s');
/**
 * k6's tags: extra name:value pairs on every sample (of the file, or of one scenario), which
 * thresholds can select. The harness's own tags cannot be set this way.
 */
const tags = z
  .record(
    z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a tag name of letters, digits and _'),
    z.string().regex(/^[^{},:]+$/, 'a tag value without { } , or :'),
  )
  .refine(
    (t) => METRIC_TAGS.every((own) => !Object.hasOwn(t, own)),
    `${METRIC_TAGS.join(', ')} are tags the harness sets itself`,
  )
  .optional();
/** Keys k6 has no harness use for: accepted as they are, and listed once when a run starts. */
const ignored = (keys: readonly string[]) =>
  Object.fromEntries(keys.map((k) => [k, z.unknown().optional()]));
/**
 * k6's scenario keys every executor has: when it starts, how long its stragglers may run, its
 * tags; and those about VUs and script functions, which the harness ignores.
 */
const scenarioTiming = {
  startTime: duration.optional(),
  gracefulStop: duration.optional(),
  tags,
  ...ignored(IGNORED_K6_SCENARIO_KEYS),
};
/** k6's trend statistics the harness computes: avg, min, med, max and percentiles p(N). */
export const trendStat = z
  .string()
  .regex(/^(avg|min|med|max|p\(\d{1,2}(\.\d+)?\))$/, 'avg, min, med, max or p(N)');
const constantArrivalRate = z.strictObject({
  executor: z.literal('constant-arrival-rate'),
  rate: z.number().positive(),
  timeUnit: duration.optional(),
  duration,
  ...scenarioTiming,
});
const rampingArrivalRate = z.strictObject({
  executor: z.literal('ramping-arrival-rate'),
  startRate: z.number().nonnegative().optional(),
  timeUnit: duration.optional(),
  stages: z.array(z.strictObject({ target: z.number().nonnegative(), duration })).min(1),
  ...scenarioTiming,
});
const thresholdEntry = z.union([
  z.string(),
  z.strictObject({
    threshold: z.string(),
    abortOnFail: z.boolean().optional(),
    delayAbortEval: duration.optional(),
  }),
]);

/** A threshold key's problems: an unknown metric, a tag it does not carry, a scenario not in the file. */
function thresholdKeyProblems(
  key: string,
  scenarios: readonly string[] | undefined,
  custom: CustomTags | undefined,
): string[] {
  let parsed;
  try {
    parsed = parseMetricKey(key, custom);
  } catch (error) {
    return [`thresholds: ${(error as Error).message}`];
  }
  if (!Object.hasOwn(HARNESS_METRICS, parsed.metric))
    return [
      `thresholds: ${JSON.stringify(key)}: threshold metrics are ${Object.keys(HARNESS_METRICS).join(', ')}`,
    ];
  const metric = parsed.metric as HarnessMetric;
  const problems: string[] = [];
  for (const tag of METRIC_TAGS)
    if (parsed.filter[tag] !== undefined && !METRIC_TAGS_OF[metric].includes(tag))
      problems.push(
        `thresholds: ${key}: ${metric} has no ${tag} tag (it has ${METRIC_TAGS_OF[metric].join(', ')})`,
      );
  if (
    scenarios !== undefined &&
    parsed.filter.scenario !== undefined &&
    !scenarios.includes(parsed.filter.scenario)
  )
    problems.push(
      `thresholds: ${key}: no scenario named ${parsed.filter.scenario} (the file's: ${scenarios.join(', ')})`,
    );
  return problems;
}

export const scenarioOptionsSchema = z.strictObject({
  scenarios: z
    .record(
      z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'a scenario name of letters, digits, - and _'),
      z.discriminatedUnion('executor', [constantArrivalRate, rampingArrivalRate]),
    )
    .refine((s) => Object.keys(s).length >= 1, 'at least one scenario')
    .refine((s) => Object.keys(s).length <= 16, 'at most 16 scenarios'),
  thresholds: z.record(z.string(), z.array(thresholdEntry)).optional(),
  /** Tags on every sample of the run. */
  tags,
  /** The trend statistics the summary and its exports show (k6's default when absent). */
  summaryTrendStats: z.array(trendStat).min(1).optional(),
  /** The summary never has colour; accepted so that a k6 file keeps it. */
  noColor: z.boolean().optional(),
  ...ignored(IGNORED_K6_OPTIONS),
  ...ignored(Object.keys(REFUSED_K6_OPTIONS)),
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
      /** The event mix, source: weight (harness simulate --mix). */
      mix: z.record(z.string().regex(/^[a-z][a-z0-9_]*$/), z.number().nonnegative()).optional(),
      /** Zipf exponent of player activity, 0 uniform (harness simulate --skew). */
      skew: z.number().nonnegative().max(10).optional(),
      dbCpuLimitPercent: z.number().positive().max(100).optional(),
      /** What to break during the run, and when (scenarios/faults/fault-spec.ts). */
      faults: z.array(faultSpecSchema).max(1000).optional(),
      /** false: HTTP flushes without their fence, to show what a lost COMMIT reply then does. */
      flushFence: z.boolean().optional(),
      /**
       * true: seed the table as COPY leaves it (full pages: every row's first update writes
       * every index), not as a long-lived table (--fresh-table).
       */
      freshTable: z.boolean().optional(),
      /**
       * Audit checks this scenario breaks on purpose (a flush without its fence doubles): still
       * reported, the verdict still WRONG RESULTS, but the run does not fail on them.
       */
      allowWrongResults: z.array(z.enum(AUDIT_CHECK_NAMES)).optional(),
      /** The /healthz limits of the service(s) the run starts (harness sut --health-*), in ms. */
      health: healthLimitsSchema.optional(),
      /**
       * A network between the service and PostgreSQL: this round trip in ms, half each way,
       * through the harness's proxy (--db-latency, which overrides it).
       */
      dbLatencyMs: z.number().nonnegative().max(1000).optional(),
      /** Each packet's one-way delay varies by up to half this either side (--db-jitter). */
      dbJitterMs: z.number().nonnegative().optional(),
    })
    .refine(
      (h) => h.dbJitterMs === undefined || h.dbJitterMs <= (h.dbLatencyMs ?? 0),
      'dbJitterMs needs dbLatencyMs, and at most that much (no delay below 0)',
    )
    .optional(),
});

export type ScenarioOptions = z.input<typeof scenarioOptionsSchema>;
export type ValidScenarioOptions = z.output<typeof scenarioOptionsSchema>;

/** Validates options from a file; the error names the file and every key at fault. */
export function validateScenarioOptions(file: string, raw: unknown): ValidScenarioOptions {
  const parsed = scenarioOptionsSchema.safeParse(raw);
  const refusedExecutor = (i: z.core.$ZodIssue) =>
    i.path[0] === 'scenarios' &&
    i.path.length >= 2 &&
    refusedExecutorOf(raw, String(i.path[1])) !== undefined;
  const problems = parsed.success
    ? []
    : parsed.error.issues
        .filter((i) => !refusedExecutor(i))
        .map((i) => `${i.path.join('.') || 'options'}: ${i.message}`);
  problems.push(...refusedK6Problems(raw));
  // Keys are checked in what the file gave: one such as __proto__ does not survive parsing
  // into a plain object, and must be refused rather than silently dropped.
  const thresholds = (raw as { thresholds?: unknown } | null)?.thresholds;
  if (typeof thresholds === 'object' && thresholds !== null) {
    // With the scenarios themselves at fault, a scenario tag cannot be checked against them.
    const scenarios = parsed.success ? Object.keys(parsed.data.scenarios) : undefined;
    const custom = parsed.success ? customTagsOf(parsed.data) : undefined;
    for (const key of Object.keys(thresholds))
      problems.push(...thresholdKeyProblems(key, scenarios, custom));
  }
  if (!parsed.success || problems.length > 0) {
    // In the order the file gives its keys: scenarios, thresholds, harness as written.
    const order = typeof raw === 'object' && raw !== null ? Object.keys(raw) : [];
    const rank = (problem: string) => {
      const i = order.indexOf(problem.split(/[.:]/, 1)[0] ?? '');
      return i < 0 ? order.length : i;
    };
    throw new UsageError(
      `scenario ${file} is not valid:`,
      problems
        .map((p, i) => ({ p, i }))
        .sort((a, b) => rank(a.p) - rank(b.p) || a.i - b.i)
        .map((x) => x.p),
    );
  }
  return parsed.data;
}

/** The tags a file sets, for thresholds that select samples by them. */
export function customTagsOf(options: ValidScenarioOptions): CustomTags {
  return {
    global: options.tags ?? {},
    scenarios: Object.fromEntries(
      Object.entries(options.scenarios).map(([name, sc]) => [name, sc.tags ?? {}]),
    ),
  };
}

function refusedExecutorOf(raw: unknown, scenario: string): string | undefined {
  const executor = (raw as { scenarios?: Record<string, { executor?: unknown }> } | null)
    ?.scenarios?.[scenario]?.executor;
  return typeof executor === 'string' && Object.hasOwn(REFUSED_K6_EXECUTORS, executor)
    ? executor
    : undefined;
}

/** k6 options and executors the harness cannot carry out, each with what it has instead. */
function refusedK6Problems(raw: unknown): string[] {
  if (typeof raw !== 'object' || raw === null) return [];
  const problems = Object.keys(raw)
    .filter((k) => Object.hasOwn(REFUSED_K6_OPTIONS, k))
    .map((k) => `${k}: k6's shortcut is not supported; ${REFUSED_K6_OPTIONS[k]}`);
  const scenarios = (raw as { scenarios?: unknown }).scenarios;
  if (typeof scenarios === 'object' && scenarios !== null)
    for (const name of Object.keys(scenarios)) {
      const executor = refusedExecutorOf(raw, name);
      if (executor !== undefined)
        problems.push(
          `scenarios.${name}.executor: ${executor} is not supported; ${REFUSED_K6_EXECUTORS[executor]}`,
        );
    }
  return problems;
}
