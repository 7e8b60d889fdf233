-- user_goal_progress as the production service defines it (docs/production-system.md, "The table").
-- Rows exist only for goals assigned to a player; is_active = false rows are
-- assigned-but-inactive and must never move.
CREATE TABLE user_goal_progress (
    user_id      VARCHAR(100) NOT NULL,
    goal_id      VARCHAR(100) NOT NULL,
    challenge_id VARCHAR(100) NOT NULL,
    namespace    VARCHAR(100) NOT NULL,
    progress     INT          NOT NULL DEFAULT 0,
    status       VARCHAR(20)  NOT NULL DEFAULT 'not_started',
    completed_at TIMESTAMP    NULL,
    claimed_at   TIMESTAMP    NULL,
    created_at   TIMESTAMP    NOT NULL DEFAULT NOW(),
    updated_at   TIMESTAMP    NOT NULL DEFAULT NOW(),
    is_active    BOOLEAN      NOT NULL DEFAULT true,
    assigned_at  TIMESTAMP    NULL,
    expires_at   TIMESTAMP    NULL,
    PRIMARY KEY (user_id, goal_id),
    CONSTRAINT check_status CHECK (status IN ('not_started', 'in_progress', 'completed', 'claimed')),
    CONSTRAINT check_progress_non_negative CHECK (progress >= 0),
    CONSTRAINT check_claimed_implies_completed CHECK (claimed_at IS NULL OR completed_at IS NOT NULL)
);

-- The production indexes, redundant ones included: they cost on every UPDATE, so a
-- faithful measurement keeps them.
CREATE INDEX idx_user_goal_progress_user_challenge ON user_goal_progress (user_id, challenge_id);
CREATE INDEX idx_user_goal_progress_user ON user_goal_progress (user_id);
CREATE INDEX idx_user_goal_progress_user_goal ON user_goal_progress (user_id, goal_id);
CREATE INDEX idx_user_goal_progress_user_active ON user_goal_progress (user_id, is_active) WHERE is_active;
CREATE INDEX idx_user_goal_progress_user_active_only ON user_goal_progress (user_id) WHERE is_active;
