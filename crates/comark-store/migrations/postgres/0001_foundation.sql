-- The foundation: organizations, people, sign-in, partner connections, tokens, audit and jobs.
-- Kept in step with the sqlite folder: same tables, same columns.

CREATE TABLE organizations (
    id UUID PRIMARY KEY,
    handle TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE users (
    id UUID PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    totp_secret TEXT,
    totp_enabled_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL,
    password_changed_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE recovery_codes (
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    used_at TIMESTAMPTZ,
    PRIMARY KEY (user_id, code_hash)
);

CREATE TABLE memberships (
    org_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('owner','admin','partner_manager','marketer','sales','executive')),
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (org_id, user_id)
);
CREATE INDEX memberships_by_user ON memberships (user_id);

CREATE TABLE invitations (
    org_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    id UUID NOT NULL,
    email TEXT,
    role TEXT NOT NULL CHECK (role IN ('owner','admin','partner_manager','marketer','sales','executive')),
    token_hash TEXT NOT NULL UNIQUE,
    invited_by UUID REFERENCES users(id) ON DELETE SET NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    accepted_at TIMESTAMPTZ,
    accepted_by UUID REFERENCES users(id) ON DELETE SET NULL,
    revoked_at TIMESTAMPTZ,
    PRIMARY KEY (org_id, id)
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    second_factor_pending BOOLEAN NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    user_agent TEXT,
    ip TEXT
);
CREATE INDEX sessions_by_user ON sessions (user_id);

CREATE TABLE password_resets (
    token_hash TEXT PRIMARY KEY,
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at TIMESTAMPTZ
);

CREATE TABLE sign_in_failures (
    throttle_key TEXT PRIMARY KEY,
    failures BIGINT NOT NULL,
    window_started_at TIMESTAMPTZ NOT NULL,
    locked_until TIMESTAMPTZ
);

CREATE TABLE api_tokens (
    id UUID PRIMARY KEY,
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    scope TEXT NOT NULL CHECK (scope IN ('read','write','admin')),
    created_at TIMESTAMPTZ NOT NULL,
    last_used_at TIMESTAMPTZ,
    expires_at TIMESTAMPTZ,
    revoked_at TIMESTAMPTZ
);
CREATE INDEX api_tokens_by_user ON api_tokens (user_id);

CREATE TABLE connections (
    id UUID PRIMARY KEY,
    requester_org_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    invitee_org_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    low_org_id UUID NOT NULL,
    high_org_id UUID NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending','accepted','declined','ended')),
    message TEXT,
    requested_by UUID REFERENCES users(id) ON DELETE SET NULL,
    created_at TIMESTAMPTZ NOT NULL,
    decided_at TIMESTAMPTZ,
    ended_at TIMESTAMPTZ,
    CHECK (requester_org_id <> invitee_org_id)
);
-- At most one open (pending or accepted) connection per pair of organizations, whoever asked.
CREATE UNIQUE INDEX connections_one_open_per_pair ON connections (low_org_id, high_org_id)
    WHERE status IN ('pending','accepted');
CREATE INDEX connections_by_requester ON connections (requester_org_id);
CREATE INDEX connections_by_invitee ON connections (invitee_org_id);

CREATE TABLE connection_links (
    org_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    id UUID NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_by UUID REFERENCES users(id) ON DELETE SET NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ,
    PRIMARY KEY (org_id, id)
);

CREATE TABLE audit_events (
    org_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    id UUID NOT NULL,
    occurred_at TIMESTAMPTZ NOT NULL,
    actor_user_id UUID,
    actor_label TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    details JSONB NOT NULL,
    ip TEXT,
    PRIMARY KEY (org_id, id)
);
CREATE INDEX audit_events_by_time ON audit_events (org_id, occurred_at, id);

CREATE TABLE jobs (
    id UUID PRIMARY KEY,
    kind TEXT NOT NULL,
    org_id UUID REFERENCES organizations(id) ON DELETE CASCADE,
    payload JSONB NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('queued','done','failed')),
    attempts BIGINT NOT NULL,
    max_attempts BIGINT NOT NULL,
    run_at TIMESTAMPTZ NOT NULL,
    locked_by TEXT,
    locked_until TIMESTAMPTZ,
    last_error TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ
);
CREATE INDEX jobs_ready ON jobs (status, run_at);
