-- The SQLite folder rebuilds `accounts` so that an organization's rows are stored together
-- (a recompute reads them all). PostgreSQL's heap keeps no such order and its index scans
-- read the heap in block order already, so nothing changes here; the version exists to keep
-- the two folders in step.
SELECT 1;
