import { connect, createServer, type Server, type Socket } from 'node:net';
import { absoluteNow, startPreciseTicker, type PreciseTicker } from './precise-ticker.ts';

/**
 * The service-to-database link as a fault scenario needs it: a TCP proxy the service's
 * connections go through, which can add latency, cut every connection, hold all traffic for
 * a while (a partition that heals), or drop the server's reply to a COMMIT and cut that
 * connection (the outcome the client cannot know). Toxiproxy is the model; its server needs a
 * container, which this machine cannot run, so this is the subset the fault matrix uses.
 *
 * To find a COMMIT's reply it reads the server's side of the PostgreSQL protocol: every
 * message is a type byte and a length, after the one-byte answer to an SSL or GSS request.
 */
export interface PgLinkProxy {
  /** The database URL with the proxy in place of the server. */
  readonly url: string;
  /** Adds this much delay to every chunk, both ways (0: none), on top of the link's own. */
  setLatency(ms: number): void;
  /**
   * The link's own distance: half the round trip each way, each chunk's delay drawn within
   * half the jitter either side of that. Chunks leave in the order they came either way.
   */
  setLink(link: LinkDelay): void;
  /** Cuts every open connection at once (RST). Returns how many. */
  resetAll(): number;
  /** Holds all traffic, both ways and new connections, for `ms`, then lets it through. */
  blackHole(ms: number): Promise<void>;
  /** The next `n` COMMIT replies are dropped, and the connection that carried each is cut. */
  dropCommitReplies(n: number): void;
  readonly stats: {
    connections: number;
    resets: number;
    commitRepliesDropped: number;
    /** Client-to-server turns: a client chunk after the server had the word (a round trip). */
    exchanges: number;
  };
  /**
   * How late chunks left against their due time (ms) since the last call, and how many:
   * the proxy's own error, which the machine's load and the event loop set.
   */
  takeLateness(): LinkLateness;
  close(): Promise<void>;
}

/** A network distance, both ways together. */
export interface LinkDelay {
  readonly roundTripMs: number;
  /** Each chunk's one-way delay varies by up to half this either side (0: none). */
  readonly jitterMs: number;
}

export interface LinkLateness {
  readonly chunks: number;
  /** How long chunks were held on average, arrival to departure, one way (ms). */
  readonly meanHoldMs: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

/** Lateness samples kept between readings: enough for a p99, bounded in memory. */
const LATENESS_SAMPLES = 100_000;

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;

/**
 * Walks the server's message stream and says where the replies that report a commit start:
 * a CommandComplete "COMMIT", or the CommandComplete of a statement that ran on its own
 * (autocommit: the ReadyForQuery after it says the session is idle, not in a transaction).
 */
class ServerStream {
  private pending: Buffer = Buffer.alloc(0);
  /** An SSL/GSS request was sent: the first server byte is a bare 'N' or 'S'. */
  expectBareByte = false;
  /** Where the last CommandComplete began, in the data being walked. */
  private lastComplete: number | undefined;

  /** Offsets (in `chunk`) where commit replies start. */
  commitsIn(chunk: Buffer): number[] {
    const base = this.pending.length;
    const data = base === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const found: number[] = [];
    let at = 0;
    if (this.expectBareByte && data.length > 0) {
      this.expectBareByte = false;
      at = 1;
    }
    while (data.length - at >= 5) {
      const type = data[at];
      const length = data.readUInt32BE(at + 1);
      if (data.length - at < 1 + length) break;
      if (type === 0x43) {
        // 'C' CommandComplete: "COMMIT" commits now; a write may commit on its own.
        const tag = data.toString('latin1', at + 5, at + length);
        if (tag.startsWith('COMMIT')) found.push(at - base);
        else if (/^(UPDATE|INSERT|DELETE) /.test(tag)) this.lastComplete = at;
        else this.lastComplete = undefined;
      } else if (type === 0x5a && this.lastComplete !== undefined) {
        // 'Z' ReadyForQuery: status 'I' (idle) after a statement means it ran in autocommit.
        if (data[at + 5] === 0x49) found.push(this.lastComplete - base);
        this.lastComplete = undefined;
      }
      at += 1 + length;
    }
    if (this.lastComplete !== undefined) this.lastComplete -= at;
    this.pending = data.subarray(at);
    return found.filter((offset) => offset >= 0).sort((a, b) => a - b);
  }
}

/**
 * One direction of one connection: chunks leave in the order they came, each no sooner than
 * its due time (arrival + delay), never before the chunk ahead of it, and not while a black
 * hole holds the link. The ticker wakes it when the head chunk is due.
 */
class Lane {
  private readonly queue: { data: Buffer; due: number; came: number }[] = [];
  private lastDue = 0;
  private scheduled = false;

  constructor(
    private readonly to: Socket,
    private readonly ticker: PreciseTicker,
    private readonly delayMs: () => number,
    private readonly holdUntil: () => number,
    private readonly late: (lateMs: number, heldMs: number) => void,
  ) {}

  push(data: Buffer): void {
    const came = absoluteNow();
    const due = Math.max(came + this.delayMs(), this.lastDue);
    this.lastDue = due;
    this.queue.push({ data, due, came });
    if (this.queue.length === 1 && due <= came) this.pump();
    else this.schedule();
  }

