import { z } from 'zod';

/**
 * The results JSON (docs/contracts.md), one file per measuring command. Bump
 * SCHEMA_VERSION on any change that an older reader would misread, and document it in
 * results/README.md. `results.schema.json` beside this file is generated from these
 * definitions (`npm run schema`) and checked by a test.
 */
export const SCHEMA_VERSION = 2;

const finite = z.number();
const nonNegative = finite.nonnegative();

export const gitSchema = z.strictObject({
  commit: z.string(),
  branch: z.string(),
  dirty: z.boolean(),
});

export const environmentSchema = z.strictObject({
  node: z.string(),
  os: z.string(),
  cpu: z.strictObject({ model: z.string(), count: z.number().int().positive() }),
  memoryGiB: z
    .number()
    .positive()
    .optional()
    .describe("The machine's memory in whole GiB (absent in results saved before it was recorded)"),
  postgres: z.strictObject({
    version: z.string(),
    source: z.string(),
    settings: z.record(z.string(), z.string()),
  }),
  kafka: z.string().optional(),
  link: z
    .strictObject({
      roundTripMs: nonNegative.describe('The round trip --db-latency asked for (ms)'),
      jitterMs: nonNegative,
      throughRoundTripMs: nonNegative.describe('SELECT 1 through the proxy, median (ms)'),
      directRoundTripMs: nonNegative.describe('SELECT 1 straight to the server, median (ms)'),
      measuredAddedMs: nonNegative.describe(
        'What the link added to the SELECT 1 probes after the work: through - direct (ms)',
      ),
      heldRoundTripMs: nonNegative.describe(
        "What the link held each round trip over the work: twice chunks' mean hold (ms)",
      ),
      latenessP50Ms: nonNegative.describe("Chunks' lateness against their due time, median (ms)"),
      latenessP99Ms: nonNegative.describe("Chunks' lateness against their due time, p99 (ms)"),
      latenessMaxMs: nonNegative,
      held: z.boolean().describe('Whether the link held the round trip asked for'),
    })
    .optional()
    .describe(
      "--db-latency: the network the harness's proxy put between its connections and PostgreSQL",
    ),
});

export const thresholdSchema = z.strictObject({
  metric: z.string(),
  expression: z.string(),
  value: finite.nullable(),
  ok: z.boolean(),
});

export const summarySchema = z
  .strictObject({
    n: z.number().int().nonnegative(),
    min: finite,
    max: finite,
    mean: finite,
    median: finite,
    p95: finite,
    q1: finite,
    q3: finite,
  })
  .describe(
    'Descriptive statistics of samples in milliseconds (quantiles: linear interpolation, type 7)',
  );

export const statementModeSchema = z.enum(['unprepared', 'prepared']);

export const rowCostSchema = z
  .strictObject({
    rows: z.number().int().nonnegative().describe('Rows updated in the window'),
    seconds: nonNegative,
    rowsPerSecond: nonNegative,
    cpuUsPerRow: nonNegative
      .nullable()
      .describe('Microseconds per row of CPU (or server time: cpuSource); null when unmeasured'),
    cpuSource: z
      .enum(['backends', 'server', 'pg_stat_statements'])
      .nullable()
      .describe(
        "backends: the statements' own backends (/proc schedstat); server: every process of the server (/proc); pg_stat_statements: planning + execution time, waits included",
      ),
    walBytesPerRow: nonNegative.describe('WAL bytes inserted in the window per row'),
    fpiPerRow: nonNegative.nullable().describe('Full-page images per row (pg_stat_wal)'),
    fpiShare: nonNegative.nullable().describe('Full-page images / WAL records'),
    hotShare: nonNegative
      .nullable()
      .describe('HOT updates / updates of the table (n_tup_hot_upd / n_tup_upd)'),
    buffersHitPerRow: nonNegative.describe('Shared buffers hit per row: table, indexes, TOAST'),
    buffersReadPerRow: nonNegative.describe('Shared buffers read (missed) per row'),
    checkpoints: z
      .number()
      .int()
      .nonnegative()
      .nullable()
      .describe('Checkpoints started in the window'),
    autovacuums: z
      .number()
      .int()
      .nonnegative()
      .describe('Autovacuum runs on the table in the window'),
    autoanalyzes: z.number().int().nonnegative(),
  })
  .describe('What a window of updates cost the database, per row updated');

