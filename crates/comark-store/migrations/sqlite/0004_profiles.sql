-- Each organization's partner profile (audience, offerings, values, capabilities), as JSON,
-- and whether it is listed in the instance's directory.
CREATE TABLE profiles (
    org_id BLOB PRIMARY KEY REFERENCES organizations(id) ON DELETE CASCADE,
    profile TEXT NOT NULL,
    listed BOOLEAN NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX profiles_listed ON profiles (listed);
