import { z } from 'zod';
import { parseDuration } from '../../../simulator/duration.ts';
import { SHUTDOWN_MODES } from '../../engine/provisioned-database.ts';
import { DURATION, faultType, need, sleep, WHEN } from '../fault-type.ts';

/** pg_ctl restart -m fast|immediate, on a server the harness started. */
export const restartPostgres = faultType(
  z.strictObject({
    action: z.literal('restart-postgres'),
    ...WHEN,
    mode: z.enum(SHUTDOWN_MODES).optional(),
  }),
  {
    needs: 'postgres',
    describe: (spec) => `restart-postgres -m ${spec.mode ?? 'fast'}`,
    async carryOut(spec, targets) {
      await need(targets.postgres, 'PostgreSQL server').restart(spec.mode ?? 'fast');
      return undefined;
    },
  },
);

/** PostgreSQL down (fast shutdown) for a while, then started again. */
export const stopPostgres = faultType(
  z.strictObject({ action: z.literal('stop-postgres'), ...WHEN, for: DURATION }),
  {
    needs: 'postgres',
    describe: (spec) => `${spec.action} for ${spec.for}`,
    async carryOut(spec, targets) {
      const postgres = need(targets.postgres, 'PostgreSQL server');
      await postgres.stop('fast');
      await sleep(parseDuration(spec.for, 'for'));
      await postgres.start();
      return undefined;
    },
  },
);

/** The Kafka broker stopped and started again (a broker the harness runs: --kafka local). */
export const restartBroker = faultType(
  z.strictObject({ action: z.literal('restart-broker'), ...WHEN }),
  {
    needs: 'broker',
    describe: (spec) => spec.action,
    async carryOut(_spec, targets) {
      await need(targets.broker, 'Kafka broker').restart();
      return undefined;
    },
  },
);