export const ceilingSchema = z
  .strictObject({
    size: z.number().int().positive(),
    batches: z.number().int().positive(),
    sessions: z
      .number()
      .int()
      .positive()
      .optional()
      .describe(
        'Loops run at once, one per connection: the flushers or partitions it stands for (absent: 1)',
      ),
    cost: rowCostSchema,
  })
  .describe(
    'The same increments applied by loops on the server (UPDATE ... FROM unnest, a commit per batch, no client), as many at once as the work compared with: the most rows/s this server gives that work',
  );

export const sweepCellSchema = z.strictObject({
  variant: z.string(),
  size: z.number().int().positive().describe('Rows per batch'),
  statement: statementModeSchema,
  wallMs: summarySchema.describe(
    'Wall time per batch as the flusher sees it: preparing the batch and running the UPDATE to its commit',
  ),
  samplesMs: z
    .array(nonNegative)
    .describe('Every timed batch, in run order (raw samples for significance tests)'),
  hdr: z
    .string()
    .describe(
      'The same samples as an HdrHistogram in microseconds, compressed base64 (hdr-histogram-js), mergeable across runs',
    ),
  msPerRow: nonNegative.describe('Median wall time / size'),
  rowsPerSecond: nonNegative.describe(
    'Rows updated per second of flusher time, all flushers together',
  ),
  clientOverheadMs: nonNegative.describe(
    'Median time spent in the harness before the batch is sent: validation, array building, serialisation',
  ),
  planningMs: nonNegative
    .nullable()
    .describe('Median planning time from EXPLAIN (ANALYZE) runs (unprepared only)'),
  executionMs: nonNegative
    .nullable()
    .describe('Median execution time from EXPLAIN (ANALYZE) runs (unprepared only)'),
  explainRuns: z.number().int().nonnegative(),
  planningShare: nonNegative.nullable().describe('Median planning / median wall time'),
  sharedBlocksHit: nonNegative.nullable(),
  sharedBlocksRead: nonNegative.nullable(),
  cost: rowCostSchema
    .optional()
    .describe(
      "The cell's batches alone, between readings of the server's counters (absent in results from before cost accounting, or with --cost-ms 0)",
    ),
});

export const crossoverSchema = z.strictObject({
  faster: z.string(),
  slower: z.string(),
  statement: statementModeSchema,
  fromSize: z
    .number()
    .int()
    .positive()
    .nullable()
    .describe(
      'Smallest size from which `faster` wins at every larger size; null when it never does',
    ),
  everySize: z.boolean().describe('`faster` wins at every size measured'),
  overlapAtCrossover: z
    .boolean()
    .describe('Interquartile ranges overlap at fromSize: the win there is within noise'),
});

export const linearitySchema = z.strictObject({
  variant: z.string(),
  statement: statementModeSchema,
  baseSize: z.number().int().positive(),
  baseMsPerRow: nonNegative,
  ratios: z.array(
    z.strictObject({
      size: z.number().int().positive(),
      msPerRow: nonNegative,
      ratio: nonNegative,
    }),
  ),
});

export const preparedDeltaSchema = z.strictObject({
  variant: z.string(),
  size: z.number().int().positive(),
  unpreparedMs: nonNegative,
  preparedMs: nonNegative,
  deltaPercent: finite.describe(
    '(prepared - unprepared) / unprepared x 100: negative when preparing helps',
  ),
});

export const pgStatStatementsSchema = z.union([
  z.strictObject({
    available: z.literal(true),
    statements: z.array(
      z.strictObject({
        variant: z.string(),
        calls: z.number().int().nonnegative(),
        meanExecMs: nonNegative,
        meanPlanMs: nonNegative.nullable(),
        rows: z.number().int().nonnegative(),
      }),
    ),
  }),
  z.strictObject({ available: z.literal(false), reason: z.string() }),
]);

