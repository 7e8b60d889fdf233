// Several generators against one service: N `harness simulate --shard i/N` processes into one
// `harness sut --no-database`, offered far more than they can send, so each sends as fast as
// it can. Rounds of 1 and of 2 generators alternate (1, 2, 2, 1, 1, 2) in one run, and the
// figure is the ratio of their median delivered events/s [>= 1.6]. What the processes get of
// the machine's cores is printed beside it: on a machine with fewer cores than processes, the
// ratio says how the cores are shared, not how far the generators scale.
// Run: npm run bench:generators [-- seconds per round, default 10]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../../lib/errors.ts';
import { formatFixed } from '../../lib/format.ts';
import { simulateResultSchema } from '../../results/schema/result-schema.ts';
import { CpuSplit } from '../../scenarios/cost/process-tree-cpu.ts';
import { startChildSut } from '../../sut/service/child-sut.ts';
import { saveBenchResult } from './bench-results.ts';

const BIN = fileURLToPath(new URL('../../bin/harness.js', import.meta.url));
/** Offered in total: beyond what one machine's generators send, so the figure is their most. */
const OFFERED = 400_000;
const ORDER = [1, 2, 2, 1, 1, 2];

const secondsText = process.argv[2] ?? '10';
if (!/^\d+$/.test(secondsText) || Number(secondsText) < 3) {
  process.stderr.write(
    `bench:generators: ${new UsageError(`seconds "${secondsText}" is not a whole number of at least 3`).message}\nusage: npm run bench:generators [-- seconds per round, default 10]\n`,
  );
  process.exit(2);
}
const SECONDS = Number(secondsText);
const dir = mkdtempSync(join(tmpdir(), 'bench-generators-'));

function generator(url: string, index: number, count: number): Promise<string> {
  const output = join(dir, `g${count}-${index}-${Date.now()}.json`);
  const args = [
    BIN,
    'simulate',
    '--sink',
    'http',
    '--target',
    url,
    '--rate',
    String(OFFERED),
    '--duration',
    `${SECONDS}s`,
    '--shard',
    `${index}/${count}`,
    '--output',
    output,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('exit', (code) => {
      if (code === 0) resolve(output);
      else reject(new Error(`generator ${index}/${count} exited with ${String(code)}: ${stderr}`));
    });
  });
}

const sut = await startChildSut(['--no-database']);
const rounds: {
  generators: number;
  eventsPerSecond: number;
  serviceCores: number;
  allCores: number;
}[] = [];
try {
  for (const count of ORDER) {
    const split = new CpuSplit({
      service: { pid: () => sut.child.pid, tree: true },
      // This process and everything under it: the service and the generators, reaped or not.
      all: { pid: () => process.pid, tree: true },
    });
    await split.start();
    const started = performance.now();
    const files = await Promise.all(
      Array.from({ length: count }, (_, i) => generator(sut.url, i, count)),
    );
    const wallSeconds = (performance.now() - started) / 1000;
    const cpu = await split.stop();
    const results = files.map((f) =>
      simulateResultSchema.parse(JSON.parse(readFileSync(f, 'utf8'))),
    );
    const delivered = results.reduce((sum, r) => sum + r.metrics.sink.delivered, 0);
    // The generators' schedules run side by side; the longest one is the window.
    const window = Math.max(...results.map((r) => r.metrics.elapsedMs)) / 1000;
    const eventsPerSecond = delivered / window;
    rounds.push({
      generators: count,
      eventsPerSecond,
      serviceCores: cpu.service / wallSeconds,
      allCores: cpu.all / wallSeconds,
    });
    process.stdout.write(
      `${count} generator${count > 1 ? 's' : ''}: ${formatFixed(eventsPerSecond)} ev/s delivered (${results.map((r) => formatFixed(r.metrics.sink.delivered / (r.metrics.elapsedMs / 1000))).join(' + ')}); service ${formatFixed(cpu.service / wallSeconds, 2)} cores, all processes ${formatFixed(cpu.all / wallSeconds, 2)} of ${availableParallelism()} cores\n`,
    );
  }
} finally {
  await sut.stop();
  rmSync(dir, { recursive: true, force: true });
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
};
const of = (n: number) => rounds.filter((r) => r.generators === n);
const one = median(of(1).map((r) => r.eventsPerSecond));
const two = median(of(2).map((r) => r.eventsPerSecond));
const ratio = two / one;
process.stdout.write(
  `2 generators against 1 (medians of ${of(2).length} and ${of(1).length} rounds): ${formatFixed(two)} / ${formatFixed(one)} ev/s = ${formatFixed(ratio, 2)}x -> ${ratio >= 1.6 ? 'met' : 'NOT met'} (target >= 1.6x); all processes used ${formatFixed(median(of(2).map((r) => r.allCores)), 2)} cores with 2, ${formatFixed(median(of(1).map((r) => r.allCores)), 2)} with 1, of ${availableParallelism()}\n`,
);
process.stdout.write(
  `${await saveBenchResult(
    'bench-generators',
    {
      one_generator_events_per_second: one,
      two_generators_events_per_second: two,
      ratio,
      one_generator_cores: median(of(1).map((r) => r.allCores)),
      two_generators_cores: median(of(2).map((r) => r.allCores)),
      service_cores_with_two: median(of(2).map((r) => r.serviceCores)),
    },
    [
      `harness simulate --shard i/N processes into harness sut --no-database, ${formatFixed(OFFERED)} ev/s offered in total`,
      `rounds in the order ${ORDER.join(', ')} generators`,
    ],
    { seconds: SECONDS, offered: OFFERED },
  )}\n`,
);
