-- Notice of exit: a member gives it with the closing review, and the exit takes effect once
-- the notice period agreed in the exit strategy has run (comark's watcher completes it).
ALTER TABLE partnerships ADD COLUMN exit_notice_by UUID REFERENCES organizations(id) ON DELETE SET NULL;
ALTER TABLE partnerships ADD COLUMN exit_notice_at TIMESTAMPTZ;
ALTER TABLE partnerships ADD COLUMN exit_effective_at TIMESTAMPTZ;
CREATE INDEX partnerships_exit_due ON partnerships (exit_effective_at);