export const pgbenchCheckSchema = z.strictObject({
  variant: z.string(),
  size: z.number().int().positive(),
  transactions: z.number().int().positive(),
  pgbenchMeanMs: nonNegative,
  harnessMeanMs: nonNegative,
  differencePercent: finite.describe('(harness - pgbench) / pgbench x 100'),
});

export const machineLoadSchema = z.strictObject({
  cores: z.number().int().positive(),
  loadAverage: z.strictObject({ min: nonNegative, max: nonNegative, mean: nonNegative }),
  stealPercent: nonNegative,
  cpuPercent: z.strictObject({
    harness: nonNegative,
    service: nonNegative,
    database: nonNegative,
    broker: nonNegative,
    others: nonNegative,
  }),
  busyPercent: nonNegative,
  warning: z.string().nullable(),
});

const windowFiguresSchema = z.strictObject({
  flushes: z.number().int().nonnegative(),
  flushP95Ms: nonNegative.nullable(),
  eventToCommitP99Ms: nonNegative.nullable(),
});

export const settlingSchema = z
  .strictObject({
    seconds: z.number().int().positive().describe('The length of each window compared'),
    first: windowFiguresSchema,
    last: windowFiguresSchema,
    flushP95Ratio: nonNegative.nullable().describe('first flush p95 / last flush p95'),
    settledAfterSeconds: nonNegative
      .nullable()
      .describe(
        'The second from which, in every 10 seconds, at most one per-second flush p95 is above 2x the last window; null: never',
      ),
  })
  .describe("The load's first and last seconds compared, exactly: whether the run settled");

export const sweepMetricsSchema = z.strictObject({
  durationMs: nonNegative,
  seed: z.strictObject({
    rows: z.number().int().nonnegative(),
    ms: nonNegative,
    rowsPerSecond: nonNegative,
    updatableRows: z.number().int().nonnegative(),
  }),
  roundTripMs: nonNegative.describe(
    'Median `SELECT 1` round trip: the floor under every statement',
  ),
  network: z
    .strictObject({
      linkRoundTripMs: nonNegative.describe('SELECT 1 through the link, median (ms)'),
      addedMs: nonNegative.describe(
        'What the link held each round trip over the sweep (twice the mean chunk hold, ms)',
      ),
      roundTripsPerFlush: nonNegative.describe(
        'Round trips per timed batch, as the proxy counted them (client turns after the server spoke)',
      ),
      msPerFlush: nonNegative.describe('addedMs x roundTripsPerFlush: the network in each batch'),
      shortfall: z
        .string()
        .optional()
        .describe('Present when the link did not hold the round trip asked for: by how much'),
    })
    .optional()
    .describe('--db-latency: how much of each batch was the network'),
  cells: z.array(sweepCellSchema),
  crossovers: z.array(crossoverSchema),
  linearity: z.array(linearitySchema),
  preparedDelta: z.array(preparedDeltaSchema),
  overhead: z
    .strictObject({
      size: z.number().int().positive(),
      medianWallMs: nonNegative,
      clientOverheadMs: nonNegative,
      percent: nonNegative,
    })
    .nullable()
    .describe('Harness overhead at the largest size up to 1,000 rows, worst variant'),
  table: z.strictObject({
    name: z
      .string()
      .optional()
      .describe('The table measured, schema.name (absent in results written before schemas)'),
    deadTuplesBefore: z.number().int().nonnegative(),
    deadTuplesAfter: z.number().int().nonnegative(),
    vacuumBetweenSizes: z.boolean(),
  }),
  pgStatStatements: pgStatStatementsSchema,
  pgbench: z
    .union([z.array(pgbenchCheckSchema), z.strictObject({ skipped: z.string() })])
    .nullable(),
  findings: z.array(z.string()),
  ceiling: z
    .array(ceilingSchema)
    .optional()
    .describe('The ceiling at each size (absent in results from before it, or with --cost-ms 0)'),
  costNote: z
    .string()
    .optional()
    .describe('Why a cost figure is missing or what it counts, when that needs saying'),
  machine: machineLoadSchema
    .optional()
    .describe(
      'How busy the machine was while the sweep measured (absent in results from before it was recorded)',
    ),
});

