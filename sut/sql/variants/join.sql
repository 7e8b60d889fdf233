-- join: UPDATE ... FROM (SELECT ... FROM UNNEST(...)) joined on the primary key, the form the
-- service's published repository ships today (docs/production-system.md, "The three SQL forms"). The
-- arrays are unnested once and each row finds its own input through the join, so nothing
-- is looked up per row; the same-day daily rule keeps progress, status and completed_at.
-- Parameters: $1 user_ids, $2 goal_ids, $3 challenge_ids, $4 namespaces, $5 deltas,
-- $6 target_values, $7 is_daily (docs/production-system.md order).
UPDATE user_goal_progress AS p SET
    progress = CASE
        WHEN t.is_daily AND DATE(p.updated_at AT TIME ZONE 'UTC') = DATE(NOW() AT TIME ZONE 'UTC')
            THEN p.progress
        ELSE p.progress + t.delta
    END,
    status = CASE
        WHEN t.is_daily AND DATE(p.updated_at AT TIME ZONE 'UTC') = DATE(NOW() AT TIME ZONE 'UTC')
            THEN p.status
        WHEN p.progress + t.delta >= t.target_value THEN 'completed'
        ELSE 'in_progress'
    END,
    completed_at = CASE
        WHEN t.is_daily AND DATE(p.updated_at AT TIME ZONE 'UTC') = DATE(NOW() AT TIME ZONE 'UTC')
            THEN p.completed_at
        WHEN p.progress + t.delta >= t.target_value AND p.completed_at IS NULL THEN NOW()
        ELSE p.completed_at
    END,
    updated_at = NOW()
FROM (
    SELECT user_id, goal_id, challenge_id, namespace, delta, target_value, is_daily
    FROM UNNEST(
        $1::VARCHAR(100)[],
        $2::VARCHAR(100)[],
        $3::VARCHAR(100)[],
        $4::VARCHAR(100)[],
        $5::INT[],
        $6::INT[],
        $7::BOOLEAN[]
    ) AS u(user_id, goal_id, challenge_id, namespace, delta, target_value, is_daily)
) AS t
WHERE p.user_id = t.user_id
  AND p.goal_id = t.goal_id
  AND p.is_active
  AND p.status <> 'claimed'
