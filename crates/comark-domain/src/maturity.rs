//! The ecosystem co-marketing maturity matrix: six dimensions, three levels, each cell with
//! criteria a team can recognize, the next step from each level, and the levels comark can
//! suggest from what it already holds.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One dimension of co-marketing maturity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    /// Whom we market to together, and why.
    StrategyIcp,
    /// The story we tell together.
    ValueProposition,
    /// What we run together, and how repeatably.
    ProgramsPlays,
    /// How prospects move between partners.
    JourneysHandoffs,
    /// How we know it works.
    DataMeasurement,
    /// How we decide and keep the rhythm.
    GovernanceRhythm,
}

/// A maturity level, from one-off co-branding to ecosystem co-marketing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// One-off co-branding.
    OneOff,
    /// Coordinated partnerships.
    Coordinated,
    /// Ecosystem co-marketing.
    Ecosystem,
}

impl Level {
    /// Every level, lowest first.
    pub const ALL: [Level; 3] = [Level::OneOff, Level::Coordinated, Level::Ecosystem];

    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::OneOff => "one_off",
            Level::Coordinated => "coordinated",
            Level::Ecosystem => "ecosystem",
        }
    }

    /// Reads a stable name.
    pub fn parse(raw: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.as_str() == raw.trim())
    }

    /// What people call it.
    pub fn label(self) -> &'static str {
        match self {
            Level::OneOff => "One-off co-branding",
            Level::Coordinated => "Coordinated partnerships",
            Level::Ecosystem => "Ecosystem co-marketing",
        }
    }

    /// 1, 2 or 3, for charts and averages.
    pub fn number(self) -> u8 {
        match self {
            Level::OneOff => 1,
            Level::Coordinated => 2,
            Level::Ecosystem => 3,
        }
    }
}