export const sweepConfigSchema = z.strictObject({
  sizes: z.array(z.number().int().positive()),
  variants: z.array(z.string()),
  players: z.number().int().positive(),
  goals: z.number().int().positive(),
  seed: z.number().int(),
  minSamples: z.number().int().positive(),
  minTimeMs: nonNegative,
  statements: z.array(statementModeSchema),
  concurrency: z.number().int().positive(),
  explainRuns: z.number().int().nonnegative(),
  warmupBatches: z.number().int().nonnegative(),
  vacuumBetweenSizes: z.boolean(),
  freshTable: z
    .boolean()
    .optional()
    .describe('The table as COPY left it (absent in results from before settled tables)'),
  quick: z.boolean(),
  pgbench: z.boolean(),
  costMs: nonNegative
    .optional()
    .describe("Each cell's cost pass length; 0: no cost pass (absent before cost accounting)"),
  ceilingRows: z.number().int().nonnegative().optional().describe('Rows per ceiling measurement'),
  db: z.string(),
  baseServer: z
    .strictObject({ version: z.string() })
    .optional()
    .describe('--base-database-url: the server the <name>_base variants ran on, and its version'),
});

const common = {
  schemaVersion: z.literal(SCHEMA_VERSION),
  createdAt: z.iso.datetime(),
  git: gitSchema,
  env: environmentSchema,
  thresholds: z.array(thresholdSchema),
};

export const sweepResultSchema = z.strictObject({
  ...common,
  kind: z.literal('sweep'),
  name: z.string(),
  config: sweepConfigSchema,
  metrics: sweepMetricsSchema,
  verdict: z.null().describe('A sweep measures; verdicts come from `harness run`'),
});

export const benchResultSchema = z.strictObject({
  ...common,
  env: environmentSchema.nullable().describe('null when no database was involved'),
  kind: z.literal('bench'),
  name: z.string(),
  config: z.record(z.string(), z.unknown()),
  metrics: z.strictObject({
    figures: z
      .record(z.string(), finite)
      .describe('Named figures, units in the name (events_per_second, p99_ms, ...)'),
    notes: z.array(z.string()),
  }),
  verdict: z.null(),
});

export const simulateResultSchema = z.strictObject({
  ...common,
  env: environmentSchema.nullable(),
  kind: z.literal('simulate'),
  name: z.string(),
  config: z.record(z.string(), z.unknown()).describe('Every option of the run'),
  metrics: z.strictObject({
    scheduled: z.number().int().nonnegative(),
    sent: z.number().int().nonnegative(),
    dropped: z.number().int().nonnegative(),
    elapsedMs: nonNegative,
    targetRate: nonNegative,
    achievedRate: nonNegative,
    lag: z.strictObject({
      p50Ms: nonNegative,
      p90Ms: nonNegative,
      p99Ms: nonNegative,
      maxMs: nonNegative,
    }),
    lagHdr: z
      .string()
      .describe('Schedule lag of every sent event in microseconds, compressed HdrHistogram'),
    partitions: z.array(
      z.strictObject({
        partition: z.number().int().nonnegative(),
        sent: z.number().int().nonnegative(),
        dropped: z.number().int().nonnegative(),
        lagP50Ms: nonNegative,
        lagP99Ms: nonNegative,
        lagMaxMs: nonNegative,
        lagHdr: z
          .string()
          .optional()
          .describe("This partition's schedule lag in microseconds, compressed HdrHistogram"),
      }),
    ),
    scenarios: z
      .array(
        z.strictObject({
          name: z.string(),
          scheduled: z.number().int().nonnegative(),
          sent: z.number().int().nonnegative(),
          dropped: z.number().int().nonnegative(),
          lagHdr: z.string(),
        }),
      )
      .optional()
      .describe("What each of the plan's scenarios scheduled, sent and dropped"),
    sink: z.strictObject({
      name: z.string(),
      delivered: z.number().int().nonnegative(),
      rejected: z.number().int().nonnegative(),
      failed: z.number().int().nonnegative(),
      requests: z.number().int().nonnegative(),
      errors: z.array(z.string()),
      transport: z
        .enum(['stream', 'requests'])
        .optional()
        .describe(
          'HTTP sink: how its batches went at the end: one POST /events/stream, or a POST /events each (chosen, or fallen back to)',
        ),
      partitions: z
        .array(z.number().int().nonnegative())
        .optional()
        .describe('Kafka sink: records acknowledged per Kafka partition'),
    }),
  }),
  verdict: z.null(),
});

