-- Partnerships: two or more organizations moving together through the ISO 44001 lifecycle,
-- with the evidence each stage's gate asks for, the members' approvals of joint moves, and
-- the history of who did what.

CREATE TABLE partnerships (
    id UUID PRIMARY KEY,
    -- The organization that started it; it sees the partnership as long as it exists, the
    -- others while they are connected to it.
    org_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    purpose TEXT NOT NULL,
    stage TEXT NOT NULL CHECK (stage IN ('awareness','knowledge','internal_assessment','partner_selection',
        'working_together','value_creation','staying_together','exit')),
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    -- Set when the partnership exits: the closing review and when.
    closing_review TEXT,
    exited_at TIMESTAMPTZ
);
CREATE INDEX partnerships_by_org ON partnerships (org_id);

CREATE TABLE partnership_members (
    partnership_id UUID NOT NULL REFERENCES partnerships(id) ON DELETE CASCADE,
    org_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    joined_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (partnership_id, org_id)
);
CREATE INDEX partnership_members_by_org ON partnership_members (org_id);

CREATE TABLE gate_items (
    partnership_id UUID NOT NULL REFERENCES partnerships(id) ON DELETE CASCADE,
    id UUID NOT NULL,
    stage TEXT NOT NULL,
    text TEXT NOT NULL,
    position INTEGER NOT NULL,
    met_by_org UUID REFERENCES organizations(id) ON DELETE SET NULL,
    met_by TEXT,
    met_at TIMESTAMPTZ,
    PRIMARY KEY (partnership_id, id)
);
CREATE INDEX gate_items_by_stage ON gate_items (partnership_id, stage, position);

CREATE TABLE stage_approvals (
    partnership_id UUID NOT NULL REFERENCES partnerships(id) ON DELETE CASCADE,
    stage TEXT NOT NULL,
    org_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    approved_by TEXT NOT NULL,
    approved_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (partnership_id, stage, org_id)
);

CREATE TABLE partnership_events (
    partnership_id UUID NOT NULL REFERENCES partnerships(id) ON DELETE CASCADE,
    id UUID NOT NULL,
    occurred_at TIMESTAMPTZ NOT NULL,
    org_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    actor TEXT NOT NULL,
    kind TEXT NOT NULL,
    stage TEXT NOT NULL,
    detail TEXT NOT NULL,
    PRIMARY KEY (partnership_id, id)
);

-- The risk register: what could go wrong, how likely and how bad, who watches it and how.
CREATE TABLE partnership_risks (
    partnership_id UUID NOT NULL REFERENCES partnerships(id) ON DELETE CASCADE,
    id UUID NOT NULL,
    title TEXT NOT NULL,
    likelihood TEXT NOT NULL CHECK (likelihood IN ('low','medium','high')),
    impact TEXT NOT NULL CHECK (impact IN ('low','medium','high')),
    owner_org UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    owner TEXT NOT NULL,
    mitigation TEXT NOT NULL,
    review_on DATE,
    closed_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (partnership_id, id)
);

-- Shared goals: a metric, a target over a period, the side that owns it, and its readings.
CREATE TABLE partnership_goals (
    partnership_id UUID NOT NULL REFERENCES partnerships(id) ON DELETE CASCADE,
    id UUID NOT NULL,
    metric TEXT NOT NULL,
    target DOUBLE PRECISION NOT NULL,
    unit TEXT NOT NULL,
    starts_on DATE NOT NULL,
    ends_on DATE NOT NULL,
    owner_org UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (partnership_id, id)
);

-- A goal's readings over time: each is the figure reached by that day.
CREATE TABLE goal_progress (
    partnership_id UUID NOT NULL,
    goal_id UUID NOT NULL,
    id UUID NOT NULL,
    value DOUBLE PRECISION NOT NULL,
    recorded_on DATE NOT NULL,
    note TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (partnership_id, id),
    FOREIGN KEY (partnership_id, goal_id) REFERENCES partnership_goals(partnership_id, id) ON DELETE CASCADE
);

-- What each member commits to contribute, per kind.
CREATE TABLE commitments (
    partnership_id UUID NOT NULL REFERENCES partnerships(id) ON DELETE CASCADE,
    org_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('budget','content_pieces','events','leads','audience_reach','hours')),
    amount DOUBLE PRECISION NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (partnership_id, org_id, kind)
);

-- What each member delivered.
CREATE TABLE contributions (
    partnership_id UUID NOT NULL REFERENCES partnerships(id) ON DELETE CASCADE,
    id UUID NOT NULL,
    org_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('budget','content_pieces','events','leads','audience_reach','hours')),
    amount DOUBLE PRECISION NOT NULL,
    delivered_on DATE NOT NULL,
    note TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (partnership_id, id)
);

-- The exit strategy agreed up front: notice, what happens to shared data, assets and
-- leads, and the disengagement triggers comark watches.
CREATE TABLE exit_strategies (
    partnership_id UUID PRIMARY KEY REFERENCES partnerships(id) ON DELETE CASCADE,
    notice_days BIGINT NOT NULL,
    data_handling TEXT NOT NULL CHECK (data_handling IN ('stop_sharing','keep_sharing')),
    assets TEXT NOT NULL,
    leads TEXT NOT NULL,
    triggers JSONB NOT NULL,
    agreed_by TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

-- Triggers that fired and still hold, so each warns once.
CREATE TABLE trigger_alerts (
    partnership_id UUID NOT NULL REFERENCES partnerships(id) ON DELETE CASCADE,
    trigger_key TEXT NOT NULL,
    reason TEXT NOT NULL,
    fired_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (partnership_id, trigger_key)
);

-- Breaches of the rules of engagement a member reported.
CREATE TABLE breach_reports (
    partnership_id UUID NOT NULL REFERENCES partnerships(id) ON DELETE CASCADE,
    id UUID NOT NULL,
    org_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    description TEXT NOT NULL,
    reported_by TEXT NOT NULL,
    reported_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (partnership_id, id)
);

-- The people each member names for the partnership's roles.
CREATE TABLE partnership_roles (
    partnership_id UUID NOT NULL REFERENCES partnerships(id) ON DELETE CASCADE,
    org_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    person TEXT NOT NULL,
    email TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (partnership_id, org_id, role)
);

-- Each member's part (R, A, C, I) in each activity area.
CREATE TABLE raci_assignments (
    partnership_id UUID NOT NULL REFERENCES partnerships(id) ON DELETE CASCADE,
    area TEXT NOT NULL,
    org_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    letters TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (partnership_id, area, org_id)
);

-- The rules of engagement, versioned: every change needs every member's approval again.
CREATE TABLE engagement_rules (
    partnership_id UUID PRIMARY KEY REFERENCES partnerships(id) ON DELETE CASCADE,
    rules JSONB NOT NULL,
    time_zones JSONB NOT NULL,
    version BIGINT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE engagement_approvals (
    partnership_id UUID NOT NULL REFERENCES partnerships(id) ON DELETE CASCADE,
    org_id UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    version BIGINT NOT NULL,
    approved_by TEXT NOT NULL,
    approved_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (partnership_id, org_id)
);