  private schedule(): void {
    if (this.scheduled || this.queue.length === 0) return;
    this.scheduled = true;
    const head = this.queue[0] as { due: number };
    this.ticker.at(Math.max(head.due, this.holdUntil()), () => {
      this.scheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    const now = absoluteNow();
    if (this.holdUntil() > now) {
      this.schedule();
      return;
    }
    while (this.queue.length > 0 && (this.queue[0] as { due: number }).due <= now) {
      const { data, due, came } = this.queue.shift() as { data: Buffer; due: number; came: number };
      if (this.to.destroyed) continue;
      this.to.write(data);
      this.late(now - due, now - came);
    }
    this.schedule();
  }
}

export async function startPgLinkProxy(upstreamUrl: string): Promise<PgLinkProxy> {
  const upstream = new URL(upstreamUrl);
  const upstreamHost = upstream.hostname;
  const upstreamPort = Number(upstream.port || 5432);
  const sockets = new Set<Socket>();
  let latencyMs = 0;
  let link: LinkDelay = { roundTripMs: 0, jitterMs: 0 };
  // The time (absoluteNow) until which a black hole holds everything.
  let holdUntil = 0;
  let commitDrops = 0;
  const stats = { connections: 0, resets: 0, commitRepliesDropped: 0, exchanges: 0 };
  let lateness: number[] = [];
  let latenessSeen = 0;
  let heldTotal = 0;
  const recordLate = (ms: number, heldMs: number) => {
    latenessSeen++;
    heldTotal += heldMs;
    if (lateness.length < LATENESS_SAMPLES) lateness.push(ms);
    else {
      // Reservoir sampling: every chunk equally likely to be kept.
      const i = Math.floor(Math.random() * latenessSeen);
      if (i < LATENESS_SAMPLES) lateness[i] = ms;
    }
  };
  const oneWayMs = () => {
    const half = link.roundTripMs / 2;
    const spread = link.jitterMs > 0 ? (Math.random() - 0.5) * link.jitterMs : 0;
    return Math.max(0, half + spread) + latencyMs;
  };
  const held = () => holdUntil;
  const ticker = startPreciseTicker();
  const waitForHole = async () => {
    while (holdUntil > absoluteNow())
      await new Promise((r) => setTimeout(r, Math.ceil(holdUntil - absoluteNow())));
  };

  const server: Server = createServer((client) => {
    stats.connections++;
    sockets.add(client);
    client.setNoDelay(true);
    // Whatever the client sends before the server's side is connected waits in its lane.
    const start = async () => {
      await waitForHole();
      const db = connect({ host: upstreamHost, port: upstreamPort });
      db.setNoDelay(true);
      sockets.add(db);
      const stream = new ServerStream();
      const toDbLane = new Lane(db, ticker, oneWayMs, held, recordLate);
      const toClientLane = new Lane(client, ticker, oneWayMs, held, recordLate);
      const toDb = (data: Buffer) => {
        toDbLane.push(data);
      };
      const toClient = (data: Buffer) => {
        toClientLane.push(data);
      };
      let first = true;
      // Whether the server spoke last: the client's next chunk starts a new round trip.
      let serverSpoke = true;
      client.on('data', (chunk: Buffer) => {
        if (first && chunk.length >= 8) {
          const code = chunk.readUInt32BE(4);
          stream.expectBareByte = code === SSL_REQUEST || code === GSSENC_REQUEST;
        }
        first = false;
        if (serverSpoke) stats.exchanges++;
        serverSpoke = false;
        toDb(chunk);
      });
      db.on('data', (chunk: Buffer) => {
        serverSpoke = true;
        // Parsed always, so the message boundaries stay known when a drop is asked for.
        const commits = stream.commitsIn(chunk);
        if (commits.length > 0 && commitDrops > 0) {
          commitDrops--;
          stats.commitRepliesDropped++;
          // Everything before the COMMIT's reply goes through; then the link dies.
          const cut = commits[0] as number;
          if (cut > 0) toClient(chunk.subarray(0, cut));
          setTimeout(
            () => {
              client.resetAndDestroy();
              db.destroy();
            },
            latencyMs + link.roundTripMs / 2 + link.jitterMs + 20,
          );
          return;
        }
        toClient(chunk);
      });
      const close = () => {
        sockets.delete(client);
        sockets.delete(db);
        if (!client.destroyed) client.destroy();
        if (!db.destroyed) db.destroy();
      };
      client.on('close', close);
      db.on('close', close);
      client.on('error', close);
      db.on('error', close);
    };
    void start();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the proxy has no port');
  const url = new URL(upstreamUrl);
  url.hostname = '127.0.0.1';
  url.port = String(address.port);
  return {
    url: url.toString(),
    setLatency(ms) {
      latencyMs = ms;
    },
    setLink(value) {
      link = value;
    },
    takeLateness() {
      const sorted = lateness.sort((x, y) => x - y);
      const at = (q: number) =>
        sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
      const taken = {
        chunks: latenessSeen,
        meanHoldMs: latenessSeen === 0 ? 0 : heldTotal / latenessSeen,
        p50Ms: at(0.5),
        p99Ms: at(0.99),
        maxMs: sorted[sorted.length - 1] ?? 0,
      };
      lateness = [];
      latenessSeen = 0;
      heldTotal = 0;
      return taken;
    },
    resetAll() {
      let n = 0;
      for (const s of sockets) {
        if (s.destroyed) continue;
        s.resetAndDestroy();
        n++;
      }
      sockets.clear();
      stats.resets += n;
      return n;
    },
    async blackHole(ms) {
      holdUntil = Math.max(holdUntil, absoluteNow() + ms);
      await new Promise((r) => setTimeout(r, ms));
    },
    dropCommitReplies(n) {
      commitDrops += n;
    },
    stats,
    async close() {
      await new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => {
          resolve();
        });
      });
      await ticker.close();
    },
  };
}
