import type { HealthThresholds, HealthVerdict } from './health-evaluation.ts';

/**
 * The JSON /healthz answers. `ok`, `variant`, `partitions`, `source`, `reason` and `failing`
 * keep the shape they had before the other checks existed, so readers of those still work;
 * `problems` has one entry per failed check with its figures, `thresholds` the limits.
 */
export function healthBody(
  service: { variant: string; partitions: number; source: string },
  verdict: HealthVerdict,
  thresholds: HealthThresholds,
): { ok: boolean; [key: string]: unknown } {
  const failing = verdict.problems.find((p) => p.check === 'flushes_failing');
  return {
    ok: verdict.ok,
    variant: service.variant,
    partitions: service.partitions,
    source: service.source,
    ...(verdict.ok ? {} : { reason: verdict.problems.map((p) => p.reason).join('; ') }),
    ...(failing === undefined ? {} : { failing: failing.detail?.partitions }),
    problems: verdict.problems.map((p) => ({ check: p.check, reason: p.reason, ...p.detail })),
    thresholds,
  };
}
