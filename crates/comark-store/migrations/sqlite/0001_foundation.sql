-- The foundation: organizations, people, sign-in, partner connections, tokens, audit and jobs.
-- Kept in step with the postgres folder: same tables, same columns.

CREATE TABLE organizations (
    id BLOB PRIMARY KEY,
    handle TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE users (
    id BLOB PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    totp_secret TEXT,
    totp_enabled_at TEXT,
    created_at TEXT NOT NULL,
    password_changed_at TEXT NOT NULL
);

CREATE TABLE recovery_codes (
    user_id BLOB NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    used_at TEXT,
    PRIMARY KEY (user_id, code_hash)
);

CREATE TABLE memberships (
    org_id BLOB NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    user_id BLOB NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('owner','admin','partner_manager','marketer','sales','executive')),
    created_at TEXT NOT NULL,
    PRIMARY KEY (org_id, user_id)
);
CREATE INDEX memberships_by_user ON memberships (user_id);

CREATE TABLE invitations (
    org_id BLOB NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    id BLOB NOT NULL,
    email TEXT,
    role TEXT NOT NULL CHECK (role IN ('owner','admin','partner_manager','marketer','sales','executive')),
    token_hash TEXT NOT NULL UNIQUE,
    invited_by BLOB REFERENCES users(id) ON DELETE SET NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    accepted_at TEXT,
    accepted_by BLOB REFERENCES users(id) ON DELETE SET NULL,
    revoked_at TEXT,
    PRIMARY KEY (org_id, id)
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id BLOB NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    second_factor_pending BOOLEAN NOT NULL,
    created_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    user_agent TEXT,
    ip TEXT
);
CREATE INDEX sessions_by_user ON sessions (user_id);

CREATE TABLE password_resets (
    token_hash TEXT PRIMARY KEY,
    user_id BLOB NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT
);

CREATE TABLE sign_in_failures (
    throttle_key TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    window_started_at TEXT NOT NULL,
    locked_until TEXT
);

CREATE TABLE api_tokens (
    id BLOB PRIMARY KEY,
    user_id BLOB NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    scope TEXT NOT NULL CHECK (scope IN ('read','write','admin')),
    created_at TEXT NOT NULL,
    last_used_at TEXT,
    expires_at TEXT,
    revoked_at TEXT
);
CREATE INDEX api_tokens_by_user ON api_tokens (user_id);

CREATE TABLE connections (
    id BLOB PRIMARY KEY,
    requester_org_id BLOB NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    invitee_org_id BLOB NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    low_org_id BLOB NOT NULL,
    high_org_id BLOB NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending','accepted','declined','ended')),
    message TEXT,
    requested_by BLOB REFERENCES users(id) ON DELETE SET NULL,
    created_at TEXT NOT NULL,
    decided_at TEXT,
    ended_at TEXT,
    CHECK (requester_org_id <> invitee_org_id)
);
-- At most one open (pending or accepted) connection per pair of organizations, whoever asked.
CREATE UNIQUE INDEX connections_one_open_per_pair ON connections (low_org_id, high_org_id)
    WHERE status IN ('pending','accepted');
CREATE INDEX connections_by_requester ON connections (requester_org_id);
CREATE INDEX connections_by_invitee ON connections (invitee_org_id);

CREATE TABLE connection_links (
    org_id BLOB NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    id BLOB NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_by BLOB REFERENCES users(id) ON DELETE SET NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    revoked_at TEXT,
    PRIMARY KEY (org_id, id)
);

CREATE TABLE audit_events (
    org_id BLOB NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    id BLOB NOT NULL,
    occurred_at TEXT NOT NULL,
    actor_user_id BLOB,
    actor_label TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    details TEXT NOT NULL,
    ip TEXT,
    PRIMARY KEY (org_id, id)
);
CREATE INDEX audit_events_by_time ON audit_events (org_id, occurred_at, id);

CREATE TABLE jobs (
    id BLOB PRIMARY KEY,
    kind TEXT NOT NULL,
    org_id BLOB REFERENCES organizations(id) ON DELETE CASCADE,
    payload TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('queued','done','failed')),
    attempts INTEGER NOT NULL,
    max_attempts INTEGER NOT NULL,
    run_at TEXT NOT NULL,
    locked_by TEXT,
    locked_until TEXT,
    last_error TEXT,
    created_at TEXT NOT NULL,
    finished_at TEXT
);
CREATE INDEX jobs_ready ON jobs (status, run_at);
