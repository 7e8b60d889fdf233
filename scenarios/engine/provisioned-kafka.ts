/** A Kafka cluster a run can use, however it was obtained (scripts/kafka provides them). */
export interface ProvisionedKafka {
  readonly kind: 'brokers' | 'local' | 'testcontainers';
  readonly brokers: string[];
  /** A broker the harness runs on this machine can be restarted (fault scenarios). */
  readonly control?: { restart(): Promise<void>; pid(): Promise<number | undefined> };
  stop(): Promise<void>;
}
