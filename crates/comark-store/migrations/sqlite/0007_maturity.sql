-- The ecosystem co-marketing maturity assessments an organization answered: a level per
-- dimension with notes, kept so assessments can be compared over time.
CREATE TABLE maturity_assessments (
    org_id BLOB NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    id BLOB NOT NULL,
    levels TEXT NOT NULL,
    notes TEXT NOT NULL,
    taken_by TEXT NOT NULL,
    taken_at TEXT NOT NULL,
    PRIMARY KEY (org_id, id)
);
