-- Every key an account carries: all its registrable domains (space-separated) and its folded
-- name, so that matching meets a company by whichever key the other side has. Rows imported
-- before have neither; the matcher reads their old single key and folds their name.
ALTER TABLE accounts ADD COLUMN domains TEXT;
ALTER TABLE accounts ADD COLUMN name_key TEXT;

-- A match on the same name where one side has no website is of medium confidence.
ALTER TABLE account_matches DROP CONSTRAINT account_matches_confidence_check;
ALTER TABLE account_matches ADD CONSTRAINT account_matches_confidence_check
    CHECK (confidence IN ('high','medium','low'));
