-- Failed sign-ins no longer lock an account: past a free allowance, each failure makes the
-- next attempt wait twice as long (`locked_until` is when it may come), and the count is
-- forgotten after a quiet spell since the last failure.
ALTER TABLE sign_in_failures ADD COLUMN last_failed_at TEXT;

-- An e-mailed link that lets its holder sign in with the right password past that wait.
-- Only the token's SHA-256 is stored; `job_id` is the job that made it, so a retried job
-- makes no second link.
CREATE TABLE sign_in_unlocks (
    token_hash TEXT PRIMARY KEY,
    user_id BLOB NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    job_id BLOB NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT
);
CREATE INDEX sign_in_unlocks_by_user ON sign_in_unlocks (user_id);

-- Reset links are now made by a job (the request does the same work for every address);
-- the job's id keeps a retry from making a second link.
ALTER TABLE password_resets ADD COLUMN job_id BLOB;
CREATE UNIQUE INDEX password_resets_by_job ON password_resets (job_id);
