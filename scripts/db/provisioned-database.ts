import type { ServerControl } from './server-control.ts';

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
