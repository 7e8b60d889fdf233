// The fault matrix over Kafka: 4 minutes at 1,000 events/s while the service is killed and
// restarted 10 times, PostgreSQL restarted 5 times and stopped twice for 10 s, 20 COMMIT
// replies are dropped, the link is slowed and cut, the broker is restarted 3 times, and each
// kind of poison record is produced. Exactly once: the audit must find nothing lost and
// nothing doubled, a killed service included (the log keeps what it had not applied).
// Run: harness run faults-kafka --kafka local   (a broker of the run's own, to restart)
import type { ScenarioOptions } from './engine/scenario-options.ts';

export const options: ScenarioOptions = {
  scenarios: {
    load: { executor: 'constant-arrival-rate', rate: 1000, timeUnit: '1s', duration: '4m' },
  },
  thresholds: {
    lost_increments: ['count==0'],
    doubled_increments: ['count==0'],
    lost_at_crash: ['count==0'],
  },
  harness: {
    transport: 'kafka',
    faults: [
      { at: '10s', every: '20s', times: 10, action: 'kill-service' },
      { at: '17s', every: '50s', times: 3, action: 'restart-postgres', mode: 'fast' },
      { at: '42s', every: '50s', times: 2, action: 'restart-postgres', mode: 'immediate' },
      { at: '150s', every: '40s', times: 2, action: 'stop-postgres', for: '10s' },
      { at: '5s', every: '9s', times: 20, action: 'drop-commit-reply' },
      { at: '60s', action: 'link-latency', ms: 200, for: '5s' },
      { at: '85s', action: 'link-reset' },
      { at: '30s', every: '70s', times: 3, action: 'restart-broker' },
      { at: '25s', action: 'poison', kind: 'nul-id' },
      { at: '45s', action: 'poison', kind: 'lone-surrogate' },
      { at: '65s', action: 'poison', kind: 'delta-overflow' },
      { at: '95s', action: 'poison', kind: 'progress-overflow' },
    ],
  },
};
