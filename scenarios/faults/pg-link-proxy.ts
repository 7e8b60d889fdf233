import { connect, createServer, type Server, type Socket } from 'node:net';

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
  /** Adds this much delay to every chunk, both ways (0: none). */
  setLatency(ms: number): void;
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
  };
  close(): Promise<void>;
}

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

export async function startPgLinkProxy(upstreamUrl: string): Promise<PgLinkProxy> {
  const upstream = new URL(upstreamUrl);
  const upstreamHost = upstream.hostname;
  const upstreamPort = Number(upstream.port || 5432);
  const sockets = new Set<Socket>();
  let latencyMs = 0;
  let holdUntil = 0;
  let commitDrops = 0;
  const stats = { connections: 0, resets: 0, commitRepliesDropped: 0 };

  /** Sends `data` to `to`, after the latency and after any black hole, in order. */
  const forwarder = (to: Socket) => {
    let chain = Promise.resolve();
    return (data: Buffer) => {
      chain = chain.then(async () => {
        const wait = Math.max(latencyMs, holdUntil - Date.now());
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        // A black hole that started while this chunk waited holds it too.
        while (holdUntil > Date.now())
          await new Promise((r) => setTimeout(r, holdUntil - Date.now()));
        if (!to.destroyed) to.write(data);
      });
    };
  };

  const server: Server = createServer((client) => {
    stats.connections++;
    sockets.add(client);
    const start = async () => {
      while (holdUntil > Date.now())
        await new Promise((r) => setTimeout(r, holdUntil - Date.now()));
      const db = connect({ host: upstreamHost, port: upstreamPort });
      sockets.add(db);
      const stream = new ServerStream();
      const toDb = forwarder(db);
      const toClient = forwarder(client);
      let first = true;
      client.on('data', (chunk: Buffer) => {
        if (first && chunk.length >= 8) {
          const code = chunk.readUInt32BE(4);
          stream.expectBareByte = code === SSL_REQUEST || code === GSSENC_REQUEST;
        }
        first = false;
        toDb(chunk);
      });
      db.on('data', (chunk: Buffer) => {
        // Parsed always, so the message boundaries stay known when a drop is asked for.
        const commits = stream.commitsIn(chunk);
        if (commits.length > 0 && commitDrops > 0) {
          commitDrops--;
          stats.commitRepliesDropped++;
          // Everything before the COMMIT's reply goes through; then the link dies.
          const cut = commits[0] as number;
          if (cut > 0) toClient(chunk.subarray(0, cut));
          setTimeout(() => {
            client.resetAndDestroy();
            db.destroy();
          }, latencyMs + 20);
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
      holdUntil = Math.max(holdUntil, Date.now() + ms);
      await new Promise((r) => setTimeout(r, ms));
    },
    dropCommitReplies(n) {
      commitDrops += n;
    },
    stats,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => {
          resolve();
        });
      }),
  };
}
