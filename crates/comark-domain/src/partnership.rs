//! Partnerships and their lifecycle: the eight stages of ISO 44001, the gate that lets a
//! partnership leave each stage, and who must approve the move.

use serde::{Deserialize, Serialize};

use crate::assessment::{Feed, TemplateItem};

/// A stage of a partnership's lifecycle, after ISO 44001.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Why partner at all: objectives and the sponsor.
    Awareness,
    /// What partnering could bring and what it risks.
    Knowledge,
    /// Whether we are able to collaborate: people, skills, maturity.
    InternalAssessment,
    /// Choosing the partner and agreeing joint objectives.
    PartnerSelection,
    /// Roles, rules of engagement and the exit strategy in place; the work starts.
    WorkingTogether,
    /// Measuring and improving the value created.
    ValueCreation,
    /// Reviewing the relationship and deciding to go on.
    StayingTogether,
    /// Disengaging as agreed.
    Exit,
}

impl Stage {
    /// Every stage, in lifecycle order.
    pub const ALL: [Stage; 8] = [
        Stage::Awareness,
        Stage::Knowledge,
        Stage::InternalAssessment,
        Stage::PartnerSelection,
        Stage::WorkingTogether,
        Stage::ValueCreation,
        Stage::StayingTogether,
        Stage::Exit,
    ];

    /// The stable name used in the database, the API and forms.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Awareness => "awareness",
            Stage::Knowledge => "knowledge",
            Stage::InternalAssessment => "internal_assessment",
            Stage::PartnerSelection => "partner_selection",
            Stage::WorkingTogether => "working_together",
            Stage::ValueCreation => "value_creation",
            Stage::StayingTogether => "staying_together",
            Stage::Exit => "exit",
        }
    }

    /// Reads a stable name.
    pub fn parse(raw: &str) -> Option<Stage> {
        Stage::ALL.into_iter().find(|s| s.as_str() == raw.trim())
    }

    /// What people call it.
    pub fn label(self) -> &'static str {
        match self {
            Stage::Awareness => "Awareness",
            Stage::Knowledge => "Knowledge",
            Stage::InternalAssessment => "Internal assessment",
            Stage::PartnerSelection => "Partner selection",
            Stage::WorkingTogether => "Working together",
            Stage::ValueCreation => "Value creation",
            Stage::StayingTogether => "Staying together",
            Stage::Exit => "Exit",
        }
    }

    /// The stage after this one; none after exit.
    pub fn next(self) -> Option<Stage> {
        let at = Stage::ALL.iter().position(|s| *s == self)?;
        Stage::ALL.get(at + 1).copied()
    }

    /// Whether moving on from this stage is a joint decision every member must approve.
    /// The first three stages are each organization's own groundwork; from choosing the
    /// partner on, the partners decide together.
    pub fn joint(self) -> bool {
        self >= Stage::PartnerSelection
    }

    /// The evidence a partnership needs before it leaves this stage, as comark proposes it.
    /// Members may add to it and remove from it.
    pub fn default_gate(self) -> &'static [&'static str] {
        match self {
            Stage::Awareness => &[
                "Business objectives for partnering are written down",
                "An executive sponsor is named",
            ],
            Stage::Knowledge => &[
                "The value the partnership could create is estimated",
                "The risks of partnering are identified",
            ],
            Stage::InternalAssessment => &[
                "The internal assessment of collaborative capability is done",
                "A partnership manager is named",
            ],
            Stage::PartnerSelection => &[
                "The partner's fit is reviewed",
                "Joint objectives are signed off by both sides",
            ],
            Stage::WorkingTogether => &[
                "Roles and responsibilities (RACI) are agreed",
                "Rules of engagement are agreed",
                "The exit strategy and disengagement triggers are agreed",
            ],
            Stage::ValueCreation => &[
                "Shared goals were measured for a full period",
                "Improvements are agreed from what was measured",
            ],
            Stage::StayingTogether => &[
                "The relationship was reviewed jointly",
                "The decision to continue or to exit is recorded",
            ],
            Stage::Exit => &[],
        }
    }

    /// The default gate as a template: each item with the part of the internal assessment
    /// that meets it, if any (see [`DEFAULT_FEEDS`]).
    pub fn default_template(self) -> Vec<TemplateItem> {
        self.default_gate()
            .iter()
            .map(|text| TemplateItem {
                text: (*text).to_owned(),
                fed_by: DEFAULT_FEEDS
                    .iter()
                    .find(|(stage, fed, _)| *stage == self && fed == text)
                    .map(|(_, _, feed)| *feed),
            })
            .collect()
    }
}

