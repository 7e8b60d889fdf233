// Ingest alone: `harness sut --no-database` in its own process, fed NDJSON batches over
import { formatInteger } from '../../lib/format.ts';
// keep-alive HTTP by this process; plus the in-process ingest path without HTTP.
// Run: npm run bench:sut-ingest [-- seconds]
import { Agent, request } from 'node:http';
import { generatePlayerIds } from '../../sut/db/player-ids.ts';
import { LOAD_TEST_STAT_CODES, loadCatalogue } from '../../sut/catalogue/goal-catalogue.ts';
import { NoopBatchWriter } from '../../sut/buffer/batch-writer.ts';
import { PRODUCTION_FLUSH_CONFIG } from '../../sut/buffer/flush-worker.ts';
import type { PlayerEvent } from '../../sut/events/player-event.ts';
import { SutMetrics } from '../../sut/metrics/sut-metrics.ts';
import { FlushService } from '../../sut/service/flush-service.ts';
import { startChildSut } from '../../sut/service/child-sut.ts';
import { saveBenchResult } from './bench-results.ts';
import { PRODUCTION } from '../../sut/production-defaults.ts';

const SECONDS = Number(process.argv[2] ?? 10);
const BATCH = 1000;
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 4);
const players = generatePlayerIds(PRODUCTION.players, PRODUCTION.seed);

function makeEvents(count: number, offset: number): PlayerEvent[] {
  const now = Date.now();
  return Array.from({ length: count }, (_, i) => {
    const n = offset + i;
    const playerId = players[(n * 7919) % players.length] as string;
    return n % 5 === 0
      ? {
          eventId: `e${n}`,
          playerId,
          namespace: 'harness',
          type: 'login',
          delta: 1,
          intendedAt: now,
        }
      : {
          eventId: `e${n}`,
          playerId,
          namespace: 'harness',
          type: 'stat',
          statCode: LOAD_TEST_STAT_CODES[n % 5] as string,
          delta: 1 + (n % 3),
          intendedAt: now,
        };
  });
}

async function overHttp(): Promise<{ eventsPerSecond: number; accepted: number }> {
  const sut = await startChildSut(['--no-database']);
  const bodies = Array.from({ length: 50 }, (_, b) =>
    makeEvents(BATCH, b * BATCH)
      .map((e) => JSON.stringify(e))
      .join('\n'),
  );
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const url = new URL('/events', sut.url);
  const post = (body: string) =>
    new Promise<number>((resolve, reject) => {
      const req = request(
        url,
        {
          method: 'POST',
          agent,
          headers: {
            'content-type': 'application/x-ndjson',
            'content-length': Buffer.byteLength(body),
          },
        },
        (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => {
            resolve((JSON.parse(text) as { accepted: number }).accepted);
          });
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  let accepted = 0;
  const deadline = performance.now() + SECONDS * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, w) => {
      for (let i = w; performance.now() < deadline; i += CONCURRENCY) {
        // Not `accepted += await ...`: that reads `accepted` before the await and loses the other workers' counts.
        const n = await post(bodies[i % bodies.length] as string);
        accepted += n;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  agent.destroy();
  const code = await sut.stop();
  if (code !== 0) throw new Error(`harness sut exited with ${String(code)}`);
  return { eventsPerSecond: accepted / elapsed, accepted };
}

async function inProcess(): Promise<number> {
  const service = new FlushService(
    await loadCatalogue(),
    new NoopBatchWriter(),
    new SutMetrics(PRODUCTION.variant, PRODUCTION.partitions),
    8,
    PRODUCTION_FLUSH_CONFIG,
  );
  service.start();
  const batches = Array.from({ length: 50 }, (_, b) => makeEvents(BATCH, b * BATCH));
  let n = 0;
  const deadline = performance.now() + Math.min(SECONDS, 5) * 1000;
  const started = performance.now();
  for (let i = 0; performance.now() < deadline; i++)
    n += (await service.ingest(batches[i % batches.length] as PlayerEvent[])).accepted;
  const rate = n / ((performance.now() - started) / 1000);
  await service.stop();
  return rate;
}

const http = await overHttp();
const direct = await inProcess();
process.stdout.write(
  `ingest over HTTP (harness sut --no-database, NDJSON batches of ${BATCH}, ${CONCURRENCY} connections, ${SECONDS} s): ${formatInteger(http.eventsPerSecond)} events/s (${formatInteger(http.accepted)} accepted)\n`,
);
process.stdout.write(
  `ingest in process (FlushService.ingest, no HTTP): ${formatInteger(direct)} events/s\n`,
);
process.stdout.write(
  `target: at least 100,000 events/s over HTTP -> ${http.eventsPerSecond >= 100_000 ? 'met' : 'NOT met'}\n`,
);
process.stdout.write(
  `${await saveBenchResult('bench-sut-ingest', { http_events_per_second: http.eventsPerSecond, in_process_events_per_second: direct }, ['no-op repository; the load generator runs in another process on the same machine'], { seconds: SECONDS, batch: BATCH, concurrency: CONCURRENCY })}\n`,
);