export const bucketHistogramSchema = z
  .strictObject({
    unit: z.string(),
    bounds: z.array(finite).describe('Finite upper bounds of the buckets, ascending'),
    partitions: z.array(
      z.strictObject({
        partition: z.number().int().nonnegative(),
        counts: z
          .array(nonNegative)
          .describe('Observations per bucket (not cumulative); the last is the +Inf bucket'),
      }),
    ),
  })
  .describe('A Prometheus histogram of the service, bucket by bucket and partition by partition');

const auditExample = z.strictObject({
  userId: z.string(),
  goalId: z.string(),
  before: finite,
  after: finite,
  acknowledged: nonNegative,
  sent: nonNegative,
  low: finite.optional().describe('The least the row may hold (absent in older results)'),
  high: finite.optional().describe('The most the row may hold (absent in older results)'),
  inCrashWindow: nonNegative
    .optional()
    .describe("The key's acknowledged increments inside crash windows (absent when none)"),
  error: nonNegative
    .optional()
    .describe('How far the row is outside its bounds (absent in older results)'),
});

const auditError = z
  .strictObject({ absolute: nonNegative, relative: nonNegative })
  .nullable()
  .describe('The largest error of any key: increments, and share of what the key had to move');

export const auditSchema = z
  .strictObject({
    events: z.strictObject({
      scheduled: nonNegative,
      notSent: nonNegative,
      unknown: nonNegative,
      acknowledged: nonNegative,
      refused: nonNegative,
    }),
    rowsChecked: nonNegative,
    lostIncrements: nonNegative,
    lostAtCrash: nonNegative,
    lost: nonNegative,
    doubled: nonNegative,
    untouchableMoved: nonNegative,
    deadLettered: nonNegative,
    crashBound: nonNegative,
    keysLost: nonNegative,
    keysLostAtCrash: nonNegative
      .optional()
      .describe('Keys short within their crash windows only (absent in older results)'),
    keysDoubled: nonNegative,
    indeterminate: nonNegative
      .optional()
      .describe(
        'Increments sent without an answer: in the upper bounds only (absent in older results)',
      ),
    crashes: z
      .array(
        z.strictObject({
          atSeconds: finite.optional(),
          unwrittenReported: nonNegative,
          window: nonNegative,
          keys: nonNegative,
          lost: nonNegative,
          keysLost: nonNegative,
        }),
      )
      .optional()
      .describe('Each crash window, attributed key by key (absent in older results)'),
    maxError: z
      .strictObject({ lost: auditError, doubled: auditError })
      .optional()
      .describe('The largest error of any key per anomaly (absent in older results)'),
    examples: z.strictObject({
      lost: z.array(auditExample),
      doubled: z.array(auditExample),
      lostAtCrash: z.array(auditExample).optional(),
      untouchable: z.array(auditExample).optional(),
    }),
    durationMs: nonNegative,
  })
  .describe(
    "Jepsen's counter check per (player, goal): at least the acknowledged increments, at most the sent ones",
  );

export const AUDIT_CHECK_NAMES = [
  'lost_increments',
  'doubled_increments',
  'untouchable_rows_moved',
] as const;
export type AuditCheckName = (typeof AUDIT_CHECK_NAMES)[number];

const verdictAuditSchema = z.strictObject({
  variant: z.string(),
  checks: z.array(
    z.strictObject({
      name: z.enum(AUDIT_CHECK_NAMES),
      description: z.string(),
      /** Increments for lost and doubled, rows for untouchable rows moved. */
      count: nonNegative,
      rows: nonNegative,
      ok: z.boolean(),
      /** The scenario names this check in harness.allowWrongResults: reported, not failed. */
      allowed: z.boolean(),
    }),
  ),
  examples: z.array(
    z.strictObject({
      kind: z.enum(['lost', 'doubled']),
      player: z.string(),
      goal: z.string(),
      expected: z.string(),
      found: finite,
    }),
  ),
  meaning: z.string().optional().describe('What these wrong results say about the variant'),
});

