import { createServer, type AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../lib/logger.ts';
import { UsageError } from '../../lib/errors.ts';
import { runHarness, runHarnessInProcess } from '../testing/run-harness.ts';
import { provisionKafka } from './provision-kafka.ts';

const silent = createLogger('silent');

describe('Kafka provisioning and the CLI (no broker needed)', () => {
  it('auto without a broker named: a UsageError saying how to start one', async () => {
    const error = await provisionKafka({ source: 'auto', logger: silent, env: {} }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toMatch(
      /KAFKA_BROKERS.*npm run kafka:start.*--kafka testcontainers/,
    );
  });

  it('--kafka-brokers wins over KAFKA_BROKERS, and a bad list names its source', async () => {
    // Two listeners stand in for brokers: provisioning only checks that something answers.
    const listeners = [createServer(), createServer()];
    const ports: number[] = [];
    for (const l of listeners) {
      await new Promise<void>((resolve) => l.listen(0, '127.0.0.1', resolve));
      ports.push((l.address() as AddressInfo).port);
    }
    try {
      const named = ports.map((p) => `127.0.0.1:${p}`);
      const kafka = await provisionKafka({
        source: 'auto',
        brokers: named.join(','),
        logger: silent,
        env: { KAFKA_BROKERS: '127.0.0.1:3' },
      });
      expect(kafka.brokers).toEqual(named);
    } finally {
      for (const l of listeners) l.close();
    }
    await expect(
      provisionKafka({ source: 'auto', logger: silent, env: { KAFKA_BROKERS: 'localhost' } }),
    ).rejects.toThrow(/KAFKA_BROKERS "localhost" is not a broker list; expected host:port/);
  });

  it('without a Docker engine, --kafka testcontainers says so and names the alternatives', async () => {
    const previous = process.env.DOCKER_HOST;
    process.env.DOCKER_HOST = 'unix:///nonexistent/docker.sock';
    try {
      const error = await provisionKafka({ source: 'testcontainers', logger: silent }).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(UsageError);
      expect((error as Error).message).toMatch(
        /--kafka testcontainers needs a running Docker engine.*\n.*KAFKA_BROKERS.*\n.*npm run kafka:start/,
      );
    } finally {
      if (previous === undefined) delete process.env.DOCKER_HOST;
      else process.env.DOCKER_HOST = previous;
    }
  });

  it.each([
    [['sut', '--source', 'kafka', '--no-database'], /--source kafka needs a database/],
    [['sut', '--source', 'kafka'], /Kafka transport: no broker named/],
    [
      ['sut', '--source', 'kafka', '--kafka', 'docker'],
      /--kafka "docker" is not one of auto, local, testcontainers/,
    ],
    [['simulate', '--sink', 'kafka', '--duration', '1s'], /Kafka transport: no broker named/],
    [['simulate', '--sink', 'kafka', '--compression', 'zstd'], /argument 'zstd' is invalid/],
    [
      ['sut', '--no-database', '--host', '999.1.1.1'],
      /999\.1\.1\.1 does not resolve to an address/,
    ],
    [['sut', '--no-database', '--host', ''], /--host is empty/],
    [['sut', '--no-database', '--host', '10.255.255.254'], /is not an address of this machine/],
    [['sut', '--source', 'kafka', '--kafka-brokers', '127.0.0.1:1'], /no broker answers/],
  ])(
    'bad input %j: one clear message before anything starts, exit code 2',
    async (args, message) => {
      const run = await runHarnessInProcess(args, { KAFKA_BROKERS: '', DATABASE_URL: '' });
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(message);
      expect(run.stderr).not.toMatch(/\n\s+at /);
      expect(run.stdout).not.toMatch(/listening on/);
    },
  );

  it('sut on a port another process holds: exit 2 naming the port, nothing started', async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const { port } = holder.address() as AddressInfo;
    try {
      const run = await runHarness(['sut', '--no-database', '--port', String(port)]);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(new RegExp(`port ${port} is in use on 127\\.0\\.0\\.1`));
      expect(run.stderr).not.toMatch(/\n\s+at /);
    } finally {
      holder.close();
    }
  });
});
