-- correlated: the seed's "current" BatchIncrementProgress (docs/the-analysis.md,
-- "Root Cause"), reconstructed whole from the production repository's UPSERT of that time,
-- narrowed to the UPDATE-only form of lazy materialization: rows must exist, claimed and
-- inactive rows are skipped. Every SET expression finds its input with a correlated
-- subquery over UNNEST keyed on goal_id alone (9 lookups per row), exactly as shipped.
--
-- Known divergences from the increment semantics (kept on purpose, shown by tests):
--  * the lookups match on goal_id only, so when one batch carries the same goal_id for two
--    players, both rows get the delta, target and daily flag of the first occurrence;
--  * a same-day daily increment recomputes status from the current progress (the seed's
--    combined query keeps the status), so a 'not_started' row becomes 'in_progress'.
-- Parameters: $1 user_ids, $2 goal_ids, $3 challenge_ids, $4 namespaces, $5 deltas,
-- $6 target_values, $7 is_daily (docs/production-system.md order).
UPDATE user_goal_progress SET
    progress = CASE
        WHEN (SELECT is_daily FROM UNNEST($7::BOOLEAN[], $2::VARCHAR(100)[]) AS u(is_daily, gid)
              WHERE u.gid = user_goal_progress.goal_id LIMIT 1) = true
             AND DATE(user_goal_progress.updated_at AT TIME ZONE 'UTC') = DATE(NOW() AT TIME ZONE 'UTC')
            THEN user_goal_progress.progress
        ELSE
            user_goal_progress.progress + (
                SELECT delta FROM UNNEST($5::INT[], $2::VARCHAR(100)[]) AS u(delta, gid)
                WHERE u.gid = user_goal_progress.goal_id LIMIT 1
            )
    END,
    status = CASE
        WHEN (SELECT is_daily FROM UNNEST($7::BOOLEAN[], $2::VARCHAR(100)[]) AS u(is_daily, gid)
              WHERE u.gid = user_goal_progress.goal_id LIMIT 1) = true
             AND DATE(user_goal_progress.updated_at AT TIME ZONE 'UTC') = DATE(NOW() AT TIME ZONE 'UTC') THEN
            CASE WHEN user_goal_progress.progress >= (
                SELECT target_value FROM UNNEST($6::INT[], $2::VARCHAR(100)[]) AS u(target_value, gid)
                WHERE u.gid = user_goal_progress.goal_id LIMIT 1
            ) THEN 'completed' ELSE 'in_progress' END
        ELSE
            CASE WHEN user_goal_progress.progress + (
                SELECT delta FROM UNNEST($5::INT[], $2::VARCHAR(100)[]) AS u(delta, gid)
                WHERE u.gid = user_goal_progress.goal_id LIMIT 1
            ) >= (
                SELECT target_value FROM UNNEST($6::INT[], $2::VARCHAR(100)[]) AS u(target_value, gid)
                WHERE u.gid = user_goal_progress.goal_id LIMIT 1
            ) THEN 'completed' ELSE 'in_progress' END
    END,
    completed_at = CASE
        WHEN (SELECT is_daily FROM UNNEST($7::BOOLEAN[], $2::VARCHAR(100)[]) AS u(is_daily, gid)
              WHERE u.gid = user_goal_progress.goal_id LIMIT 1) = true
             AND DATE(user_goal_progress.updated_at AT TIME ZONE 'UTC') = DATE(NOW() AT TIME ZONE 'UTC') THEN
            user_goal_progress.completed_at
        WHEN user_goal_progress.progress + (
            SELECT delta FROM UNNEST($5::INT[], $2::VARCHAR(100)[]) AS u(delta, gid)
            WHERE u.gid = user_goal_progress.goal_id LIMIT 1
        ) >= (
            SELECT target_value FROM UNNEST($6::INT[], $2::VARCHAR(100)[]) AS u(target_value, gid)
            WHERE u.gid = user_goal_progress.goal_id LIMIT 1
        ) AND user_goal_progress.completed_at IS NULL THEN
            NOW()
        ELSE
            user_goal_progress.completed_at
    END,
    updated_at = NOW()
WHERE (user_goal_progress.user_id, user_goal_progress.goal_id) IN (
        SELECT b.user_id, b.goal_id
        FROM UNNEST($1::VARCHAR(100)[], $2::VARCHAR(100)[], $3::VARCHAR(100)[], $4::VARCHAR(100)[])
             AS b(user_id, goal_id, challenge_id, namespace)
    )
  AND user_goal_progress.status != 'claimed'
  AND user_goal_progress.is_active = true
