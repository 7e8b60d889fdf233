import { z } from 'zod';
import type { HealthThresholds } from '../../sut/service/health-evaluation.ts';

/**
 * The /healthz limits a run gives the service(s) it starts: a scenario file's
 * `harness.health`, or `harness run --health-*`. Each left out keeps the service's default
 * (docs/service.md); each is the `harness sut --health-*` flag of the same name.
 */
export type HealthLimits = Partial<HealthThresholds>;

const ms = z.number().int().positive().max(86_400_000);

export const healthLimitsSchema = z.strictObject({
  /** Increments waiting with no flush of their partition completed for longer than this (ms). */
  flushOverdueMs: ms.optional(),
  /** One flush attempt running for longer than this (ms). */
  flushRunningMs: ms.optional(),
  /** The Kafka consumer with no completed fetch for longer than this while it has lag (ms). */
  fetchOverdueMs: ms.optional(),
  /** Degraded for this long after ingest last refused events for backpressure (ms). */
  refusalHoldMs: ms.optional(),
});

/** Each limit's `harness sut` (and `harness run`) flag. */
export const HEALTH_LIMIT_FLAGS: Readonly<Record<keyof HealthThresholds, string>> = {
  flushOverdueMs: '--health-flush-overdue',
  flushRunningMs: '--health-flush-running',
  fetchOverdueMs: '--health-fetch-overdue',
  refusalHoldMs: '--health-refusal-hold',
};

/** The service's arguments for the limits set; none for those left to its defaults. */
export function healthLimitArgs(limits: HealthLimits): string[] {
  return (Object.keys(HEALTH_LIMIT_FLAGS) as (keyof HealthThresholds)[]).flatMap((key) => {
    const value = limits[key];
    return value === undefined ? [] : [HEALTH_LIMIT_FLAGS[key], String(value)];
  });
}
