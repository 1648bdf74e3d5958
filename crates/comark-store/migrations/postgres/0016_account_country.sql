-- The ISO code of the country an account's row names: two accounts of the same name in
-- different countries are not matched by name. Rows imported before have none, and are
-- matched as before.
ALTER TABLE accounts ADD COLUMN country TEXT;
