-- Inbound partnership requests: each organization's public request form and vetting
-- checklist, the requests in its queue, their checks and history.

CREATE TABLE intake_settings (
    org_id BLOB PRIMARY KEY REFERENCES organizations(id) ON DELETE CASCADE,
    -- Whether the public form takes requests.
    open BOOLEAN NOT NULL,
    intro TEXT NOT NULL,
    -- JSON array of the vetting checklist's items.
    checklist TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE partnership_requests (
    org_id BLOB NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    id BLOB NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('new','vetting','accepted','declined','spam')),
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    company TEXT NOT NULL,
    website TEXT NOT NULL,
    -- The requester's organization when a signed-in member sent it (verified, not claimed).
    requester_org_id BLOB REFERENCES organizations(id) ON DELETE SET NULL,
    kind TEXT NOT NULL,
    audience TEXT NOT NULL,
    contribution TEXT NOT NULL,
    message TEXT NOT NULL,
    -- Why comark filed it as spam, if it did.
    spam_reason TEXT,
    assignee_id BLOB REFERENCES users(id) ON DELETE SET NULL,
    partnership_id BLOB REFERENCES partnerships(id) ON DELETE SET NULL,
    decision_note TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (org_id, id)
);
CREATE INDEX partnership_requests_by_status ON partnership_requests (org_id, status, created_at);

CREATE TABLE request_checks (
    org_id BLOB NOT NULL,
    request_id BLOB NOT NULL,
    item TEXT NOT NULL,
    verdict TEXT NOT NULL CHECK (verdict IN ('pending','pass','concern','fail')),
    note TEXT NOT NULL,
    checked_by TEXT NOT NULL,
    checked_at TEXT NOT NULL,
    PRIMARY KEY (org_id, request_id, item),
    FOREIGN KEY (org_id, request_id) REFERENCES partnership_requests(org_id, id) ON DELETE CASCADE
);

CREATE TABLE request_events (
    org_id BLOB NOT NULL,
    request_id BLOB NOT NULL,
    id BLOB NOT NULL,
    occurred_at TEXT NOT NULL,
    actor TEXT NOT NULL,
    kind TEXT NOT NULL,
    detail TEXT NOT NULL,
    PRIMARY KEY (org_id, request_id, id),
    FOREIGN KEY (org_id, request_id) REFERENCES partnership_requests(org_id, id) ON DELETE CASCADE
);

-- Keys this instance keeps for itself (for example, to sign the public form's tickets), shared
-- by every instance on the same database.
CREATE TABLE instance_secrets (
    name TEXT PRIMARY KEY,
    secret BLOB NOT NULL,
    created_at TEXT NOT NULL
);
