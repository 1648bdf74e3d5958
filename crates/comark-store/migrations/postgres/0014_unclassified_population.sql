-- Every row of a CRM file lands (issue 11). A fourth built-in population, `unclassified`,
-- holds the accounts comark should not guess about (partners, resellers, competitors, the
-- press, "Other") and the rows whose population value nobody could read; each import keeps
-- how it read the values of its population column.
-- Kept in step with the sqlite folder: same tables, same columns.

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

ALTER TABLE accounts DROP CONSTRAINT accounts_population_check;
ALTER TABLE accounts ADD CONSTRAINT accounts_population_check
    CHECK (population IN ('customer','opportunity','prospect','unclassified'));

-- How a finished import read its population column: each value with its rows, how it was
-- read (blank, your reading, the CRM's standard value, unreadable) and the population the
-- rows went to. NULL for imports that finished before this version.
ALTER TABLE account_imports ADD COLUMN population_readings JSONB;
