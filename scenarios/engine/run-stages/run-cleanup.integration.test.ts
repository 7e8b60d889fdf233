import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InterruptedError } from '../../../lib/errors.ts';
import { silentLogger } from '../../../lib/logger.ts';
import { findFreePort } from '../../../scripts/db/free-port.ts';
import { withDatabase } from '../../../scripts/db/with-database.ts';
import { kafkaForTests } from '../../../scripts/testing/kafka-test-support.ts';
import { createTestDatabase, type TestDatabase } from '../../../scripts/testing/test-database.ts';
import type { ProvisionedKafka } from '../provisioned-kafka.ts';
import { prepareScenario } from '../prepare-scenario.ts';
import { runScenario } from '../run-scenario.ts';
import { RUN_STAGES, type AfterStage, type RunStageName } from './run-stage.ts';

/**
 * Whichever stage of a run fails, or a Ctrl-C before the load, whatever the run started is
 * stopped: no process (service, generators, an embedded server and its watchdog), no
 * listening port or open socket, no temporary folder, no database session is left. Each
 * case fails one stage just after it finished, so that what the stage started is there to
 * be stopped, and reads what is left as soon as the run has thrown.
 */

const broker = await kafkaForTests();
let db: TestDatabase;
let ownTmp: string;
const saved = { tmp: process.env.TMPDIR, url: process.env.DATABASE_URL };

beforeAll(async () => {
  db = await createTestDatabase();
  // Every temporary folder the run (and its children) makes lands here, where none is
  // another test's.
  ownTmp = mkdtempSync(join(tmpdir(), 'harness-cleanup-test-'));
  // An embedded server run as root runs as the postgres account, which must reach its folder.
  chmodSync(ownTmp, 0o755);
  process.env.TMPDIR = ownTmp;
  process.env.DATABASE_URL = db.url;
});

afterAll(async () => {
  restore('TMPDIR', saved.tmp);
  restore('DATABASE_URL', saved.url);
  rmSync(ownTmp, { recursive: true, force: true });
  await db.drop();
});

function restore(key: string, value: string | undefined): void {
  if (value === undefined) Reflect.deleteProperty(process.env, key);
  else process.env[key] = value;
}

const LINK_FAULT = [{ at: '1s', action: 'link-latency', ms: 5, for: '500ms' }] as const;

function scenario(harness: Record<string, unknown>) {
  return prepareScenario('stage-cleanup', {
    scenarios: { load: { executor: 'constant-arrival-rate', rate: 40, duration: '2s' } },
    harness: { players: 120, goals: 10, flushIntervalMs: 100, ...harness },
  });
}

