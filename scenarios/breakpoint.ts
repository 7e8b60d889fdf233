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
      stages: [{ duration: '3m', target: 8000 }],
    },
  },
  thresholds: {
    event_to_commit: [{ threshold: 'p(99)<1000', abortOnFail: true, delayAbortEval: '15s' }],
  },
  harness: { variants: ['correlated', 'cte', 'join'] },
};
