import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findFreePort } from '../../scripts/db/free-port.ts';
import { createTestDatabase, type TestDatabase } from '../../scripts/testing/test-database.ts';
import {
  missingTool,
  PROMETHEUS,
  PROMTOOL,
  promtoolCheckMetrics,
  startPrometheus,
  type PrometheusServer,
} from '../../scripts/testing/prometheus-server.ts';
import { generatePlayerIds } from '../db/player-ids.ts';
import { PRODUCTION } from '../production-defaults.ts';

const BIN = fileURLToPath(new URL('../../bin/harness.js', import.meta.url));
const DASHBOARD = new URL('../../docs/grafana/flush-harness-dashboard.json', import.meta.url);
const PLAYERS = 500;
const noPromtool = missingTool(PROMTOOL);
const noPrometheus = missingTool(PROMETHEUS);
if (noPromtool !== undefined) process.stderr.write(`skipping the promtool test: ${noPromtool}\n`);
if (noPrometheus !== undefined)
  process.stderr.write(`skipping the dashboard queries test: ${noPrometheus}\n`);

let db: TestDatabase;
let service: ChildProcess;
let url = '';
const players = generatePlayerIds(PLAYERS, PRODUCTION.seed);

beforeAll(async () => {
  db = await createTestDatabase();
  const port = await findFreePort();
  service = spawn(
    process.execPath,
    [BIN, 'sut', '--port', String(port), '--partitions', '2', '--players', String(PLAYERS)],
    { env: { ...process.env, DATABASE_URL: db.url }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let said = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      said += chunk.toString();
      if (said.includes('listening on')) resolve();
    };
    service.stdout?.on('data', onData);
    service.stderr?.on('data', onData);
    service.once('exit', (code) => {
      reject(new Error(`harness sut exited ${String(code)}: ${said}`));
    });
  });
  url = `http://127.0.0.1:${port}`;
}, 120_000);
afterAll(async () => {
  if (service.exitCode === null) {
    const exited = new Promise((r) => service.once('exit', r));
    service.kill('SIGTERM');
    await exited;
  }
  await db.drop();
});

/** Sends `seconds` of logins and wins from the seeded players, 20 batches a second. */
async function load(seconds: number): Promise<void> {
  const end = Date.now() + seconds * 1000;
  for (let batch = 0; Date.now() < end; batch++) {
    const events = Array.from({ length: 20 }, (_, i) => ({
      eventId: `e-${batch}-${i}-${Math.random()}`,
      playerId: players[(batch * 20 + i) % PLAYERS],
      namespace: 'harness',
      intendedAt: Date.now(),
      ...(i % 5 === 0 ? { type: 'login', delta: 1 } : { type: 'stat', statCode: 'wins', delta: 1 }),
    }));
    const res = await fetch(`${url}/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(events),
    });
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    await new Promise((r) => setTimeout(r, 50));
  }
}

const scenario = async (name: string) => {
  const res = await fetch(`${url}/scenario?name=${name}`, { method: 'PUT' });
  expect(res.status).toBe(204);
};

describe("the service's /metrics read by Prometheus's own tools", () => {
  it.skipIf(noPromtool !== undefined)(
    '`promtool check metrics` passes, idle and under load',
    async () => {
      const idle = promtoolCheckMetrics(await (await fetch(`${url}/metrics`)).text());
      expect(idle, idle.said).toEqual({ code: 0, said: '' });
      await load(2);
      const busy = await (await fetch(`${url}/metrics`)).text();
      expect(busy).toMatch(
        /^harness_flush_updated_rows_count\{variant="join",partition="\d"\} [1-9]/m,
      );
      const loaded = promtoolCheckMetrics(busy);
      expect(loaded, loaded.said).toEqual({ code: 0, said: '' });
    },
    60_000,
  );

  it.skipIf(noPrometheus !== undefined)(
    "every query of the Grafana dashboard returns data from a real Prometheus scraping the service, a run's scenarios apart",
    async () => {
      const prometheus: PrometheusServer = await startPrometheus([new URL(url).host]);
      try {
        // Prometheus takes up new targets a few seconds after it starts.
        while ((await prometheus.query('up == 1')).length === 0)
          await new Promise((r) => setTimeout(r, 250));
        await scenario('warmup');
        await load(4);
        await scenario('steady');
        await load(6);
        const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as {
          panels: { title: string; targets?: { expr: string; legendFormat?: string }[] }[];
          templating: { list: { name: string; query?: string | { query: string } }[] };
        };
        // Grafana's variables as a dashboard user with "All" selected has them; the rate
        // interval as Grafana gives it for a 1 s scrape interval and a short range.
        const asGrafana = (expr: string) =>
          expr
            .replaceAll('$variant', '.*')
            .replaceAll('$instance', '.*')
            .replaceAll('$__rate_interval', '10s');
        const empty: string[] = [];
        for (const panel of dashboard.panels)
          for (const target of panel.targets ?? []) {
            expect(target.expr).not.toMatch(/\[\d+[smh]\]/); // $__rate_interval, never a fixed window
            const result = await prometheus.query(asGrafana(target.expr));
            if (result.length === 0) empty.push(`${panel.title}: ${target.expr}`);
          }
        expect(empty).toEqual([]);
        // The variables: label_values(harness_build_info..., label) as a series query.
        for (const variable of dashboard.templating.list) {
          const query = typeof variable.query === 'object' ? variable.query.query : undefined;
          if (query === undefined) continue;
          const m = /^label_values\((.+), (\w+)\)$/.exec(query);
          expect(m, query).not.toBeNull();
          const series = await prometheus.query(asGrafana(m?.[1] ?? ''));
          expect(series.map((s) => s.metric[m?.[2] ?? ''])).not.toContain(undefined);
        }
        // Warm-up and the judged part apart: the flush p95 per scenario has both.
        // (Before the run said one, the service's series had no scenario label.)
        const byScenario = await prometheus.query(
          'count by (scenario) (count_over_time(harness_build_info{scenario!=""}[1m]))',
        );
        expect(byScenario.map((s) => s.metric.scenario).sort()).toEqual(['steady', 'warmup']);
      } finally {
        await prometheus.stop();
      }
    },
    120_000,
  );
});
