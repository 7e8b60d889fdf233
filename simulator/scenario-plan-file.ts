import { readFileSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { UsageError } from '../lib/errors.ts';
import type { ScenarioPlanConfig } from './simulation.ts';

/**
 * A plan of several scenarios (k6's `scenarios`, each from its start time) as a file: what a
 * run hands the generators it starts (`harness simulate --scenarios-file`), so that each one
 * keeps to exactly the run's schedule, warm-up included, and takes its shard of it.
 */
const timeUnit = z.string().optional();
const executorSchema = z.discriminatedUnion('executor', [
  z.strictObject({
    executor: z.literal('constant-arrival-rate'),
    rate: z.number().positive(),
    duration: z.string(),
    timeUnit,
  }),
  z.strictObject({
    executor: z.literal('ramping-arrival-rate'),
    startRate: z.number().nonnegative(),
    stages: z.array(z.strictObject({ target: z.number().nonnegative(), duration: z.string() })),
    timeUnit,
  }),
]);
const planFileSchema = z.strictObject({
  scenarios: z
    .array(
      z.strictObject({
        name: z.string().min(1),
        startTimeMs: z.number().nonnegative(),
        executor: executorSchema,
      }),
    )
    .min(1),
});

export function writeScenarioPlanFile(
  path: string,
  scenarios: readonly ScenarioPlanConfig[],
): void {
  const plain = scenarios.map((s) => ({
    name: s.name,
    startTimeMs: s.startTimeMs,
    executor: s.executor,
  }));
  writeFileSync(path, JSON.stringify({ scenarios: plain }));
}

export function readScenarioPlanFile(path: string): ScenarioPlanConfig[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`--scenarios-file "${path}" cannot be read: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new UsageError(`--scenarios-file "${path}" is not JSON`);
  }
  const parsed = planFileSchema.safeParse(json);
  if (!parsed.success)
    throw new UsageError(
      `--scenarios-file "${path}" is not a plan of scenarios ({"scenarios":[{"name","startTimeMs","executor":{...}}]}):`,
      parsed.error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`),
    );
  return parsed.data.scenarios.map((s) => ({
    name: s.name,
    startTimeMs: s.startTimeMs,
    executor:
      s.executor.executor === 'constant-arrival-rate'
        ? {
            executor: s.executor.executor,
            rate: s.executor.rate,
            duration: s.executor.duration,
            ...(s.executor.timeUnit === undefined ? {} : { timeUnit: s.executor.timeUnit }),
          }
        : {
            executor: s.executor.executor,
            startRate: s.executor.startRate,
            stages: s.executor.stages,
            ...(s.executor.timeUnit === undefined ? {} : { timeUnit: s.executor.timeUnit }),
          },
  }));
}
