// The analysis's second revisit trigger: throughput past 1,000 events/s (twice production).
// 30 s of warm-up at the same rate (reported, not judged), then 2 minutes judged.
import type { ScenarioOptions } from './engine/scenario-options.ts';

export const options: ScenarioOptions = {
  scenarios: {
    warmup: { executor: 'constant-arrival-rate', rate: 1000, timeUnit: '1s', duration: '30s' },
    steady: {
      executor: 'constant-arrival-rate',
      rate: 1000,
      timeUnit: '1s',
      duration: '2m',
      startTime: '30s',
    },
  },
  thresholds: {
    'flush_duration{scenario:steady}': ['p(95)<50'],
    'event_to_commit{scenario:steady}': [
      { threshold: 'p(99)<2000', abortOnFail: true, delayAbortEval: '45s' },
    ],
    'dropped_events{scenario:steady}': ['count==0'],
  },
  harness: { variant: 'join' },
};
