import { z } from 'zod';
import { parseDuration } from '../../../simulator/duration.ts';
import { DURATION, faultType, need, sleep, WHEN } from '../fault-type.ts';

const LINK = 'database link';

/** Every chunk between service and database delayed, for a while. */
export const linkLatency = faultType(
  z.strictObject({
    action: z.literal('link-latency'),
    ...WHEN,
    ms: z.number().int().positive().max(60_000),
    for: DURATION,
  }),
  {
    needs: 'link',
    describe: (spec) => `link-latency ${spec.ms} ms for ${spec.for}`,
    async carryOut(spec, targets) {
      const link = need(targets.link, LINK);
      link.setLatency(spec.ms);
      await sleep(parseDuration(spec.for, 'for'));
      link.setLatency(0);
      return undefined;
    },
  },
);

/** Every service-to-database connection cut at once (RST). */
export const linkReset = faultType(z.strictObject({ action: z.literal('link-reset'), ...WHEN }), {
  needs: 'link',
  describe: (spec) => spec.action,
  carryOut: (_spec, targets) =>
    Promise.resolve(`${need(targets.link, LINK).resetAll()} connections cut`),
});

/** All service-to-database traffic held for a while, then let through (a partition that heals). */
export const linkBlackHole = faultType(
  z.strictObject({ action: z.literal('link-black-hole'), ...WHEN, for: DURATION }),
  {
    needs: 'link',
    describe: (spec) => `${spec.action} for ${spec.for}`,
    async carryOut(spec, targets) {
      await need(targets.link, LINK).blackHole(parseDuration(spec.for, 'for'));
      return undefined;
    },
  },
);

/** The server's reply to the next COMMIT dropped and that connection cut: an unknown outcome. */
export const dropCommitReply = faultType(
  z.strictObject({ action: z.literal('drop-commit-reply'), ...WHEN }),
  {
    needs: 'link',
    describe: (spec) => spec.action,
    carryOut(_spec, targets) {
      need(targets.link, LINK).dropCommitReplies(1);
      return Promise.resolve(undefined);
    },
  },
);