impl Dimension {
    /// Every dimension, in the matrix's order.
    pub const ALL: [Dimension; 6] = [
        Dimension::StrategyIcp,
        Dimension::ValueProposition,
        Dimension::ProgramsPlays,
        Dimension::JourneysHandoffs,
        Dimension::DataMeasurement,
        Dimension::GovernanceRhythm,
    ];

    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Dimension::StrategyIcp => "strategy_icp",
            Dimension::ValueProposition => "value_proposition",
            Dimension::ProgramsPlays => "programs_plays",
            Dimension::JourneysHandoffs => "journeys_handoffs",
            Dimension::DataMeasurement => "data_measurement",
            Dimension::GovernanceRhythm => "governance_rhythm",
        }
    }

    /// Reads a stable name.
    pub fn parse(raw: &str) -> Option<Dimension> {
        Dimension::ALL
            .into_iter()
            .find(|d| d.as_str() == raw.trim())
    }

    /// What people call it.
    pub fn label(self) -> &'static str {
        match self {
            Dimension::StrategyIcp => "Strategy & ICP",
            Dimension::ValueProposition => "Value proposition",
            Dimension::ProgramsPlays => "Programs & plays",
            Dimension::JourneysHandoffs => "Journeys & handoffs",
            Dimension::DataMeasurement => "Data & measurement",
            Dimension::GovernanceRhythm => "Governance & rhythm",
        }
    }

    /// What an organization at `level` observes in this dimension.
    pub fn criteria(self, level: Level) -> &'static str {
        use Dimension::*;
        use Level::*;
        match (self, level) {
            (StrategyIcp, OneOff) => "Activities are driven by opportunistic asks; the ICP is barely aligned.",
            (StrategyIcp, Coordinated) => "Some shared ICP definition with key partners.",
            (StrategyIcp, Ecosystem) => "A clear, documented shared ICP and priority use cases across the ecosystem.",
            (ValueProposition, OneOff) => "Logos appear together, but the story feels disconnected.",
            (ValueProposition, Coordinated) => "Two-way joint narratives for select solutions.",
            (ValueProposition, Ecosystem) => "Multi-partner value stories that span strategy, technology and services.",
            (ProgramsPlays, OneOff) => "Isolated webinars or events with no follow-up pattern.",
            (ProgramsPlays, Coordinated) => "Recurring campaigns with a small set of partners.",
            (ProgramsPlays, Ecosystem) => "Reusable ecosystem plays orchestrated across regions, segments and routes to market.",
            (JourneysHandoffs, OneOff) => "Leads are passed informally; follow-up is inconsistent.",
            (JourneysHandoffs, Coordinated) => "Basic lead sharing and follow-up agreements.",
            (JourneysHandoffs, Ecosystem) => "Defined journeys, routing and SLAs that work across several partners and systems.",
            (DataMeasurement, OneOff) => "Success is judged by registrations and anecdotes.",
            (DataMeasurement, Coordinated) => "Some visibility into sourced pipeline by partner.",
            (DataMeasurement, Ecosystem) => "Shared dashboards showing pipeline, revenue and NRR across ecosystem plays.",
            (GovernanceRhythm, OneOff) => "No formal cadence; each activity stands alone.",
            (GovernanceRhythm, Coordinated) => "Quarterly planning with a few strategic partners.",
            (GovernanceRhythm, Ecosystem) => "Established councils and QBRs guide ecosystem-wide co-marketing strategy.",
        }
    }

    /// The concrete next step from `level`; `None` at the top.
    pub fn next_step(self, level: Level) -> Option<&'static str> {
        use Dimension::*;
        use Level::*;
        Some(match (self, level) {
            (_, Ecosystem) => return None,
            (StrategyIcp, OneOff) => "Write your ideal customer profile in your partner profile and compare it with your two most active partners' in the directory.",
            (StrategyIcp, Coordinated) => "Agree one shared ICP and two priority use cases with every partner in a play, and document them in the partnership.",
            (ValueProposition, OneOff) => "Write one joint narrative with your strongest partner: the customer's problem, what each side brings, the outcome.",
            (ValueProposition, Coordinated) => "Extend your best two-way story into a multi-partner one that covers strategy, technology and services.",
            (ProgramsPlays, OneOff) => "Turn your best one-off event into a recurring campaign with a follow-up sequence agreed in advance.",
            (ProgramsPlays, Coordinated) => "Codify a recurring campaign as a reusable play (assets, roles, rules) and invite more partners into it.",
            (JourneysHandoffs, OneOff) => "Agree with each active partner who follows up a shared lead, and how fast.",
            (JourneysHandoffs, Coordinated) => "Define routing rules and SLAs per partner, and a contact limit for shared prospects.",
            (DataMeasurement, OneOff) => "Map accounts with your partners and track the pipeline each partnership sources.",
            (DataMeasurement, Coordinated) => "Share dashboards of pipeline, revenue and NRR by play and partner, and review them together.",
            (GovernanceRhythm, OneOff) => "Run your main partnerships through agreed stage gates and hold a quarterly plan with each.",
            (GovernanceRhythm, Coordinated) => "Hold QBRs with every strategic partner and a partner council for ecosystem-wide decisions.",
        })
    }
}

/// An organization's answer: a level per dimension (unanswered dimensions are left out).
pub type Levels = BTreeMap<Dimension, Level>;

/// The average level over the answered dimensions, from 1 to 3; `None` when nothing is answered.
pub fn average(levels: &Levels) -> Option<f64> {
    if levels.is_empty() {
        return None;
    }
    let total: u32 = levels.values().map(|l| u32::from(l.number())).sum();
    Some(f64::from(total) / levels.len() as f64)
}

/// What comark already holds about an organization's co-marketing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Evidence {
    /// Its profile states an ICP (industries, sizes, regions or roles).
    pub icp_written: bool,
    /// Connected partners whose profiles share at least one industry with its ICP.
    pub partners_sharing_icp: usize,
    /// Partners with which it maps accounts and sees at least counts.
    pub mapped_partners: usize,
    /// Partnerships past partner selection (working together or later).
    pub governed_partnerships: usize,
    /// Partnerships whose rules of engagement, with lead ownership and hand-off written in,
    /// every member approved.
    pub handoff_agreements: usize,
}

/// A level comark suggests for a dimension, with the reason a person can check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Suggestion {
    /// The dimension.
    pub dimension: Dimension,
    /// The level the evidence supports.
    pub level: Level,
    /// Why.
    pub reason: String,
}

