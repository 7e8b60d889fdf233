import type { Admin } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../lib/errors.ts';
import { ensureTopic } from './topic.ts';

/** Kafka's error for a topic a broker does not know yet, as kafkajs throws it. */
function protocolError(type: string): Error {
  return Object.assign(new Error('This server does not host this topic-partition'), { type });
}

/**
 * The three admin calls ensureTopic makes, answering metadata requests from a script: what a
 * broker answers while a new topic's metadata reaches its cache (no broker here: this is the
 * waiting logic, the Kafka integration tests run it against a real one).
 */
function scriptedAdmin(answers: (number[] | Error)[], topics: string[] = []) {
  const calls = { created: 0, metadata: 0 };
  const admin = {
    listTopics: () => Promise.resolve(topics),
    createTopics: () => {
      calls.created++;
      return Promise.resolve(true);
    },
    fetchTopicMetadata: () => {
      const answer = answers[Math.min(calls.metadata++, answers.length - 1)] as number[] | Error;
      if (answer instanceof Error) return Promise.reject(answer);
      return Promise.resolve({
        topics: [
          { name: 't', partitions: answer.map((leader, partitionId) => ({ partitionId, leader })) },
        ],
      });
    },
  };
  return { admin: admin as unknown as Admin, calls };
}

describe('ensureTopic', () => {
  it('waits while the broker does not know the new topic yet, or a partition has no leader', async () => {
    const { admin, calls } = scriptedAdmin([
      protocolError('UNKNOWN_TOPIC_OR_PARTITION'),
      protocolError('LEADER_NOT_AVAILABLE'),
      // kafkajs's own retries ran out on one: the Kafka error is its cause.
      Object.assign(new Error('Number of retries exceeded'), {
        cause: protocolError('UNKNOWN_TOPIC_OR_PARTITION'),
      }),
      [0, -1],
      [0, 0],
    ]);
    await ensureTopic(admin, 't', 2, 5000);
    expect(calls).toEqual({ created: 1, metadata: 5 });
  });

  it('an existing topic is not created again; another partition count is bad input', async () => {
    const { admin, calls } = scriptedAdmin([[0, 0, 0]], ['t']);
    await expect(ensureTopic(admin, 't', 2, 5000)).rejects.toBeInstanceOf(UsageError);
    expect(calls.created).toBe(0);
  });

  it('any other error is thrown at once', async () => {
    const { admin, calls } = scriptedAdmin([protocolError('TOPIC_AUTHORIZATION_FAILED')]);
    await expect(ensureTopic(admin, 't', 2, 5000)).rejects.toThrow(/does not host/);
    expect(calls.metadata).toBe(1);
  });

  it('gives up after its wait, saying what it last saw', async () => {
    const { admin } = scriptedAdmin([[0, -1]]);
    await expect(ensureTopic(admin, 't', 2, 300)).rejects.toThrow(
      /not ready 0\.3 s after it was created: 1 of 2 partitions without a leader/,
    );
  });
});
