// The simulator's own figures (targets in brackets):
//  1. into the memory sink, as fast as one core goes [>= 200,000 events/s, within 1 % of target];
//  2. into the HTTP sink against `harness sut --no-database` [>= 30,000 events/s];
//  3. 5,000 events/s for 60 s into the HTTP sink [within 1 %, p99 schedule lag < 5 ms, none dropped].
// Run: npm run bench:simulator [-- <seconds for run 3, default 60>]
import type { RunStats } from '../../simulator/arrival-runner.ts';
import { DEFAULT_SIMULATION, simulate } from '../../simulator/simulation.ts';
import { DEFAULT_HTTP_SINK, HttpSink } from '../../simulator/sinks/http-sink.ts';
import { MemorySink } from '../../simulator/sinks/memory-sink.ts';
import { startChildSut } from '../../sut/service/child-sut.ts';
import { saveBenchResult } from './bench-results.ts';
import { formatFixed } from '../../lib/format.ts';
import { PRODUCTION } from '../../sut/production-defaults.ts';

const LONG_SECONDS = Number(process.argv[2] ?? 60);
const within = (s: RunStats) => (Math.abs(s.achievedRate - s.targetRate) / s.targetRate) * 100;

function line(label: string, s: RunStats, extra = ''): string {
  return `${label}: target ${formatFixed(s.targetRate)} ev/s, achieved ${formatFixed(s.achievedRate)} ev/s (${formatFixed(within(s), 2)} % off), sent ${formatFixed(s.sent)}, dropped ${formatFixed(s.dropped)}, lag p50 ${formatFixed(s.lag.p50Ms, 2)} ms p99 ${formatFixed(s.lag.p99Ms, 2)} ms max ${formatFixed(s.lag.maxMs, 2)} ms${extra}`;
}

const constant = (rate: number, seconds: number) => ({
  ...DEFAULT_SIMULATION,
  executor: { executor: 'constant-arrival-rate' as const, rate, duration: `${seconds}s` },
});

// 1. Memory sink: the generator alone, at a rate above the target.
const memory = await simulate(constant(250_000, 5), new MemorySink());
process.stdout.write(`${line('memory sink, 250,000 ev/s for 5 s', memory)}\n`);

// 2 and 3. HTTP sink against the service with no database, in its own process.
const sut = await startChildSut(['--no-database']);
const httpSink = () =>
  new HttpSink({ ...DEFAULT_HTTP_SINK, url: sut.url, partitions: PRODUCTION.partitions });
const fastSink = httpSink();
const fast = await simulate(constant(40_000, 10), fastSink);
await fastSink.close();
const fastDelivered = fastSink.stats().delivered;
process.stdout.write(
  `${line('http sink, 40,000 ev/s for 10 s', fast, `, delivered ${formatFixed(fastDelivered)}, failed ${formatFixed(fastSink.stats().failed)}`)}\n`,
);
const steadySink = httpSink();
const steady = await simulate(constant(5000, LONG_SECONDS), steadySink);
await steadySink.close();
process.stdout.write(
  `${line(`http sink, 5,000 ev/s for ${LONG_SECONDS} s`, steady, `, delivered ${formatFixed(steadySink.stats().delivered)}, failed ${formatFixed(steadySink.stats().failed)}`)}\n`,
);
await sut.stop();

const deliveredRate = (fastDelivered / fast.elapsedMs) * 1000;
process.stdout.write(
  [
    `targets: memory >= 200,000 ev/s within 1 % -> ${memory.achievedRate >= 200_000 && within(memory) <= 1 ? 'met' : 'NOT met'}`,
    `         http >= 30,000 ev/s delivered -> ${deliveredRate >= 30_000 ? 'met' : 'NOT met'} (${formatFixed(deliveredRate)} ev/s)`,
    `         5,000 ev/s: within 1 %, p99 lag < 5 ms, 0 dropped -> ${within(steady) <= 1 && steady.lag.p99Ms < 5 && steady.dropped === 0 ? 'met' : 'NOT met'}`,
    '',
  ].join('\n'),
);
process.stdout.write(
  `${await saveBenchResult(
    'bench-simulator',
    {
      memory_events_per_second: memory.achievedRate,
      memory_off_target_percent: within(memory),
      http_events_per_second_delivered: deliveredRate,
      http_dropped: fast.dropped,
      steady_events_per_second: steady.achievedRate,
      steady_off_target_percent: within(steady),
      steady_lag_p99_ms: steady.lag.p99Ms,
      steady_dropped: steady.dropped,
    },
    ['http runs target `harness sut --no-database` in its own process on the same machine'],
    { steadySeconds: LONG_SECONDS },
  )}\n`,
);
