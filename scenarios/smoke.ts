// Smoke: a short, gentle run with every check on; if this fails, nothing else is worth running.
import type { ScenarioOptions } from './engine/scenario-options.ts';

export const options: ScenarioOptions = {
  scenarios: {
    events: { executor: 'constant-arrival-rate', rate: 50, timeUnit: '1s', duration: '20s' },
  },
  thresholds: {
    event_to_commit: ['p(95)<1000'],
    flush_duration: ['p(95)<50'],
    dropped_events: ['count==0'],
    rejected_events: ['count==0'],
    flush_errors: ['count==0'],
    schedule_lag: ['p(99)<50'],
  },
  harness: { variant: 'join' },
};
