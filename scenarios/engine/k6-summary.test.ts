import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { handleSummaryData, legacySummaryExport } from './k6-summary.ts';
import type { ThresholdOutcome } from './run-metrics.ts';

const values = {
  flush_duration: {
    avg: 7.5,
    min: 0.5,
    med: 4.9,
    max: 441,
    'p(90)': 16.6,
    'p(95)': 21.9,
    'p(99)': 41.6,
  },
  dropped_events: { count: 0, rate: 0 },
  db_cpu: { value: 12.8 },
  event_to_commit: {
    avg: null,
    min: null,
    med: null,
    max: null,
    'p(90)': null,
    'p(95)': null,
    'p(99)': null,
  },
};
const thresholds: ThresholdOutcome[] = [
  {
    metric: 'flush_duration',
    expression: 'p(95)<50',
    value: 21.9,
    ok: true,
    abortOnFail: false,
    delayAbortEvalMs: 0,
  },
  {
    metric: 'dropped_events',
    expression: 'count>0',
    value: 0,
    ok: false,
    abortOnFail: false,
    delayAbortEvalMs: 0,
  },
];
/** A run of two scenarios judged on sub-metrics: 8 thresholds, 3 of them failed. */
const trend = (p95: number) => ({
  avg: p95 / 3,
  min: 0.4,
  med: p95 / 4,
  max: p95 * 4,
  'p(90)': p95 * 0.8,
  'p(95)': p95,
  'p(99)': p95 * 2,
});
const judgedValues = {
  flush_duration: trend(30),
  'flush_duration{scenario:warmup}': trend(20),
  'flush_duration{scenario:peak}': trend(61),
  flush_size: trend(380),
  'flush_size{scenario:peak}': trend(520),
  event_to_commit: trend(200),
  'event_to_commit{scenario:peak}': trend(1200),
  dropped_events: { count: 0, rate: 0 },
  'dropped_events{scenario:peak}': { count: 0, rate: 0 },
  rejected_events: { count: 0, rate: 0 },
};
const outcome = (metric: string, expression: string, value: number, ok: boolean) => ({
  metric,
  expression,
  value,
  ok,
  abortOnFail: false,
  delayAbortEvalMs: 0,
});
const judgedThresholds: ThresholdOutcome[] = [
  outcome('flush_duration', 'p(95)<50', 30, true),
  outcome('flush_duration{scenario:peak}', 'p(95)<50', 61, false),
  outcome('flush_size{scenario:peak}', 'p(95)<500', 520, false),
  outcome('event_to_commit', 'p(99)<1000', 400, true),
  outcome('event_to_commit{scenario:peak}', 'p(99)<1000', 2400, false),
  outcome('dropped_events', 'count==0', 0, true),
  outcome('dropped_events{scenario:peak}', 'count==0', 0, true),
  outcome('rejected_events', 'count==0', 0, true),
];
const dir = mkdtempSync(join(tmpdir(), 'harness-k6-summary-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('k6 summary shapes', () => {
  it('handleSummary data: type, contains, values, thresholds.<expr>.ok, root_group, state', () => {
    const data = handleSummaryData(values, thresholds, 600_000);
    expect(data.state.testRunDurationMs).toBe(600_000);
    expect(data.metrics.flush_duration).toEqual({
      type: 'trend',
      contains: 'time',
      values: values.flush_duration,
      thresholds: { 'p(95)<50': { ok: true } },
    });
    expect(data.metrics.dropped_events).toMatchObject({
      type: 'counter',
      contains: 'default',
      thresholds: { 'count>0': { ok: false } },
    });
    expect(data.metrics.db_cpu?.values).toEqual({ value: 12.8, min: 12.8, max: 12.8 });
    expect(data.metrics).not.toHaveProperty('event_to_commit'); // no samples: left out, as k6 does
  });

  it('legacy summary-export: flattened values, thresholds.<expr> true when the threshold failed', () => {
    const data = legacySummaryExport(values, thresholds);
    expect(data.metrics.flush_duration).toEqual({
      ...values.flush_duration,
      thresholds: { 'p(95)<50': false },
    });
    expect(data.metrics.dropped_events).toEqual({
      count: 0,
      rate: 0,
      thresholds: { 'count>0': true },
    });
  });

  it('the audit reaches both exports as counters, its thresholds with them', () => {
    const audited = {
      ...values,
      lost_increments: { count: 0, rate: 0 },
      doubled_increments: { count: 850, rate: 14.2 },
      lost_at_crash: { count: 107_019, rate: 594.6 },
    };
    const judged: ThresholdOutcome[] = [
      ...thresholds,
      ...(['lost_increments', 'doubled_increments'] as const).map((metric) => ({
        metric,
        expression: 'count==0',
        value: audited[metric].count,
        ok: audited[metric].count === 0,
        abortOnFail: false,
        delayAbortEvalMs: 0,
      })),
    ];
    const data = handleSummaryData(audited, judged, 180_000);
    expect(data.metrics.lost_increments).toMatchObject({
      type: 'counter',
      values: { count: 0, rate: 0 },
      thresholds: { 'count==0': { ok: true } },
    });
    expect(data.metrics.doubled_increments).toMatchObject({
      type: 'counter',
      values: { count: 850 },
      thresholds: { 'count==0': { ok: false } },
    });
    expect(data.metrics.lost_at_crash).toMatchObject({
      type: 'counter',
      values: { count: 107_019 },
    });
    const legacy = legacySummaryExport(audited, judged);
    expect(legacy.metrics.lost_increments).toEqual({
      count: 0,
      rate: 0,
      thresholds: { 'count==0': false },
    });
    expect(legacy.metrics.doubled_increments).toEqual({
      count: 850,
      rate: 14.2,
      thresholds: { 'count==0': true },
    });
  });

  it('k6-html-reporter (npm) renders a report from the handleSummary data', async () => {
    const jsonFile = join(dir, 'summary.json');
    writeFileSync(jsonFile, JSON.stringify(handleSummaryData(values, thresholds, 600_000)));
    const reporter = createRequire(import.meta.url)('k6-html-reporter') as {
      generateSummaryReport(o: { jsonFile: string; output: string }): void;
    };
    reporter.generateSummaryReport({ jsonFile, output: join(dir, 'html') });
    const report = join(dir, 'html', 'report.html');
    for (let i = 0; i < 50 && !existsSync(report); i++)
      await new Promise((r) => setTimeout(r, 100));
    const html = readFileSync(report, 'utf8');
    for (const name of ['flush_duration', 'dropped_events', 'db_cpu', 'p(95)&lt;50'])
      expect(html).toContain(name);
  });

  it("sub-metrics carry their parent metric's type and contains", () => {
    const data = handleSummaryData(judgedValues, judgedThresholds, 600_000);
    expect(data.metrics['flush_duration{scenario:peak}']).toMatchObject({
      type: 'trend',
      contains: 'time',
    });
    expect(data.metrics['dropped_events{scenario:peak}']).toMatchObject({
      type: 'counter',
      contains: 'default',
    });
  });

  it('summaryTrendStats: the exports show the trend statistics the scenario asks for', () => {
    const stats = ['med', 'p(95)'];
    const data = handleSummaryData(values, thresholds, 600_000, stats);
    expect(data.options.summaryTrendStats).toEqual(stats);
    expect(data.metrics.flush_duration?.values).toEqual({ med: 4.9, 'p(95)': 21.9 });
    expect(data.metrics.db_cpu?.values).toEqual({ value: 12.8, min: 12.8, max: 12.8 });
    const legacy = legacySummaryExport(values, thresholds, stats);
    expect(legacy.metrics.flush_duration).toEqual({
      med: 4.9,
      'p(95)': 21.9,
      thresholds: { 'p(95)<50': false },
    });
  });

  it('k6-html-reporter (npm) counts the passed and failed thresholds, sub-metrics included', async () => {
    const jsonFile = join(dir, 'judged.json');
    writeFileSync(
      jsonFile,
      JSON.stringify(handleSummaryData(judgedValues, judgedThresholds, 600_000)),
    );
    const reporter = createRequire(import.meta.url)('k6-html-reporter') as {
      generateSummaryReport(o: { jsonFile: string; output: string }): void;
    };
    reporter.generateSummaryReport({ jsonFile, output: join(dir, 'judged-html') });
    const report = join(dir, 'judged-html', 'report.html');
    for (let i = 0; i < 50 && !existsSync(report); i++)
      await new Promise((r) => setTimeout(r, 100));
    const html = readFileSync(report, 'utf8');
    expect(/passes: (\d+)/.exec(html)?.[1]).toBe('5');
    expect(/fails: (\d+)/.exec(html)?.[1]).toBe('3');
    expect(html).toContain('3 thresholds were not met');
  });

  it('k6-junit (npm) makes one test case per threshold, the failed ones failures', () => {
    const { jUnit } = createRequire(import.meta.url)('k6-junit') as {
      jUnit: (data: unknown) => string;
    };
    const xml = jUnit(handleSummaryData(judgedValues, judgedThresholds, 600_000));
    expect(xml.match(/<testcase /g)).toHaveLength(8);
    expect(xml.match(/<failure /g)).toHaveLength(3);
    expect(xml).toContain('name="flush_duration{scenario:peak}: p(95)&lt;50"');
  });
});
