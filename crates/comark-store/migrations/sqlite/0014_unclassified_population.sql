-- Every row of a CRM file lands (issue 11). A fourth built-in population, `unclassified`,
-- holds the accounts comark should not guess about (partners, resellers, competitors, the
-- press, "Other") and the rows whose population value nobody could read; each import keeps
-- how it read the values of its population column.
-- Kept in step with the postgres folder: same tables, same columns.

-- An organization that defined its own population called `unclassified` keeps it, under a
-- name that no longer clashes with the built-in one, and keeps what it shared of it.
UPDATE sharing_policies SET population = 'unclassified-custom'
WHERE population = 'unclassified'
  AND EXISTS (SELECT 1 FROM populations p
              WHERE p.org_id = sharing_policies.org_id AND p.slug = 'unclassified')
  AND NOT EXISTS (SELECT 1 FROM populations p
                  WHERE p.org_id = sharing_policies.org_id AND p.slug = 'unclassified-custom');
UPDATE populations SET slug = 'unclassified-custom'
WHERE slug = 'unclassified'
  AND NOT EXISTS (SELECT 1 FROM populations p
                  WHERE p.org_id = populations.org_id AND p.slug = 'unclassified-custom');

-- SQLite cannot change a CHECK constraint in place: the table is rebuilt with the same
-- columns, in the same order, and its indexes. No table references it.
CREATE TABLE accounts_with_unclassified (
    org_id BLOB NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    id BLOB NOT NULL,
    crm_id TEXT NOT NULL,
    name TEXT NOT NULL,
    website TEXT,
    key_kind TEXT CHECK (key_kind IN ('domain','name')),
    match_key TEXT,
    population TEXT NOT NULL CHECK (population IN ('customer','opportunity','prospect','unclassified')),
    fields TEXT NOT NULL,
    import_id BLOB,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (org_id, id),
    UNIQUE (org_id, crm_id)
);
INSERT INTO accounts_with_unclassified
    (org_id, id, crm_id, name, website, key_kind, match_key, population, fields, import_id, updated_at)
SELECT org_id, id, crm_id, name, website, key_kind, match_key, population, fields, import_id, updated_at
FROM accounts;
DROP TABLE accounts;
ALTER TABLE accounts_with_unclassified RENAME TO accounts;
CREATE INDEX accounts_by_key ON accounts (org_id, match_key);
CREATE INDEX accounts_by_name ON accounts (org_id, name);

-- How a finished import read its population column: each value with its rows, how it was
-- read (blank, your reading, the CRM's standard value, unreadable) and the population the
-- rows went to. NULL for imports that finished before this version.
ALTER TABLE account_imports ADD COLUMN population_readings TEXT;
