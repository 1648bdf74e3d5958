-- Every key an account carries: all its registrable domains (space-separated) and its folded
-- name, so that matching meets a company by whichever key the other side has. Rows imported
-- before have neither; the matcher reads their old single key and folds their name.
ALTER TABLE accounts ADD COLUMN domains TEXT;
ALTER TABLE accounts ADD COLUMN name_key TEXT;

-- A match on the same name where one side has no website is of medium confidence. SQLite
-- cannot change a CHECK in place: the table is made again (it is derived data anyway).
CREATE TABLE account_matches_new (
    connection_id BLOB NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
    low_account_id BLOB NOT NULL,
    high_account_id BLOB NOT NULL,
    match_key TEXT NOT NULL,
    confidence TEXT NOT NULL CHECK (confidence IN ('high','medium','low')),
    manual BOOLEAN NOT NULL,
    PRIMARY KEY (connection_id, low_account_id, high_account_id)
);
INSERT INTO account_matches_new SELECT connection_id, low_account_id, high_account_id, match_key, confidence, manual
    FROM account_matches;
DROP TABLE account_matches;
ALTER TABLE account_matches_new RENAME TO account_matches;