/// The default evidence the internal assessment meets: (stage, evidence, the part that meets it).
pub const DEFAULT_FEEDS: [(Stage, &str, Feed); 4] = [
    (
        Stage::Awareness,
        "Business objectives for partnering are written down",
        Feed::Drivers,
    ),
    (
        Stage::Knowledge,
        "The value the partnership could create is estimated",
        Feed::Strengths,
    ),
    (
        Stage::Knowledge,
        "The risks of partnering are identified",
        Feed::Weaknesses,
    ),
    (
        Stage::InternalAssessment,
        "The internal assessment of collaborative capability is done",
        Feed::Complete,
    ),
];

/// One piece of evidence of a gate, and whether it is met.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GateItem {
    /// What must be true.
    pub text: String,
    /// Whether a member marked it met.
    pub met: bool,
}

/// Why a partnership cannot leave its stage yet.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum GateRefusal {
    /// The last stage has no next one.
    #[error("exit is the last stage")]
    LastStage,
    /// Evidence is missing.
    #[error("the gate is not met: {}", .0.join("; "))]
    Open(Vec<String>),
}

/// What a member's request to move on leads to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Advance {
    /// The partnership moves to this stage.
    To(Stage),
    /// The request counts as this member's approval; others must approve too.
    Waiting {
        /// How many members have approved, with this one.
        approved: usize,
        /// How many members must.
        of: usize,
    },
}

/// Decides a member's request to leave `stage`: the gate must be met, and a joint stage
/// needs every member's approval (`approvals` counts distinct approving members, including
/// this request's).
pub fn advance(
    stage: Stage,
    gate: &[GateItem],
    approvals: usize,
    members: usize,
) -> Result<Advance, GateRefusal> {
    let next = stage.next().ok_or(GateRefusal::LastStage)?;
    let open: Vec<String> = gate
        .iter()
        .filter(|item| !item.met)
        .map(|item| item.text.clone())
        .collect();
    if !open.is_empty() {
        return Err(GateRefusal::Open(open));
    }
    if stage.joint() && approvals < members {
        return Ok(Advance::Waiting {
            approved: approvals,
            of: members,
        });
    }
    Ok(Advance::To(next))
}

/// How likely a risk is, or how much it would hurt.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RiskLevel {
    /// Unlikely, or a nuisance.
    Low,
    /// Possible, or a setback.
    Medium,
    /// Likely, or serious.
    High,
}

impl RiskLevel {
    /// Every level, lowest first.
    pub const ALL: [RiskLevel; 3] = [RiskLevel::Low, RiskLevel::Medium, RiskLevel::High];

    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            RiskLevel::Low => "low",
            RiskLevel::Medium => "medium",
            RiskLevel::High => "high",
        }
    }

    /// Reads a stable name.
    pub fn parse(raw: &str) -> Option<RiskLevel> {
        RiskLevel::ALL
            .into_iter()
            .find(|l| l.as_str() == raw.trim().to_lowercase())
    }

    fn weight(self) -> u8 {
        match self {
            RiskLevel::Low => 1,
            RiskLevel::Medium => 2,
            RiskLevel::High => 3,
        }
    }
}

/// A risk's severity: likelihood times impact, from 1 to 9, so a register sorts worst first.
pub fn risk_score(likelihood: RiskLevel, impact: RiskLevel) -> u8 {
    likelihood.weight() * impact.weight()
}

