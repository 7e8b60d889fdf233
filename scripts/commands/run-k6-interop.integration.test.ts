import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../testing/test-database.ts';
import { runHarness, type HarnessRun } from '../testing/run-harness.ts';

const shared = fileURLToPath(
  new URL('../../scenarios/engine/fixtures/k6-shared.js', import.meta.url),
);
const require = createRequire(import.meta.url);
let db: TestDatabase;
let run: HarnessRun;
const dir = mkdtempSync(join(tmpdir(), 'harness-k6-interop-'));
const file = (name: string) => join(dir, name);

beforeAll(async () => {
  db = await createTestDatabase();
  run = await runHarness(
    [
      'run',
      shared,
      '--output',
      file('result.json'),
      '--summary-data',
      file('data.json'),
      '--summary-export',
      file('export.json'),
      '--out',
      `json=${file('points.json')}`,
    ],
    { DATABASE_URL: db.url },
  );
}, 240_000);
afterAll(async () => {
  await db.drop();
  rmSync(dir, { recursive: true, force: true });
});

interface MetricRecord {
  type: 'Metric';
  metric: string;
  data: {
    name: string;
    type: string;
    contains: string;
    thresholds: string[];
    submetrics: { name: string; tags: Record<string, string> }[] | null;
  };
}
interface PointRecord {
  type: 'Point';
  metric: string;
  data: { time: string; value: number; tags: Record<string, string> };
}

describe('a k6 scenario file run by the harness, its outputs read by k6 tools', () => {
  it('runs the file, lists the ignored k6 keys once, judges the tagged thresholds', () => {
    // flush_size{phase:judged} max<0 fails on purpose: the tools below must see it fail.
    expect(run.code, run.stderr).toBe(99);
    const ignored = run.stderr
      .split('\n')
      .filter((line) => line.includes('k6 options with no use in the harness'));
    expect(ignored).toHaveLength(1);
    expect(ignored[0]).toMatch(
      /ignored: preAllocatedVUs \(warmup, steady\), maxVUs \(warmup, steady\), exec \(warmup, steady\), discardResponseBodies$/,
    );
    expect(run.stderr).toMatch(/1 threshold failed: flush_size\{phase:judged\} max<0/);
    // summaryTrendStats: the trend lines show those statistics, in that order.
    expect(run.stdout).toMatch(
      /flush_duration\.+: avg=\S+ ms min=\S+ ms med=\S+ ms max=\S+ ms p\(90\)=\S+ ms p\(95\)=\S+ ms p\(99\.9\)=\S+ ms\n/,
    );
  });

  it("--out json writes k6's JSON lines: a Metric record, then Points with time, value and tags", () => {
    const records = readFileSync(file('points.json'), 'utf8')
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as MetricRecord | PointRecord);
    const declared = new Map<string, MetricRecord>();
    const points = new Map<string, PointRecord[]>();
    for (const r of records) {
      expect(Object.keys(r).sort()).toEqual(['data', 'metric', 'type']);
      if (r.type === 'Metric') {
        expect(declared.has(r.metric)).toBe(false);
        declared.set(r.metric, r);
        continue;
      }
      expect(r.type).toBe('Point');
      // k6 declares a metric before its first sample.
      expect(declared.has(r.metric), r.metric).toBe(true);
      expect(new Date(r.data.time).toISOString()).toBe(r.data.time);
      expect(Number.isFinite(r.data.value)).toBe(true);
      points.set(r.metric, [...(points.get(r.metric) ?? []), r]);
    }
    expect(declared.get('flush_duration')?.data).toMatchObject({
      type: 'trend',
      contains: 'time',
      submetrics: [{ name: 'flush_duration{phase:judged}', tags: { phase: 'judged' } }],
    });
    expect(declared.get('flush_size')?.data.type).toBe('trend');
    const flushes = points.get('flush_size') ?? [];
    expect(flushes.length).toBeGreaterThan(0);
    // One Point per flush in each per-flush metric; one per event in event_to_commit.
    expect(points.get('flush_duration')).toHaveLength(flushes.length);
    expect(points.get('rows_updated')).toHaveLength(flushes.length);
    expect((points.get('event_to_commit') ?? []).length).toBeGreaterThan(flushes.length);
    for (const p of flushes) {
      expect(p.data.tags).toMatchObject({ team: 'progress', variant: 'join' });
      expect(['warmup', 'steady', 'after-load']).toContain(p.data.tags.scenario);
      expect(p.data.tags.partition).toMatch(/^\d+$/);
    }
    // The judged scenario's samples carry its tag, and give the summary's own figures back.
    const judged = flushes.filter((p) => p.data.tags.phase === 'judged');
    expect(judged.every((p) => p.data.tags.scenario === 'steady')).toBe(true);
    const data = JSON.parse(readFileSync(file('data.json'), 'utf8')) as {
      metrics: Record<string, { type: string; contains: string; values: Record<string, number> }>;
    };
    const summary = data.metrics['flush_size{phase:judged}'];
    expect(summary?.type).toBe('trend');
    expect(Object.keys(summary?.values ?? {})).toEqual([
      'avg',
      'min',
      'med',
      'max',
      'p(90)',
      'p(95)',
      'p(99.9)',
    ]);
    const avg = judged.reduce((s, p) => s + p.data.value, 0) / judged.length;
    expect(avg).toBeCloseTo(summary?.values.avg ?? Number.NaN, 6);
  });

  it('k6-html-reporter and k6-junit count the 3 thresholds, 1 failed, from --summary-data', async () => {
    const reporter = require('k6-html-reporter') as {
      generateSummaryReport(o: { jsonFile: string; output: string }): void;
    };
    reporter.generateSummaryReport({ jsonFile: file('data.json'), output: file('html') });
    const report = file('html/report.html');
    for (let i = 0; i < 50 && !existsSync(report); i++)
      await new Promise((r) => setTimeout(r, 100));
    const html = readFileSync(report, 'utf8');
    expect(/passes: (\d+)/.exec(html)?.[1]).toBe('2');
    expect(/fails: (\d+)/.exec(html)?.[1]).toBe('1');
    const { jUnit } = require('k6-junit') as { jUnit: (data: unknown) => string };
    const xml = jUnit(JSON.parse(readFileSync(file('data.json'), 'utf8')));
    expect(xml).toMatch(/<testsuites tests="3" failures="1">/);
    expect(xml).toContain('name="flush_size{phase:judged}: max&lt;0"');
    // The legacy export: thresholds.<expr> true where it failed (k6's meaning).
    const legacy = JSON.parse(readFileSync(file('export.json'), 'utf8')) as {
      metrics: Record<string, { thresholds?: Record<string, boolean> }>;
    };
    expect(legacy.metrics['flush_size{phase:judged}']?.thresholds).toEqual({ 'max<0': true });
  });
});
