import type pg from 'pg';

/** What an active database session was doing when sampled, as pg_stat_activity says. */
export const WAIT_KINDS = ['cpu', 'walWrite', 'lock', 'io', 'other'] as const;
export type WaitKind = (typeof WAIT_KINDS)[number];

/**
 * Sorts one sample into a kind: no wait event is work on a CPU; WAL writes and flushes
 * (the commit waiting for its WAL to reach the disk) apart from other I/O; heavyweight
 * lock waits (a row locked by another flush) apart from everything else.
 */
export function waitKind(type: string | null, event: string | null): WaitKind {
  if (type === null) return 'cpu';
  if (type === 'Lock') return 'lock';
  // WALWrite and WALSync (IO; WalWrite and WalSync from PostgreSQL 17), WALInsert and
  // WALWrite (LWLock), WALBufMapping.
  if (event !== null && /^wal(write|sync|insert|bufmapping)/i.test(event)) return 'walWrite';
  if (type === 'IO') return 'io';
  return 'other';
}

/**
 * Samples the database's active client sessions (other than its own) every `intervalMs`, on
 * a connection of its own, and counts what they were doing: a sampling profile of where the
 * server's time goes while a run measures.
 */
export class WaitSampler {
  private readonly counts: Record<WaitKind, number> = {
    cpu: 0,
    walWrite: 0,
    lock: 0,
    io: 0,
    other: 0,
  };
  private samples = 0;
  private timer: NodeJS.Timeout | undefined;
  private pending: Promise<void> = Promise.resolve();
  private problem: string | undefined;

  constructor(
    private readonly client: pg.ClientBase,
    private readonly intervalMs = 250,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      this.pending = this.pending.then(() => this.sample());
    }, this.intervalMs);
    // A sampler left running by a failure elsewhere must not keep the process alive.
    this.timer.unref();
  }

  private async sample(): Promise<void> {
    if (this.problem !== undefined) return;
    try {
      const { rows } = await this.client.query<{ type: string | null; event: string | null }>(
        `SELECT wait_event_type AS type, wait_event AS event FROM pg_stat_activity
          WHERE datname = current_database() AND backend_type = 'client backend'
            AND state = 'active' AND pid <> pg_backend_pid()`,
      );
      this.samples++;
      for (const r of rows) this.counts[waitKind(r.type, r.event)]++;
    } catch (error) {
      // A fault that restarts the server cuts this connection: the profile covers what came before.
      this.problem = (error as Error).message;
    }
  }

  /** Stops sampling; the share of each kind over all sessions seen active. */
  async stop(): Promise<WaitProfile> {
    clearInterval(this.timer);
    await this.pending;
    const seen = WAIT_KINDS.reduce((n, k) => n + this.counts[k], 0);
    const shares = Object.fromEntries(
      WAIT_KINDS.map((k) => [k, seen > 0 ? this.counts[k] / seen : 0]),
    ) as Record<WaitKind, number>;
    return {
      samples: this.samples,
      activeSeen: seen,
      shares,
      ...(this.problem === undefined ? {} : { stoppedEarly: this.problem }),
    };
  }
}

export interface WaitProfile {
  /** Times pg_stat_activity was read. */
  readonly samples: number;
  /** Active sessions seen over all samples. */
  readonly activeSeen: number;
  readonly shares: Readonly<Record<WaitKind, number>>;
  /** Why sampling stopped before the run did, when it did. */
  readonly stoppedEarly?: string;
}
