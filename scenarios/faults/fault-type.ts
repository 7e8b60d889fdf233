import { z } from 'zod';
import type { PlayerEvent } from '../../sut/events/player-event.ts';
import type { ServerControl } from '../engine/provisioned-database.ts';
import type { PgLinkProxy } from './pg-link-proxy.ts';

/** What the faults act on; a part a run does not have is undefined (checked before the run). */
export interface FaultTargets {
  readonly service: {
    /** `instance`: which of the run's services (--services N), 0 for the first. */
    kill(restartAfterMs: number, instance: number): Promise<void>;
    terminate(restartAfterMs: number, instance: number): Promise<void>;
    /** Sends events beside the load (poison); says what the service or broker answered. */
    inject(events: readonly PlayerEvent[]): Promise<string>;
  };
  /** Players the poison events name, one per poison fault (so each hits rows of its own). */
  readonly poisonPlayers: readonly string[];
  readonly namespace: string;
  readonly postgres?: ServerControl;
  readonly broker?: { restart(): Promise<void> };
  readonly link?: PgLinkProxy;
}

/** What a fault needs from the run: only the service, a server, a broker, or the link proxy. */
export type FaultNeed = 'service' | 'postgres' | 'broker' | 'link';

/** A fault type's schema: a strict object whose `action` names the type. */
export type FaultSchema = z.ZodObject<{ action: z.ZodLiteral<string> } & z.ZodRawShape>;

/**
 * One kind of fault, whole: the scenario keys that name it (its schema, with `action` its
 * discriminant), the part of the run it needs, how the summary says it, and how it is carried
 * out (answering what the target said, when that is worth a line).
 */
export interface FaultType<T extends FaultSchema> {
  readonly schema: T;
  readonly needs: FaultNeed;
  describe(spec: z.infer<T>): string;
  carryOut(
    spec: z.infer<T>,
    targets: FaultTargets,
    at: { readonly poisonIndex: number },
  ): Promise<string | undefined>;
}

/** A fault type from its parts, its spec's type read from its schema. */
export function faultType<T extends FaultSchema>(
  schema: T,
  parts: Omit<FaultType<T>, 'schema'>,
): FaultType<T> {
  return { schema, ...parts };
}

const duration = z
  .string()
  .regex(/^(\d+(\.\d+)?(ms|s|m|h))+$/, 'a duration like 500ms, 30s or 1m30s');

/** Keys every fault has: when it happens, and again every so long, so many times in all. */
export const WHEN = {
  at: duration,
  every: duration.optional(),
  times: z.number().int().positive().max(1000).optional(),
};

export const DURATION = duration;

/** The part of the run a fault acts on, or an error saying the run has none. */
export function need<T>(part: T | undefined, what: string): T {
  if (part === undefined) throw new Error(`this run has no ${what} to act on`);
  return part;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