export const runResultSchema = z.strictObject({
  ...common,
  kind: z.literal('run'),
  name: z.string().describe('The scenario'),
  config: z
    .record(z.string(), z.unknown())
    .describe('The scenario file and its options after command-line overrides'),
  metrics: z.strictObject({
    durationMs: nonNegative,
    values: z
      .record(z.string(), z.record(z.string(), finite.nullable()))
      .describe('Each metric under each aggregation the summary shows'),
    steadyScenario: z
      .string()
      .optional()
      .describe(
        'In a file of several scenarios, the one the verdict, the partition table and the key figures are about (the others warm up); absent with one scenario',
      ),
    series: z
      .array(
        z.strictObject({
          t: nonNegative,
          targetRate: nonNegative,
          eventsPerSecond: nonNegative,
          flushP95Ms: finite.nullable(),
          eventToCommitP99Ms: finite.nullable().describe('p99 over this second alone'),
          bufferDepth: nonNegative,
          errors: nonNegative,
          faults: z.array(z.string()).optional().describe('Faults that started in this second'),
        }),
      )
      .describe('One sample of the service per second'),
    partitions: z.array(
      z.strictObject({
        partition: z.number().int().nonnegative(),
        flushes: nonNegative,
        sharePercent: nonNegative,
        avgRows: finite.nullable(),
      }),
    ),
    predictedFlushRows: nonNegative,
    measuredFlushRows: finite.nullable(),
    dbCpu: z.union([
      z.strictObject({ percent: nonNegative }),
      z.strictObject({ unavailable: z.string() }),
    ]),
    simulator: z.record(z.string(), z.unknown()),
    aborted: z.string().nullable().describe('Why the run stopped early, when it did'),
    histograms: z
      .strictObject({
        flushSizeRows: bucketHistogramSchema,
        flushDurationMs: bucketHistogramSchema,
        eventToCommitMs: bucketHistogramSchema,
      })
      .nullable()
      .describe('null in files migrated from schema version 1, which did not keep them'),
    breakpoint: z
      .strictObject({
        limitMs: nonNegative,
        highestSustainedRate: nonNegative.nullable(),
        firstOverAt: nonNegative.nullable(),
      })
      .nullable()
      .describe(
        'For scenarios with an abortOnFail event_to_commit p(N) threshold: the highest target rate whose seconds all kept that percentile under the limit',
      ),
    faults: z
      .array(
        z.strictObject({
          t: nonNegative.describe('Seconds from the start of the load'),
          action: z.string(),
          detail: z.string(),
          durationMs: nonNegative,
          ok: z.boolean(),
          error: z.string().optional(),
        }),
      )
      .optional()
      .describe("The scenario's faults as they happened (absent in results from before faults)"),
    serviceLives: z
      .number()
      .int()
      .positive()
      .optional()
      .describe('Processes the service ran as: 1, plus one per restart a fault caused'),
    machine: machineLoadSchema
      .optional()
      .describe(
        'How busy the machine was while the run measured (absent in results from before it was recorded)',
      ),
    settling: settlingSchema
      .nullable()
      .optional()
      .describe('Absent in results from before it was recorded; null for a load under 2 s'),
    latency: z
      .record(z.string(), z.record(z.string(), z.record(z.string(), z.string())))
      .optional()
      .describe(
        "The service's exact histograms: metric -> scenario -> partition -> compressed base64 HdrHistogram (microseconds, or rows); absent in results from before them",
      ),
    link: z
      .strictObject({
        connections: nonNegative,
        resets: nonNegative,
        commitRepliesDropped: nonNegative,
        /** Round trips the proxy carried (a request answered by the server). */
        exchanges: nonNegative.optional(),
      })
      .optional()
      .describe('What the link proxy did, in runs with link faults'),
    audit: auditSchema
      .optional()
      .describe(
        'Every increment checked against the table after the run (absent in older results)',
      ),
    generators: z
      .array(
        z.strictObject({
          shard: z.string().describe('i/N'),
          scheduled: nonNegative,
          sent: nonNegative,
          dropped: nonNegative,
          achievedRate: nonNegative,
          lagP99Ms: nonNegative,
          delivered: nonNegative,
          rejected: nonNegative,
          failed: nonNegative,
        }),
      )
      .optional()
      .describe(
        'Each generator process of a run with --generators N (the simulator figures are their merge)',
      ),
    services: z
      .array(
        z.strictObject({
          instance: z.number().int().nonnegative(),
          lives: z.number().int().positive(),
          flushes: z.record(z.string(), nonNegative).describe('Flushes it made, by partition'),
        }),
      )
      .optional()
      .describe(
        'Each service of a run with --services N, in one consumer group (the service figures are their sum)',
      ),
    cost: z
      .strictObject({
        window: rowCostSchema.describe(
          "The load, start to the service's stop: rows are the table's own update count",
        ),
        waits: z.strictObject({
          samples: z.number().int().nonnegative(),
          activeSeen: z.number().int().nonnegative(),
          shares: z.strictObject({
            cpu: nonNegative,
            walWrite: nonNegative,
            lock: nonNegative,
            io: nonNegative,
            other: nonNegative,
          }),
          stoppedEarly: z.string().optional(),
        }),
        ceiling: ceilingSchema.nullable(),
        ceilingShare: nonNegative.nullable().describe("The run's rows/s over the ceiling's"),
        ceilingNote: z.string().optional(),
        note: z
          .string()
          .optional()
          .describe('Why the per-row figures are not to be trusted, when they are not'),
      })
      .nullable()
      .optional()
      .describe(
        'What the load cost the database per row, what its sessions waited on, and the ceiling at its mean flush size (absent in older results)',
      ),
  }),
  verdict: z.strictObject({
    result: z.enum(['KEEP', 'REVISIT', 'WRONG RESULTS']),
    checks: z.array(
      z.strictObject({
        trigger: z.string(),
        measured: z.string(),
        limit: z.string(),
        fired: z.boolean().nullable(),
        read: z
          .string()
          .optional()
          .describe(
            'What the trigger read and over which window: the judged scenario, its seconds, what was left out (absent in older results)',
          ),
      }),
    ),
    explanation: z
      .array(z.string())
      .optional()
      .describe(
        'Where the database time went (per row, waits, the ceiling) and what the sweep predicts for the other forms (absent in older results)',
      ),
    audit: verdictAuditSchema
      .optional()
      .describe('The audit of every increment as pass/fail checks (absent in older results)'),
  }),
});

