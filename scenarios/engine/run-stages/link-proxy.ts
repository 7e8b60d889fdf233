import type { CleanupStack, Deferred } from '../../../lib/cleanup-stack.ts';
import { faultNeeds, type TimedFault } from '../../faults/fault-spec.ts';
import { startPgLinkProxy, type PgLinkProxy } from '../../faults/pg-link-proxy.ts';

export interface LinkProxyStage {
  readonly proxy: PgLinkProxy;
  readonly close: Deferred<void>;
}

/**
 * Stage `link-proxy`: with link faults the service reaches the database through a proxy the
 * faults can cut; without them there is none.
 */
export async function startLinkProxy(
  stack: CleanupStack,
  databaseUrl: string,
  faults: readonly TimedFault[],
): Promise<LinkProxyStage | undefined> {
  if (!faults.some((f) => faultNeeds(f.spec.action) === 'link')) return undefined;
  const proxy = await startPgLinkProxy(databaseUrl);
  return { proxy, close: stack.defer('the link proxy', () => proxy.close()) };
}
