import { describe, expect, it } from 'vitest';
import { createLogger } from '../lib/logger.ts';
import { UsageError } from '../lib/usage-error.ts';
import { runHarness } from '../testing/run-harness.ts';
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
    const kafka = await provisionKafka({
      source: 'auto',
      brokers: '127.0.0.1:1,127.0.0.1:2',
      logger: silent,
      env: { KAFKA_BROKERS: '127.0.0.1:3' },
    });
    expect(kafka.brokers).toEqual(['127.0.0.1:1', '127.0.0.1:2']);
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
      /--kafka "docker" is not one of auto, testcontainers/,
    ],
    [['simulate', '--sink', 'kafka', '--duration', '1s'], /Kafka transport: no broker named/],
    [['simulate', '--sink', 'kafka', '--compression', 'zstd'], /argument 'zstd' is invalid/],
  ])(
    'bad input %j: one clear message before anything starts, exit code 2',
    async (args, message) => {
      const run = await runHarness(args, { KAFKA_BROKERS: '', DATABASE_URL: '' });
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(message);
      expect(run.stderr).not.toMatch(/\n\s+at /);
      expect(run.stdout).not.toMatch(/listening on/);
    },
  );
});
