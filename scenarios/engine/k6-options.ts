/**
 * k6's option keys the harness meets in a scenario file written for k6 as well: the ones it
 * has no use for (accepted, listed once when a run starts) and the ones it refuses because
 * it cannot do what they ask (each with what the harness does instead). The keys it honours
 * are in the options schema itself (scenario-options.ts).
 */

/** Top-level k6 options about HTTP, virtual users, k6's own runtime or its cloud. */
export const IGNORED_K6_OPTIONS = [
  'batch',
  'batchPerHost',
  'blacklistIPs',
  'blockHostnames',
  'cloud',
  'consoleOutput',
  'discardResponseBodies',
  'dns',
  'executionSegment',
  'executionSegmentSequence',
  'ext',
  'hosts',
  'httpDebug',
  'insecureSkipTLSVerify',
  'linger',
  'localIPs',
  'maxRedirects',
  'minIterationDuration',
  'noConnectionReuse',
  'noCookiesReset',
  'noSetup',
  'noTeardown',
  'noUsageReport',
  'noVUConnectionReuse',
  'paused',
  'rps',
  'setupTimeout',
  'summaryTimeUnit',
  'systemTags',
  'teardownTimeout',
  'throw',
  'tlsAuth',
  'tlsCipherSuites',
  'tlsVersion',
  'userAgent',
] as const;

/**
 * Keys of an arrival-rate scenario that concern k6's virtual users and script functions: the
 * harness sends events itself at the scenario's rate, with no VUs to allocate and no function
 * to call (k6 requires preAllocatedVUs on these executors, so a shared file has them).
 */
export const IGNORED_K6_SCENARIO_KEYS = [
  'preAllocatedVUs',
  'maxVUs',
  'exec',
  'env',
  'options',
  'gracefulRampDown',
] as const;

/** Top-level k6 options the harness refuses, and what it has instead. */
export const REFUSED_K6_OPTIONS: Readonly<Record<string, string>> = {
  vus: 'the harness sends events at a rate, with no virtual users: give options.scenarios a constant-arrival-rate or ramping-arrival-rate scenario',
  duration:
    'give options.scenarios an arrival-rate scenario with its own duration (or harness run --duration)',
  iterations:
    'the harness sends events at a rate for a duration, not a count of iterations: give options.scenarios an arrival-rate scenario',
  stages: 'give options.scenarios a ramping-arrival-rate scenario with these stages',
};

/** k6 executors the harness refuses, and what it has instead. */
export const REFUSED_K6_EXECUTORS: Readonly<Record<string, string>> = {
  'constant-vus': 'use constant-arrival-rate: the harness sends events at a rate, not from VUs',
  'ramping-vus': 'use ramping-arrival-rate with the same stages as events per second',
  'per-vu-iterations': 'use constant-arrival-rate with a rate and a duration',
  'shared-iterations': 'use constant-arrival-rate with a rate and a duration',
  'externally-controlled': 'the harness runs a scenario to its plan; use ramping-arrival-rate',
};

const IGNORED_TOP = new Set<string>(IGNORED_K6_OPTIONS);
const IGNORED_SCENARIO = new Set<string>(IGNORED_K6_SCENARIO_KEYS);

/**
 * The k6 keys of a file that the harness accepts and does nothing with, as one line's worth:
 * `preAllocatedVUs (steady, warmup), maxVUs (steady), discardResponseBodies`.
 */
export function ignoredK6Keys(raw: unknown): string[] {
  if (typeof raw !== 'object' || raw === null) return [];
  const top = Object.keys(raw).filter((k) => IGNORED_TOP.has(k));
  const scenarios = (raw as { scenarios?: unknown }).scenarios;
  const where = new Map<string, string[]>();
  if (typeof scenarios === 'object' && scenarios !== null)
    for (const [name, scenario] of Object.entries(scenarios as Record<string, unknown>))
      if (typeof scenario === 'object' && scenario !== null)
        for (const key of Object.keys(scenario))
          if (IGNORED_SCENARIO.has(key)) where.set(key, [...(where.get(key) ?? []), name]);
  return [...[...where].map(([key, names]) => `${key} (${names.join(', ')})`), ...top];
}
