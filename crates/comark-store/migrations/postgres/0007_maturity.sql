-- The ecosystem co-marketing maturity assessments an organization answered: a level per
-- dimension with notes, kept so assessments can be compared over time.
CREATE TABLE maturity_assessments (
    org_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    id UUID NOT NULL,
    levels JSONB NOT NULL,
    notes JSONB NOT NULL,
    taken_by TEXT NOT NULL,
    taken_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (org_id, id)
);
