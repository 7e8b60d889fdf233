// Breakpoint: ramp the rate until events stop being committed in time, once per SQL variant,
// one after another on freshly seeded data. The reading is the highest target rate whose
// seconds all kept event-to-commit p99 under 1 s; the run stops (abortOnFail) once the
// cumulative p99 passes it too. A threshold failing is the expected end: the exit code is 99.
import type { ScenarioOptions } from './engine/scenario-options.ts';

export const options: ScenarioOptions = {
  scenarios: {
    ramp: {
      executor: 'ramping-arrival-rate',
      startRate: 200,
      timeUnit: '1s',
      // Far enough for the fastest variant to break on a settled table in memory (cte and join
      // held 8,000 events/s to the end of a ramp that stopped there). The simulator shares the
      // machine's cores: schedule_lag and dropped_events say when it, not the flush, gave out.
      stages: [{ duration: '4m', target: 16000 }],
    },
  },
  thresholds: {
    event_to_commit: [{ threshold: 'p(99)<1000', abortOnFail: true, delayAbortEval: '15s' }],
  },
  harness: { variants: ['correlated', 'cte', 'join'] },
};
