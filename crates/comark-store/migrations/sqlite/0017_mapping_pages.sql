-- A mapping's counts, computed with its matches (JSON of `MappingSummary`): either side's
-- matrix is read from it under any sharing policy without loading a million matches. NULL
-- until the next recompute (a population changed, or the mapping predates it); the view
-- then counts the matches once.
ALTER TABLE mappings ADD COLUMN summary TEXT;

-- The shared accounts are listed a page at a time by the viewer's account name, and the
-- higher organization's side finds its matches by its own account.
CREATE INDEX accounts_by_sort_name ON accounts (org_id, lower(name));
CREATE INDEX account_matches_by_high ON account_matches (connection_id, high_account_id);
