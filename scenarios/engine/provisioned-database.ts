/** How PostgreSQL is asked to shut down (its signals: SIGINT fast, SIGQUIT immediate). */
export const SHUTDOWN_MODES = ['fast', 'immediate'] as const;
export type ShutdownMode = (typeof SHUTDOWN_MODES)[number];

/**
 * Stopping and starting a server the harness runs on this machine, for fault scenarios:
 * a restart as an operator does it (`pg_ctl restart -m fast|immediate`), and an outage of a
 * given length. The data and the port stay; clients see their connections cut.
 */
export interface ServerControl {
  /** Shuts down with `mode`, returns once the server is gone. */
  stop(mode: ShutdownMode): Promise<void>;
  /** Starts the server again as it ran before, returns once it accepts connections. */
  start(): Promise<void>;
  restart(mode: ShutdownMode): Promise<void>;
  /** Whether the server runs now. */
  running(): Promise<boolean>;
}

/** A PostgreSQL server the harness can use, however it was obtained. */
export interface ProvisionedDatabase {
  /** How it was obtained: an existing server (`url`), `embedded` or `testcontainers`. */
  readonly kind: 'url' | 'embedded' | 'testcontainers';
  /** Connection string for `pg`. */
  readonly url: string;
  /** Milliseconds from request to accepting connections (0 for an existing server). */
  readonly startupMs: number;
  /** Whether the server runs on this machine, so its processes can be read from /proc. */
  readonly local: boolean;
  /** The data directory, for a server the harness started on this machine. */
  readonly dataDir?: string;
  /** Stop and start it (fault scenarios): only for a server the harness runs on this machine. */
  readonly control?: ServerControl;
  /** Stops and removes what the harness started; a no-op for an existing server. */
  stop(): Promise<void>;
}
