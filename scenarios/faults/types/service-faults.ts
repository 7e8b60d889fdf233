import { z } from 'zod';
import { parseDuration } from '../../../simulator/duration.ts';
import { DURATION, faultType, WHEN } from '../fault-type.ts';

const serviceRestart = {
  restartAfter: DURATION.optional(),
  /** Which of the run's services (`run --services N`), from 0; the first by default. */
  service: z.number().int().nonnegative().max(63).optional(),
};

function describeService(spec: { action: string; service?: number; restartAfter?: string }) {
  return `${spec.action}${spec.service === undefined ? '' : ` of service ${spec.service}`}${spec.restartAfter === undefined ? '' : `, restart after ${spec.restartAfter}`}`;
}

/** SIGKILL the service (what it buffered is lost: the audit's lost_at_crash), then start it again. */
export const killService = faultType(
  z.strictObject({ action: z.literal('kill-service'), ...WHEN, ...serviceRestart }),
  {
    needs: 'service',
    describe: describeService,
    async carryOut(spec, targets) {
      await targets.service.kill(
        parseDuration(spec.restartAfter ?? '0s', 'restartAfter'),
        spec.service ?? 0,
      );
      return undefined;
    },
  },
);

/** SIGTERM the service (it flushes everything and exits), then start it again. */
export const stopService = faultType(
  z.strictObject({ action: z.literal('stop-service'), ...WHEN, ...serviceRestart }),
  {
    needs: 'service',
    describe: describeService,
    async carryOut(spec, targets) {
      await targets.service.terminate(
        parseDuration(spec.restartAfter ?? '0s', 'restartAfter'),
        spec.service ?? 0,
      );
      return undefined;
    },
  },
);
