import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runResultSchema } from '../../results/schema/result-schema.ts';
import { prepareSimulation } from '../../simulator/simulation.ts';
import { simulationOf } from '../../scenarios/engine/run-plan.ts';
import { loadScenario } from '../../scenarios/engine/load-scenario.ts';
import { prepareScenario } from '../../scenarios/engine/prepare-scenario.ts';
import { withOverrides } from '../../scenarios/engine/scenario-overrides.ts';
import { createTestDatabase, type TestDatabase } from '../testing/test-database.ts';
import { runHarness, runHarnessInProcess } from '../testing/run-harness.ts';

const fixture = (name: string) =>
  fileURLToPath(new URL(`../../scenarios/engine/fixtures/${name}`, import.meta.url));
let db: TestDatabase;
const dir = mkdtempSync(join(tmpdir(), 'harness-run-generators-'));
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
  rmSync(dir, { recursive: true, force: true });
});

/** Events per partition of the whole plan, as one process would schedule them. */
async function planPartitions(scenario: string, duration?: string): Promise<number[]> {
  const loaded = await loadScenario(scenario, {});
  const { raw } = withOverrides(loaded.options, { duration, freshTable: false });
  const { settings } = prepareScenario(scenario, raw);
  const { plan, population, generator } = prepareSimulation(simulationOf(settings));
  const counts = new Array<number>(settings.partitions).fill(0);
  for (let k = 0; k < plan.totalEvents; k++) {
    const p = population.partitions[generator.playerAt(k)] as number;
    counts[p] = (counts[p] ?? 0) + 1;
  }
  return counts;
}

describe('harness run --generators N (and the checks of --services N)', () => {
  it('3 generator processes make one run: the plan exactly, merged figures, a line per generator, every increment once', async () => {
    const output = join(dir, 'three.json');
    const run = await runHarness(
      ['run', 'smoke', '--duration', '4s', '--generators', '3', '--output', output],
      { DATABASE_URL: db.url },
    );
    // Timing thresholds depend on how busy the machine is; the run completes either way.
    expect([0, 99], run.stderr).toContain(run.code);
    expect(run.stdout).toMatch(
      /generators \(3 processes, each a shard of the players; the figures above are their merge\)/,
    );
    for (const shard of ['0/3', '1/3', '2/3']) expect(run.stdout).toContain(`│ ${shard} `);
    const result = runResultSchema.parse(JSON.parse(readFileSync(output, 'utf8')));
    expect(result.config.generators).toBe(3);
    const generators = result.metrics.generators ?? [];
    expect(generators.map((g) => g.shard)).toEqual(['0/3', '1/3', '2/3']);
    const sim = result.metrics.simulator as {
      scheduled: number;
      sent: number;
      dropped: number;
      partitions: { partition: number; sent: number; dropped: number }[];
    };
    // Together the shards are the plan, event for event: per partition as one process has it.
    const expected = await planPartitions('smoke', '4s');
    expect(sim.partitions.map((p) => p.sent + p.dropped)).toEqual(expected);
    expect(sim.scheduled).toBe(expected.reduce((a, b) => a + b, 0));
    expect(generators.reduce((n, g) => n + g.scheduled, 0)).toBe(sim.scheduled);
    expect(generators.reduce((n, g) => n + g.sent, 0)).toBe(sim.sent);
    expect(generators.every((g) => g.scheduled > 0)).toBe(true);
    // The audit replays every generator's ledger: per player and goal, each increment once.
    const audit = result.metrics.audit;
    expect(audit?.events.scheduled).toBe(sim.scheduled);
    expect(audit?.events.acknowledged).toBe(generators.reduce((n, g) => n + g.delivered, 0));
    expect(audit?.events.acknowledged).toBeGreaterThan(0);
    expect(audit?.lost).toBe(0);
    expect(audit?.doubled).toBe(0);
    expect(result.metrics.values.events_sent?.count).toBe(sim.sent);
  });

  it('a threshold with abortOnFail stops every generator early, for each variant in turn', async () => {
    const output = join(dir, 'breakpoint.json');
    const run = await runHarness(
      ['run', fixture('tiny-breakpoint.ts'), '--generators', '2', '--output', output],
      { DATABASE_URL: db.url },
    );
    expect(run.code, run.stderr).toBe(99);
    const planned = (await planPartitions(fixture('tiny-breakpoint.ts'), undefined)).reduce(
      (a, b) => a + b,
      0,
    );
    for (const variant of ['join', 'cte']) {
      const result = runResultSchema.parse(
        JSON.parse(readFileSync(output.replace(/\.json$/, `-${variant}.json`), 'utf8')),
      );
      expect(result.metrics.aborted).toMatch(/event_to_commit p\(99\)<1 failed with abortOnFail/);
      const generators = result.metrics.generators ?? [];
      expect(generators).toHaveLength(2);
      const scheduled = generators.reduce((n, g) => n + g.scheduled, 0);
      expect(scheduled).toBeGreaterThan(0);
      expect(scheduled).toBeLessThan(planned);
      expect(result.metrics.audit?.lost).toBe(0);
      expect(result.metrics.audit?.doubled).toBe(0);
    }
  });

  it.each([
    [['smoke', '--generators', '0'], /--generators "0" is not a positive integer/],
    [['smoke', '--generators', '65'], /--generators 65 is more than the 64 allowed/],
    [
      [fixture('services-kafka.ts')],
      /kill-service: service 1 does not exist: the run has 1 service, numbered from 0 \(--services N\)/,
    ],
    [
      [fixture('tiny-kafka.ts'), '--services', '9'],
      /--services 9: more services than the scenario's 8 partitions/,
    ],
    [
      [fixture('tiny-kafka.ts'), '--services', '2', '--sut-port', '65535'],
      /--sut-port 65535 with --services 2: the services listen on 65535 to 65536, beyond the last port/,
    ],
    [
      [fixture('faults-http-short.ts'), '--generators', '2'],
      /kill-service: the audit's crash window needs the order of the acknowledgements[^\n]*without --generators/,
    ],
  ])('%j: exit 2 before anything starts', async (args, message) => {
    const run = await runHarnessInProcess(['run', ...args], { DATABASE_URL: db.url });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
  });
});
