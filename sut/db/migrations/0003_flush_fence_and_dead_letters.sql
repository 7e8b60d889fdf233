-- What makes a flush safe to retry, and where the increments the database refuses go.
--
-- flush_fence: one row per (service instance, partition) holding the last flush sequence
-- number applied. A flush claims its number in its own transaction (claim_flush below); a
-- retry of a flush whose COMMIT reply was lost finds its number taken and applies nothing
-- (sut/README.md, "Faults"). While the first attempt's transaction is still open, the retry
-- waits on the row lock, so it can never slip in beside it.
CREATE TABLE flush_fence (
  instance_id UUID        NOT NULL,
  partition   INT         NOT NULL,
  last_seq    BIGINT      NOT NULL,
  updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (instance_id, partition)
);

-- SQLSTATE HF001: this flush was applied before (its retry must apply nothing).
CREATE FUNCTION claim_flush(p_instance UUID, p_partition INT, p_seq BIGINT) RETURNS void
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  INSERT INTO flush_fence (instance_id, partition, last_seq)
  VALUES (p_instance, p_partition, p_seq)
  ON CONFLICT (instance_id, partition) DO UPDATE
    SET last_seq = EXCLUDED.last_seq, updated_at = now()
    WHERE flush_fence.last_seq < EXCLUDED.last_seq;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'flush % of partition % was applied before', p_seq, p_partition
      USING ERRCODE = 'HF001';
  END IF;
END $$;

-- The Kafka transport's fence: moves a partition's stored offset from the one the consumer
-- expects to the flush's next offset. HF001: it already stands at the flush's next offset
-- (this very flush, whose COMMIT reply was lost, or another owner that applied the same
-- records). HF002: it stands elsewhere (another owner moved it): the buffer is stale.
CREATE FUNCTION advance_offset(
  p_group VARCHAR, p_topic VARCHAR, p_partition INT, p_expected BIGINT, p_next BIGINT
) RETURNS void
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
  v_found BOOLEAN;
  v_stored BIGINT;
BEGIN
  UPDATE kafka_offsets SET next_offset = p_next, updated_at = now()
   WHERE consumer_group = p_group AND topic = p_topic AND partition = p_partition
     AND next_offset IS NOT DISTINCT FROM p_expected;
  IF FOUND THEN RETURN; END IF;
  SELECT true, next_offset INTO v_found, v_stored FROM kafka_offsets
   WHERE consumer_group = p_group AND topic = p_topic AND partition = p_partition;
  IF v_found AND v_stored = p_next THEN
    RAISE EXCEPTION 'offset % of partition % was applied before', p_next, p_partition
      USING ERRCODE = 'HF001';
  END IF;
  RAISE EXCEPTION 'partition %: stored offset is %, expected %', p_partition,
    CASE WHEN v_found THEN coalesce(v_stored::text, 'null') ELSE 'missing' END,
    coalesce(p_expected::text, 'null')
    USING ERRCODE = 'HF002',
          DETAIL = CASE WHEN v_found THEN coalesce(v_stored::text, 'null') ELSE 'missing' END;
END $$;

-- Increments the database refused for their own content (a progress that would pass INT, a
-- value the table's checks reject): set aside by the flush that met them, in its own
-- transaction, so the rest of the partition goes on.
CREATE TABLE dead_letters (
  id           BIGSERIAL   PRIMARY KEY,
  created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
  transport    TEXT        NOT NULL,
  partition    INT         NOT NULL,
  user_id      TEXT        NOT NULL,
  goal_id      TEXT        NOT NULL,
  challenge_id TEXT        NOT NULL,
  namespace    TEXT        NOT NULL,
  delta        BIGINT      NOT NULL,
  target_value INT         NOT NULL,
  is_daily     BOOLEAN     NOT NULL,
  sqlstate     TEXT,
  problem      TEXT        NOT NULL
);