/** Processes below this one, with their command lines. */
function descendants(): Map<number, string> {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The command name is in parentheses and may hold spaces: the fields after it are fixed.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] !== 'Z') parents.set(Number(entry), Number(fields[1]));
    } catch {
      // It ended while the list was read.
    }
  }
  const found = new Map<number, string>();
  const walk = (pid: number) => {
    for (const [child, parent] of parents)
      if (parent === pid && !found.has(child)) {
        let command = '';
        try {
          command = readFileSync(`/proc/${child}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
        } catch {
          // Gone since.
        }
        found.set(child, command);
        walk(child);
      }
  };
  walk(process.pid);
  return found;
}

/** Open TCP servers and sockets of this process, by kind. */
function openHandles(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo())
    if (kind === 'TCPServerWrap' || kind === 'TCPSocketWrap')
      counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
}

async function otherSessions(): Promise<string[]> {
  const { rows } = await db.client.query<{ who: string }>(
    `SELECT coalesce(application_name, '') || ' ' || coalesce(state, '') AS who
       FROM pg_stat_activity
      WHERE datname = current_database() AND pid <> pg_backend_pid()`,
  );
  return rows.map((r) => r.who);
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => {
      resolve(false);
    });
  });
}

interface Leftovers {
  readonly processes: string[];
  readonly handles: Record<string, number>;
  readonly temporary: string[];
  readonly sessions: string[];
  readonly servicePort: boolean;
}

async function leftovers(before: {
  processes: Map<number, string>;
  handles: Record<string, number>;
  port: number;
}): Promise<Leftovers> {
  const read = async (): Promise<Leftovers> => ({
    processes: [...descendants()].filter(([pid]) => !before.processes.has(pid)).map(([, c]) => c),
    handles: Object.fromEntries(
      Object.entries(openHandles()).filter(([k, n]) => n > (before.handles[k] ?? 0)),
    ),
    // tsx keeps its compile cache there (tsx-<uid>) for every later process: not the run's.
    temporary: readdirSync(ownTmp).filter((name) => !name.startsWith('tsx-')),
    sessions: await otherSessions(),
    servicePort: await listening(before.port),
  });
  // A process just signalled, a socket just closed, a backend just told: a moment to go.
  // (The embedded server's watchdog looks twice a second.)
  const clean = (l: Leftovers) =>
    l.processes.length === 0 &&
    Object.keys(l.handles).length === 0 &&
    l.temporary.length === 0 &&
    l.sessions.length === 0 &&
    !l.servicePort;
  let now = await read();
  for (let i = 0; i < 30 && !clean(now); i++) {
    await new Promise((r) => setTimeout(r, 200));
    now = await read();
  }
  return now;
}

const NOTHING_LEFT: Leftovers = {
  processes: [],
  handles: {},
  temporary: [],
  sessions: [],
  servicePort: false,
};

class PlantedFailure extends Error {
  constructor(readonly stage: RunStageName) {
    super(`planted failure after stage ${stage}`);
  }
}

/**
 * One run on the test database (or an embedded server of its own) that `afterStage` breaks;
 * answers what the run threw and what it left.
 */
async function brokenRun(input: {
  readonly harness: Record<string, unknown>;
  readonly afterStage: (controller: AbortController) => AfterStage;
  readonly generators?: number;
  readonly db?: 'url' | 'embedded';
  readonly kafka?: ProvisionedKafka;
}): Promise<{ error: unknown; left: Leftovers; reached: RunStageName[] }> {
  const port = await findFreePort();
  const before = { processes: descendants(), handles: openHandles(), port };
  const { options, settings } = scenario(input.harness);
  const controller = new AbortController();
  const reached: RunStageName[] = [];
  const hook = input.afterStage(controller);
  let error: unknown;
  try {
    await withDatabase(
      {
        source: input.db ?? 'url',
        logger: silentLogger,
        createPostgresUser: process.env.HARNESS_CREATE_POSTGRES_USER === '1',
      },
      ({ database, client, schema, table }) =>
        runScenario(
          {
            client,
            database,
            schema,
            table,
            ...(input.kafka === undefined ? {} : { kafka: input.kafka }),
          },
          options,
          settings,
          silentLogger,
          controller.signal,
          {
            sutPort: port,
            generators: input.generators ?? 1,
            afterStage: async (stage) => {
              reached.push(stage);
              await hook(stage);
            },
          },
        ),
    );
  } catch (e) {
    error = e;
  }
  return { error, left: await leftovers(before), reached };
}

const failAt =
  (target: RunStageName): ((c: AbortController) => AfterStage) =>
  () =>
  (stage) => {
    if (stage === target) throw new PlantedFailure(stage);
  };

describe('a run that fails at any stage stops everything it started', () => {
  // Over HTTP with a link fault and two generator processes: every stage starts something
  // but the event sink and the fault producer, which the next cases cover.
  for (const stage of RUN_STAGES)
    it(`fails after ${stage}: nothing is left`, async () => {
      const { error, left, reached } = await brokenRun({
        harness: { faults: LINK_FAULT },
        generators: 2,
        afterStage: failAt(stage),
      });
      expect(error).toBeInstanceOf(PlantedFailure);
      expect(reached.at(-1)).toBe(stage);
      expect(left).toEqual(NOTHING_LEFT);
    });

  it('fails after the HTTP event sink and after the load it drove: nothing is left', async () => {
    for (const stage of ['event-sink', 'load'] as const) {
      const { error, left } = await brokenRun({ harness: {}, afterStage: failAt(stage) });
      expect(error, stage).toBeInstanceOf(PlantedFailure);
      expect(left, stage).toEqual(NOTHING_LEFT);
    }
  });

  it('fails after the database server it started (embedded): the server and its folder are gone', async () => {
    const { error, left } = await brokenRun({
      harness: {},
      db: 'embedded',
      afterStage: failAt('seed'),
    });
    expect(error).toBeInstanceOf(PlantedFailure);
    expect(left).toEqual(NOTHING_LEFT);
  });

  it('Ctrl-C before the load: the run ends there, interrupted, and nothing is left', async () => {
    const { error, left, reached } = await brokenRun({
      harness: { faults: LINK_FAULT },
      generators: 2,
      afterStage: (controller) => (stage) => {
        if (stage === 'services') controller.abort();
      },
    });
    expect(error).toBeInstanceOf(InterruptedError);
    expect((error as Error).message).toContain('at stage event-sink');
    expect(reached).toEqual(['seed', 'link-proxy', 'services']);
    expect(left).toEqual(NOTHING_LEFT);
  });
});

describe.skipIf(broker.skip !== undefined)('a Kafka run that fails at any stage', () => {
  const kafka: ProvisionedKafka = {
    kind: 'brokers',
    brokers: broker.skip === undefined ? broker.brokers : [],
    stop: () => Promise.resolve(),
  };
  it('fails after the services, the Kafka sink, the fault producer and the drain: nothing is left', async () => {
    for (const stage of ['services', 'event-sink', 'fault-producer', 'drain'] as const) {
      const { error, left } = await brokenRun({
        harness: { transport: 'kafka' },
        kafka,
        afterStage: failAt(stage),
      });
      expect(error, stage).toBeInstanceOf(PlantedFailure);
      expect(left, stage).toEqual(NOTHING_LEFT);
    }
  });
});