/// The risks most co-marketing partnerships share, with a first mitigation to adapt: the
/// starting list a register is offered.
pub const COMMON_RISKS: [(&str, &str); 6] = [
    (
        "Brand misalignment",
        "Agree brand usage rules and approve every co-branded asset on both sides",
    ),
    (
        "Partner not contributing",
        "Record commitments per side and review contribution against them monthly",
    ),
    (
        "Data-sharing exposure",
        "Share accounts at counts or overlaps only, and review sharing levels each quarter",
    ),
    (
        "Conflicting offers",
        "List each side's offers to shared accounts and agree who leads where",
    ),
    (
        "Over-contacting shared prospects",
        "Agree who may contact shared accounts and a joint contact limit",
    ),
    (
        "Key person leaving",
        "Name a deputy on each side and keep decisions in the partnership's history",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn gate(met: &[bool]) -> Vec<GateItem> {
        met.iter()
            .enumerate()
            .map(|(at, met)| GateItem {
                text: format!("item {at}"),
                met: *met,
            })
            .collect()
    }

    #[test]
    fn stages_run_in_the_iso_44001_order_and_names_round_trip() {
        let names: Vec<&str> = Stage::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(
            names,
            [
                "awareness",
                "knowledge",
                "internal_assessment",
                "partner_selection",
                "working_together",
                "value_creation",
                "staying_together",
                "exit"
            ]
        );
        for stage in Stage::ALL {
            assert_eq!(Stage::parse(stage.as_str()), Some(stage));
        }
        assert_eq!(Stage::Awareness.next(), Some(Stage::Knowledge));
        assert_eq!(Stage::Exit.next(), None);
        assert_eq!(Stage::parse("dating"), None);
    }

    #[test]
    fn an_open_gate_names_what_is_missing() {
        let refused = advance(Stage::Awareness, &gate(&[true, false]), 1, 2);
        assert_eq!(refused, Err(GateRefusal::Open(vec!["item 1".into()])));
    }

    #[test]
    fn groundwork_stages_move_on_one_member_and_joint_ones_wait_for_all() {
        assert_eq!(
            advance(Stage::Knowledge, &gate(&[true]), 1, 2),
            Ok(Advance::To(Stage::InternalAssessment))
        );
        assert_eq!(
            advance(Stage::PartnerSelection, &gate(&[true, true]), 1, 2),
            Ok(Advance::Waiting { approved: 1, of: 2 })
        );
        assert_eq!(
            advance(Stage::PartnerSelection, &gate(&[true, true]), 2, 2),
            Ok(Advance::To(Stage::WorkingTogether))
        );
        assert_eq!(advance(Stage::Exit, &[], 2, 2), Err(GateRefusal::LastStage));
    }

    #[test]
    fn the_worst_risks_score_highest() {
        assert_eq!(risk_score(RiskLevel::High, RiskLevel::High), 9);
        assert_eq!(risk_score(RiskLevel::Low, RiskLevel::High), 3);
        assert!(
            risk_score(RiskLevel::Medium, RiskLevel::Medium)
                > risk_score(RiskLevel::Low, RiskLevel::High)
        );
        assert_eq!(RiskLevel::parse(" High "), Some(RiskLevel::High));
        assert_eq!(RiskLevel::parse("severe"), None);
    }

    #[test]
    fn every_stage_but_exit_proposes_evidence() {
        for stage in Stage::ALL {
            assert_eq!(
                stage.default_gate().is_empty(),
                stage == Stage::Exit,
                "{stage:?}"
            );
        }
        assert!(Stage::PartnerSelection
            .default_gate()
            .contains(&"Joint objectives are signed off by both sides"));
    }

    #[test]
    fn the_default_gates_name_what_the_internal_assessment_meets() {
        let fed: Vec<(Stage, Feed)> = Stage::ALL
            .into_iter()
            .flat_map(|stage| {
                stage
                    .default_template()
                    .into_iter()
                    .filter_map(move |item| item.fed_by.map(|feed| (stage, feed)))
            })
            .collect();
        assert_eq!(
            fed,
            [
                (Stage::Awareness, Feed::Drivers),
                (Stage::Knowledge, Feed::Strengths),
                (Stage::Knowledge, Feed::Weaknesses),
                (Stage::InternalAssessment, Feed::Complete),
            ],
            "every default feed names a default item, at the first three gates"
        );
        assert_eq!(
            Stage::Awareness.default_template()[1],
            TemplateItem {
                text: "An executive sponsor is named".into(),
                fed_by: None
            }
        );
    }
}
