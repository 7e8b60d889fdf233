// Six times production through Kafka: the simulator's Kafka sink, the topic, then
// `harness sut --source kafka`. A 30 s ramp from 500 events/s warms the freshly seeded table
// (full-page writes, cold cache), then 3,000 events/s for a minute, the end-to-end
// figure as a scenario. Needs a broker: KAFKA_BROKERS (npm run kafka:start) or
// --kafka testcontainers.
import type { ScenarioOptions } from './engine/scenario-options.ts';

export const options: ScenarioOptions = {
  scenarios: {
    events: {
      executor: 'ramping-arrival-rate',
      startRate: 500,
      timeUnit: '1s',
      stages: [
        { duration: '30s', target: 3000 },
        { duration: '1m', target: 3000 },
      ],
    },
  },
  thresholds: {
    event_to_commit: [{ threshold: 'p(99)<1000', abortOnFail: true, delayAbortEval: '45s' }],
    dropped_events: ['count==0'],
    rejected_events: ['count==0'],
    flush_errors: ['count==0'],
  },
  harness: { transport: 'kafka', variant: 'join' },
};
