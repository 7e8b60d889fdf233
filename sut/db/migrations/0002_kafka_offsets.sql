-- Where each Kafka partition's consumption stands, written in the same transaction as the
-- batch UPDATE that applied the events below next_offset (sut/sources/KAFKA.md).
-- next_offset NULL: the partition is claimed but nothing has been applied yet.
CREATE TABLE kafka_offsets (
  consumer_group VARCHAR(255) NOT NULL,
  topic          VARCHAR(255) NOT NULL,
  partition      INT NOT NULL,
  next_offset    BIGINT,
  updated_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer_group, topic, partition)
);
