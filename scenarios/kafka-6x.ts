// Six times production through Kafka: the simulator's Kafka sink, the topic, then
// `harness sut --source kafka`. A 30 s warm-up ramps from 500 events/s (reported, not
// judged), then 3,000 events/s for a minute is judged: the end-to-end figure as a scenario.
// Needs a broker: KAFKA_BROKERS (npm run kafka:start), --kafka local or --kafka testcontainers.
import type { ScenarioOptions } from './engine/scenario-options.ts';

export const options: ScenarioOptions = {
  scenarios: {
    warmup: {
      executor: 'ramping-arrival-rate',
      startRate: 500,
      timeUnit: '1s',
      stages: [{ duration: '30s', target: 3000 }],
    },
    steady: {
      executor: 'constant-arrival-rate',
      rate: 3000,
      timeUnit: '1s',
      duration: '1m',
      startTime: '30s',
    },
  },
  thresholds: {
    'event_to_commit{scenario:steady}': [
      { threshold: 'p(99)<1000', abortOnFail: true, delayAbortEval: '45s' },
    ],
    'dropped_events{scenario:steady}': ['count==0'],
    rejected_events: ['count==0'],
    flush_errors: ['count==0'],
  },
  harness: { transport: 'kafka', variant: 'join' },
};
