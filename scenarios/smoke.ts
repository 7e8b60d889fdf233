// Smoke: a short, gentle run with every check on; if this fails, nothing else is worth running.
// 10 s of warm-up (reported, not judged), then 20 s judged.
import type { ScenarioOptions } from './engine/scenario-options.ts';

export const options: ScenarioOptions = {
  scenarios: {
    warmup: { executor: 'constant-arrival-rate', rate: 50, timeUnit: '1s', duration: '10s' },
    steady: {
      executor: 'constant-arrival-rate',
      rate: 50,
      timeUnit: '1s',
      duration: '20s',
      startTime: '10s',
    },
  },
  thresholds: {
    'event_to_commit{scenario:steady}': ['p(95)<1000'],
    'flush_duration{scenario:steady}': ['p(95)<50'],
    'dropped_events{scenario:steady}': ['count==0'],
    'schedule_lag{scenario:steady}': ['p(99)<50'],
    rejected_events: ['count==0'],
    flush_errors: ['count==0'],
  },
  harness: { variant: 'join' },
};
