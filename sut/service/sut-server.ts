import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SutMetrics } from '../metrics/sut-metrics.ts';
import type { HttpEventSource } from '../sources/http-event-source.ts';

/** Request headers must arrive whole within this: a client that drips them is answered 408. */
export const DEFAULT_HEADERS_TIMEOUT_MS = 10_000;

export interface SutServer {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * The service's HTTP face: `GET /metrics` (Prometheus text), `GET /healthz`, and
 * `POST /events` and `POST /events/stream` when the HTTP source is the transport.
 */
export async function startSutServer(options: {
  host: string;
  port: number;
  metrics: SutMetrics;
  events?: HttpEventSource;
  health: () => { ok: boolean; [key: string]: unknown };
  headersTimeoutMs?: number;
}): Promise<SutServer> {
  const headersTimeoutMs = options.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS;
  // Node looks for expired headers this often; a second at most, so a short limit holds.
  const checkEveryMs = Math.max(100, Math.min(1_000, Math.floor(headersTimeoutMs / 4)));
  const server: Server = createServer({ connectionsCheckingInterval: checkEveryMs }, (req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0];
    if (path === '/events/stream' && options.events !== undefined) {
      if (req.method === 'POST') {
        options.events.handleStream(req, res);
        return;
      }
      res.writeHead(405, { allow: 'POST' }).end();
      return;
    }
    if (path === '/events' && options.events !== undefined) {
      if (req.method === 'POST') {
        options.events.handle(req, res);
        return;
      }
      res.writeHead(405, { allow: 'POST' }).end();
      return;
    }
    if (path === '/metrics' && req.method === 'GET') {
      options.metrics.registry
        .metrics()
        .then((text) => {
          res.writeHead(200, { 'content-type': options.metrics.registry.contentType }).end(text);
        })
        .catch((error: unknown) => {
          res.writeHead(500).end(String(error));
        });
      return;
    }
    if (path === '/intervals' && req.method === 'GET') {
      // The exact per-second histograms since `after` (a sequence number); `close=1` closes
      // the open second first (the harness reads that way before it stops the service).
      const query = new URL(req.url ?? '/', 'http://service').searchParams;
      const after = Number(query.get('after') ?? 0);
      const intervals = options.metrics.intervals.since(
        Number.isFinite(after) ? after : 0,
        query.get('close') === '1',
      );
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ intervals }));
      return;
    }
    if (path === '/scenario' && req.method === 'PUT') {
      // The scenario a harness run is in: /metrics labels every series with it from now on.
      const name = new URL(req.url ?? '/', 'http://service').searchParams.get('name') ?? '';
      if (!/^[A-Za-z0-9_-]{1,64}$/.test(name)) {
        res
          .writeHead(400, { 'content-type': 'application/json' })
          .end(JSON.stringify({ error: 'name: a scenario name of letters, digits, - and _' }));
        return;
      }
      options.metrics.scenario(name);
      res.writeHead(204).end();
      return;
    }
    if (path === '/healthz' && req.method === 'GET') {
      const health = options.health();
      res
        .writeHead(health.ok ? 200 : 503, { 'content-type': 'application/json' })
        .end(JSON.stringify(health));
      return;
    }
    res
      .writeHead(404, { 'content-type': 'application/json' })
      .end(JSON.stringify({ error: `no route ${req.method ?? ''} ${path ?? ''}` }));
  });
  // Load generators hold connections open between batches; Node's 5 s default would cut them.
  // An idle kept-alive connection is not held to the headers timeout, only a request begun.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = headersTimeoutMs;
  // Node's whole-request limit would also cut `POST /events/stream`, a request meant to last:
  // bodies are held to their own pace instead (HttpEventSource: body timeout and minimum rate
  // for `POST /events`, an idle timeout for a stream).
  server.requestTimeout = 0;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${options.host}:${address.port}`,
    close: () =>
      new Promise((resolve, reject) => {
        server.close((error) => {
          if (error) reject(error);
          else resolve();
        });
        server.closeIdleConnections();
      }),
  };
}
