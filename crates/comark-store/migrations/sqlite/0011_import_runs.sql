-- Who runs an import and when it last gave a sign of life, so an import whose process died
-- is failed or restarted visibly instead of showing "running" for ever.
ALTER TABLE account_imports ADD COLUMN job_id BLOB;
ALTER TABLE account_imports ADD COLUMN heartbeat_at TEXT;
ALTER TABLE account_imports ADD COLUMN note TEXT;
CREATE INDEX account_imports_unfinished ON account_imports (status, heartbeat_at);
