import { afterAll, afterEach } from 'vitest';
import { stopHarnessRuns } from './run-harness.ts';

// A run whose test timed out must not go on beside the next test: the tests of a file share
// one database, and the next run would seed and audit a table the abandoned one still writes.
afterEach(stopHarnessRuns);
afterAll(stopHarnessRuns);
