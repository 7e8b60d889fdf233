import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SutMetrics } from './sut-metrics.ts';

const DASHBOARD = new URL('../../docs/grafana/flush-harness-dashboard.json', import.meta.url);

interface Panel {
  readonly title: string;
  readonly targets?: readonly { readonly expr: string }[];
}

/** Every PromQL expression of the dashboard, panels and template variables alike. */
function expressions(): string[] {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as {
    panels: Panel[];
    templating: { list: { query?: string | { query: string } }[] };
  };
  const fromPanels = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
  const fromVariables = dashboard.templating.list.flatMap((v) =>
    typeof v.query === 'object' ? [v.query.query] : [],
  );
  return [...fromPanels, ...fromVariables];
}

describe('the Grafana dashboard (docs/grafana)', () => {
  it('queries only metrics the service exports', async () => {
    const metrics = new SutMetrics('join', 2, { version: '0.0.0', commit: 'abc' });
    metrics.watchUnwritten(() => 0); // as the running service does (sut-app.ts)
    const exposition = await metrics.registry.metrics();
    const exported = new Set(
      [...exposition.matchAll(/^([a-z_:][a-z0-9_:]*)(?:\{| )/gm)].map((m) => m[1] as string),
    );
    const queried = new Set(
      expressions().flatMap((e) =>
        [...e.matchAll(/\b(?:harness|process|nodejs)_[a-z0-9_]+/g)].map((m) => m[0]),
      ),
    );
    expect(queried.size).toBeGreaterThan(15);
    const missing = [...queried].filter((name) => !exported.has(name));
    expect(missing).toEqual([]);
  });

  it('filters every panel on the variant and the instance it is shown for', () => {
    for (const expr of expressions().filter((e) => !e.startsWith('label_values'))) {
      expect(expr).toMatch(/variant=~"\$variant",instance=~"\$instance"/);
      expect(expr).not.toMatch(/\[\d+[smh]\]/);
    }
  });
});
