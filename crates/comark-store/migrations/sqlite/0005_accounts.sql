-- Account mapping: each organization's CRM accounts, its imports, custom populations and
-- saved column mappings; what it shares with each partner; and, per partner connection,
-- the computed matches and the corrections both sides see.

-- Custom populations, defined by a rule on imported fields. The built-in ones (customer,
-- opportunity, prospect) are not stored.
CREATE TABLE populations (
    org_id BLOB NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    slug TEXT NOT NULL,
    label TEXT NOT NULL,
    rule TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (org_id, slug)
);

-- Column mappings saved for the next import of the same kind of file.
CREATE TABLE column_mappings (
    org_id BLOB NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    mapping TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (org_id, name)
);

-- One upload of a CSV file and, once started, its progress and result.
CREATE TABLE account_imports (
    org_id BLOB NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    id BLOB NOT NULL,
    file_name TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('uploaded','queued','running','done','failed')),
    mode TEXT NOT NULL CHECK (mode IN ('update','replace')),
    strict BOOLEAN NOT NULL,
    encoding TEXT,
    mapping TEXT,
    idempotency_key TEXT,
    bytes_total INTEGER NOT NULL,
    bytes_done INTEGER NOT NULL,
    rows_read INTEGER NOT NULL,
    rows_imported INTEGER NOT NULL,
    rows_rejected INTEGER NOT NULL,
    rows_merged INTEGER NOT NULL,
    errors TEXT NOT NULL,
    failure TEXT,
    created_by BLOB REFERENCES users(id) ON DELETE SET NULL,
    created_at TEXT NOT NULL,
    started_at TEXT,
    finished_at TEXT,
    PRIMARY KEY (org_id, id)
);
CREATE UNIQUE INDEX account_imports_idempotency ON account_imports (org_id, idempotency_key);

-- The uploaded bytes, in order, so any instance's worker can read them.
CREATE TABLE import_chunks (
    org_id BLOB NOT NULL,
    import_id BLOB NOT NULL,
    seq INTEGER NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (org_id, import_id, seq),
    FOREIGN KEY (org_id, import_id) REFERENCES account_imports(org_id, id) ON DELETE CASCADE
);

CREATE TABLE accounts (
    org_id BLOB NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    id BLOB NOT NULL,
    crm_id TEXT NOT NULL,
    name TEXT NOT NULL,
    website TEXT,
    key_kind TEXT CHECK (key_kind IN ('domain','name')),
    match_key TEXT,
    population TEXT NOT NULL CHECK (population IN ('customer','opportunity','prospect')),
    fields TEXT NOT NULL,
    import_id BLOB,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (org_id, id),
    UNIQUE (org_id, crm_id)
);
CREATE INDEX accounts_by_key ON accounts (org_id, match_key);
CREATE INDEX accounts_by_name ON accounts (org_id, name);

-- A counter per organization that moves whenever its accounts change, so a mapping
-- knows whether it was computed from the current accounts.
CREATE TABLE account_books (
    org_id BLOB PRIMARY KEY REFERENCES organizations(id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    accounts INTEGER NOT NULL,
    updated_at TEXT NOT NULL
);

-- What an organization lets one partner see of one population.
CREATE TABLE sharing_policies (
    org_id BLOB NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    partner_org_id BLOB NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    population TEXT NOT NULL,
    level TEXT NOT NULL CHECK (level IN ('hidden','counts','overlaps','overlaps_with_fields')),
    fields TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (org_id, partner_org_id, population)
);

-- The last matching computed for a connection, and from which versions of both books.
CREATE TABLE mappings (
    connection_id BLOB PRIMARY KEY REFERENCES connections(id) ON DELETE CASCADE,
    low_version INTEGER NOT NULL,
    high_version INTEGER NOT NULL,
    matches INTEGER NOT NULL,
    computed_at TEXT NOT NULL
);

-- One account of the lower-id organization matched with one of the higher-id organization.
CREATE TABLE account_matches (
    connection_id BLOB NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
    low_account_id BLOB NOT NULL,
    high_account_id BLOB NOT NULL,
    match_key TEXT NOT NULL,
    confidence TEXT NOT NULL CHECK (confidence IN ('high','low')),
    manual BOOLEAN NOT NULL,
    PRIMARY KEY (connection_id, low_account_id, high_account_id)
);

-- A person's correction of a mapping: a match that is wrong, or a match the keys missed.
-- Both organizations of the connection see it.
CREATE TABLE match_corrections (
    connection_id BLOB NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
    id BLOB NOT NULL,
    org_id BLOB NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('wrong','manual')),
    match_key TEXT NOT NULL,
    account_id BLOB,
    note TEXT NOT NULL,
    created_by BLOB REFERENCES users(id) ON DELETE SET NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (connection_id, id)
);