export const resultSchema = z.discriminatedUnion('kind', [
  sweepResultSchema,
  benchResultSchema,
  simulateResultSchema,
  runResultSchema,
]);

export type SweepResult = z.infer<typeof sweepResultSchema>;
export type SweepCell = z.infer<typeof sweepCellSchema>;
export type SweepConfig = z.infer<typeof sweepConfigSchema>;
export type SweepMetrics = z.infer<typeof sweepMetricsSchema>;
export type Crossover = z.infer<typeof crossoverSchema>;
export type Linearity = z.infer<typeof linearitySchema>;
export type PreparedDelta = z.infer<typeof preparedDeltaSchema>;
export type PgStatStatements = z.infer<typeof pgStatStatementsSchema>;
export type PgbenchCheck = z.infer<typeof pgbenchCheckSchema>;
export type StatementMode = z.infer<typeof statementModeSchema>;
export type Summary = z.infer<typeof summarySchema>;
export type ResultFile = z.infer<typeof resultSchema>;
export type BenchResult = z.infer<typeof benchResultSchema>;
export type SimulateResult = z.infer<typeof simulateResultSchema>;
export type RunResult = z.infer<typeof runResultSchema>;
export type VerdictAudit = z.infer<typeof verdictAuditSchema>;
export type RecordedMachineLoad = z.infer<typeof machineLoadSchema>;