/// The levels the evidence supports. It never suggests more than the evidence shows: the
/// dimensions comark cannot see yet (plays, dashboards, QBRs) are left to people.
pub fn suggest(evidence: &Evidence) -> Vec<Suggestion> {
    let mut out = Vec::new();
    match (evidence.icp_written, evidence.partners_sharing_icp) {
        (true, n) if n >= 3 => out.push(Suggestion {
            dimension: Dimension::StrategyIcp,
            level: Level::Ecosystem,
            reason: format!("your profile states an ICP, and {n} connected partners sell to the same industries"),
        }),
        (true, n) if n >= 1 => out.push(Suggestion {
            dimension: Dimension::StrategyIcp,
            level: Level::Coordinated,
            reason: format!(
                "your profile states an ICP, and {n} connected {} to the same industries",
                if n == 1 { "partner sells" } else { "partners sell" }
            ),
        }),
        _ => {}
    }
    if evidence.mapped_partners >= 1 {
        out.push(Suggestion {
            dimension: Dimension::DataMeasurement,
            level: Level::Coordinated,
            reason: format!(
                "you map accounts with {} {}",
                evidence.mapped_partners,
                if evidence.mapped_partners == 1 {
                    "partner"
                } else {
                    "partners"
                }
            ),
        });
    }
    if evidence.handoff_agreements >= 1 {
        out.push(Suggestion {
            dimension: Dimension::JourneysHandoffs,
            level: Level::Coordinated,
            reason: format!(
                "lead ownership and hand-off are agreed in the rules of engagement of {} {}",
                evidence.handoff_agreements,
                if evidence.handoff_agreements == 1 {
                    "partnership"
                } else {
                    "partnerships"
                }
            ),
        });
    }
    if evidence.governed_partnerships >= 1 {
        out.push(Suggestion {
            dimension: Dimension::GovernanceRhythm,
            level: Level::Coordinated,
            reason: format!(
                "{} {} passed partner selection through agreed stage gates",
                evidence.governed_partnerships,
                if evidence.governed_partnerships == 1 {
                    "partnership has"
                } else {
                    "partnerships have"
                }
            ),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_cell_has_criteria_and_every_level_but_the_top_a_next_step() {
        for dimension in Dimension::ALL {
            for level in Level::ALL {
                assert!(!dimension.criteria(level).is_empty());
                assert_eq!(
                    dimension.next_step(level).is_none(),
                    level == Level::Ecosystem
                );
            }
            assert_eq!(Dimension::parse(dimension.as_str()), Some(dimension));
        }
        assert_eq!(
            Dimension::DataMeasurement.criteria(Level::OneOff),
            "Success is judged by registrations and anecdotes."
        );
    }

    #[test]
    fn the_average_counts_answered_dimensions_only() {
        let mut levels = Levels::new();
        assert_eq!(average(&levels), None);
        levels.insert(Dimension::StrategyIcp, Level::Ecosystem);
        levels.insert(Dimension::DataMeasurement, Level::OneOff);
        assert_eq!(average(&levels), Some(2.0));
    }

    #[test]
    fn suggestions_follow_the_evidence_and_no_further() {
        assert!(suggest(&Evidence::default()).is_empty());
        let some = suggest(&Evidence {
            icp_written: true,
            partners_sharing_icp: 1,
            mapped_partners: 2,
            governed_partnerships: 0,
            handoff_agreements: 1,
        });
        assert_eq!(
            some,
            vec![
                Suggestion {
                    dimension: Dimension::StrategyIcp,
                    level: Level::Coordinated,
                    reason: "your profile states an ICP, and 1 connected partner sells to the same industries".into(),
                },
                Suggestion {
                    dimension: Dimension::DataMeasurement,
                    level: Level::Coordinated,
                    reason: "you map accounts with 2 partners".into(),
                },
                Suggestion {
                    dimension: Dimension::JourneysHandoffs,
                    level: Level::Coordinated,
                    reason: "lead ownership and hand-off are agreed in the rules of engagement of 1 partnership".into(),
                },
            ]
        );
        // An ICP with nobody to share it is not coordination.
        assert!(suggest(&Evidence {
            icp_written: true,
            ..Evidence::default()
        })
        .is_empty());
        let wide = suggest(&Evidence {
            icp_written: true,
            partners_sharing_icp: 3,
            ..Evidence::default()
        });
        assert_eq!(wide[0].level, Level::Ecosystem);
    }
}
