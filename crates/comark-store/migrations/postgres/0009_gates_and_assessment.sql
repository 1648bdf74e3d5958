-- Gate templates and the internal assessment.
--
-- An organization's template of the evidence its new partnerships' gates start with, per
-- stage; a stage without a row starts from comark's defaults, so resetting deletes the row.
-- Each item may name the part of the internal assessment that meets it (`fed_by`).
CREATE TABLE gate_templates (
    org_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    stage TEXT NOT NULL CHECK (stage IN ('awareness','knowledge','internal_assessment','partner_selection',
        'working_together','value_creation','staying_together')),
    items JSONB NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (org_id, stage)
);

-- The internal assessment ISO 44001 asks for before partner selection: every save is a new
-- version, so the history shows how the organization's answers moved.
CREATE TABLE internal_assessments (
    org_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    id UUID NOT NULL,
    version BIGINT NOT NULL,
    answers JSONB NOT NULL,
    saved_by TEXT NOT NULL,
    saved_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (org_id, id),
    UNIQUE (org_id, version)
);

-- A gate item the internal assessment meets once the named part of it is answered.
ALTER TABLE gate_items ADD COLUMN fed_by TEXT
    CHECK (fed_by IN ('drivers','vision_values','strengths','weaknesses','people','team','complete'));

-- The default items of the partnerships started so far are fed as new ones are.
UPDATE gate_items SET fed_by = 'drivers'
    WHERE stage = 'awareness' AND text = 'Business objectives for partnering are written down';
UPDATE gate_items SET fed_by = 'strengths'
    WHERE stage = 'knowledge' AND text = 'The value the partnership could create is estimated';
UPDATE gate_items SET fed_by = 'weaknesses'
    WHERE stage = 'knowledge' AND text = 'The risks of partnering are identified';
UPDATE gate_items SET fed_by = 'complete'
    WHERE stage = 'internal_assessment' AND text = 'The internal assessment of collaborative capability is done';
