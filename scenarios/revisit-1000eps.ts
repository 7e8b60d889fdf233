// The seed's second revisit trigger: throughput past 1,000 events/s (twice production).
import type { ScenarioOptions } from './engine/scenario-options.ts';

export const options: ScenarioOptions = {
  scenarios: {
    doubled: { executor: 'constant-arrival-rate', rate: 1000, timeUnit: '1s', duration: '2m' },
  },
  thresholds: {
    flush_duration: ['p(95)<50'],
    event_to_commit: [{ threshold: 'p(99)<2000', abortOnFail: true, delayAbortEval: '30s' }],
    dropped_events: ['count==0'],
  },
  harness: { variant: 'join' },
};
