-- Reset links are now made by a job (the request does the same work for every address);
-- the job's id keeps a retry from making a second link.
ALTER TABLE password_resets ADD COLUMN job_id UUID;
CREATE UNIQUE INDEX password_resets_by_job ON password_resets (job_id);
