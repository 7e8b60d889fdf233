// The fault matrix over HTTP: 3 minutes at 1,000 events/s while the service is killed and
// restarted 10 times, PostgreSQL restarted 5 times (fast and immediate) and stopped twice for
// 10 s, 20 COMMIT replies are dropped, the link is slowed and cut, and each kind of poison
// event is sent. The audit judges it: nothing lost beyond what a killed service held in
// memory (lost_at_crash, reported apart), nothing doubled.
// Run: harness run faults-http   (needs the embedded PostgreSQL: the harness restarts it)
import type { ScenarioOptions } from './engine/scenario-options.ts';

export const options: ScenarioOptions = {
  scenarios: {
    load: { executor: 'constant-arrival-rate', rate: 1000, timeUnit: '1s', duration: '3m' },
  },
  thresholds: {
    lost_increments: ['count==0'],
    doubled_increments: ['count==0'],
  },
  harness: {
    transport: 'http',
    faults: [
      { at: '10s', every: '15s', times: 10, action: 'kill-service' },
      { at: '17s', every: '40s', times: 3, action: 'restart-postgres', mode: 'fast' },
      { at: '37s', every: '40s', times: 2, action: 'restart-postgres', mode: 'immediate' },
      { at: '115s', every: '30s', times: 2, action: 'stop-postgres', for: '10s' },
      { at: '5s', every: '7s', times: 20, action: 'drop-commit-reply' },
      { at: '50s', action: 'link-latency', ms: 200, for: '5s' },
      { at: '70s', action: 'link-reset' },
      { at: '20s', action: 'poison', kind: 'nul-id' },
      { at: '40s', action: 'poison', kind: 'lone-surrogate' },
      { at: '60s', action: 'poison', kind: 'delta-overflow' },
      { at: '80s', action: 'poison', kind: 'progress-overflow' },
    ],
  },
};
