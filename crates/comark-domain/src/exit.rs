//! The exit strategy agreed up front: disengagement triggers comark watches, and what
//! happens to shared data, assets and leads when a partnership ends.

use serde::{Deserialize, Serialize};

use crate::goals::GoalStatus;

/// A condition on which the partners agreed to reconsider, and maybe end, the partnership.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Trigger {
    /// A shared goal is off track.
    GoalOffTrack,
    /// A member delivered less than `percent` of what it committed.
    ContributionBelow {
        /// The share of the commitment, 1 to 100.
        percent: u8,
    },
    /// The relationship's health fell below `score`.
    HealthBelow {
        /// 1 to 100.
        score: u8,
    },
    /// A member reported a breach of the rules of engagement.
    Breach,
}

impl Trigger {
    /// A stable key, one per trigger, for remembering which ones fired.
    pub fn key(&self) -> String {
        match self {
            Trigger::GoalOffTrack => "goal_off_track".into(),
            Trigger::ContributionBelow { percent } => format!("contribution_below_{percent}"),
            Trigger::HealthBelow { score } => format!("health_below_{score}"),
            Trigger::Breach => "breach".into(),
        }
    }

    /// The trigger in words.
    pub fn describe(&self) -> String {
        match self {
            Trigger::GoalOffTrack => "a shared goal is off track".into(),
            Trigger::ContributionBelow { percent } => {
                format!("a member delivers less than {percent}% of its commitment")
            }
            Trigger::HealthBelow { score } => format!("the health score falls below {score}"),
            Trigger::Breach => "a breach of the rules of engagement is reported".into(),
        }
    }

    /// The trigger of kind `kind` (goal_off_track, contribution_below, health_below, breach);
    /// `figure` is asked for the number of the kinds that take one, by its name ("percent" or
    /// "score"); an unreadable number should be 0, which `is_valid` refuses. `None` for an
    /// unknown kind.
    pub fn of_kind(kind: &str, figure: impl FnOnce(&str) -> u8) -> Option<Trigger> {
        match kind.trim() {
            "goal_off_track" => Some(Trigger::GoalOffTrack),
            "contribution_below" => Some(Trigger::ContributionBelow {
                percent: figure("percent"),
            }),
            "health_below" => Some(Trigger::HealthBelow {
                score: figure("score"),
            }),
            "breach" => Some(Trigger::Breach),
            _ => None,
        }
    }

    /// Reads a trigger written as its kind with its number after a colon or equals sign:
    /// "goal_off_track", "contribution_below:50", "health_below=40", "breach". A missing or
    /// unreadable number reads as 0, which `is_valid` refuses; `None` for an unknown kind.
    pub fn parse(raw: &str) -> Option<Trigger> {
        let (kind, number) = raw.split_once([':', '=']).unwrap_or((raw, ""));
        Trigger::of_kind(kind, |_| number.trim().parse().unwrap_or(0))
    }

    /// Whether the numbers make sense (percentages and scores from 1 to 100).
    pub fn is_valid(&self) -> bool {
        match self {
            Trigger::ContributionBelow { percent } => (1..=100).contains(percent),
            Trigger::HealthBelow { score } => (1..=100).contains(score),
            _ => true,
        }
    }
}

/// What the triggers are checked against.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Situation {
    /// Each goal's name and status.
    pub goals: Vec<(String, GoalStatus)>,
    /// Each member's name and the share of its commitments it delivered, when it committed.
    pub delivered: Vec<(String, f64)>,
    /// The health score, when there is data for one.
    pub health: Option<u8>,
    /// Breaches reported so far (their descriptions).
    pub breaches: Vec<String>,
}

/// The triggers that hold in `situation`, each with the fact that fired it.
pub fn fired(triggers: &[Trigger], situation: &Situation) -> Vec<(Trigger, String)> {
    let mut out = Vec::new();
    for trigger in triggers {
        let reason = match trigger {
            Trigger::GoalOffTrack => situation
                .goals
                .iter()
                .find(|(_, status)| *status == GoalStatus::OffTrack)
                .map(|(goal, _)| format!("the goal \"{goal}\" is off track")),
            Trigger::ContributionBelow { percent } => situation
                .delivered
                .iter()
                .find(|(_, share)| *share * 100.0 < f64::from(*percent))
                .map(|(side, share)| {
                    format!(
                        "{side} delivered {:.0}% of its commitment (the trigger is {percent}%)",
                        share * 100.0
                    )
                }),
            Trigger::HealthBelow { score } => situation
                .health
                .filter(|health| health < score)
                .map(|health| format!("the health score is {health} (the trigger is {score})")),
            Trigger::Breach => situation
                .breaches
                .last()
                .map(|breach| format!("a breach was reported: {breach}")),
        };
        if let Some(reason) = reason {
            out.push((*trigger, reason));
        }
    }
    out
}

/// What happens to shared account data when the partnership ends.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DataHandling {
    /// Every member stops sharing accounts with the others at once.
    #[default]
    StopSharing,
    /// Sharing stays as it is (the members still work together elsewhere).
    KeepSharing,
}

impl DataHandling {
    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            DataHandling::StopSharing => "stop_sharing",
            DataHandling::KeepSharing => "keep_sharing",
        }
    }

    /// Reads a stable name.
    pub fn parse(raw: &str) -> Option<DataHandling> {
        match raw.trim() {
            "stop_sharing" => Some(DataHandling::StopSharing),
            "keep_sharing" => Some(DataHandling::KeepSharing),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn triggers_fire_on_the_facts_and_say_which() {
        let situation = Situation {
            goals: vec![
                ("Pipeline".into(), GoalStatus::OnTrack),
                ("Registrations".into(), GoalStatus::OffTrack),
            ],
            delivered: vec![("Acme".into(), 1.0), ("Globex".into(), 0.4)],
            health: Some(55),
            breaches: vec![],
        };
        let triggers = [
            Trigger::GoalOffTrack,
            Trigger::ContributionBelow { percent: 50 },
            Trigger::HealthBelow { score: 40 },
            Trigger::Breach,
        ];
        assert_eq!(
            fired(&triggers, &situation),
            vec![
                (
                    Trigger::GoalOffTrack,
                    "the goal \"Registrations\" is off track".to_owned()
                ),
                (
                    Trigger::ContributionBelow { percent: 50 },
                    "Globex delivered 40% of its commitment (the trigger is 50%)".to_owned()
                ),
            ]
        );
        let breached = Situation {
            breaches: vec!["contacted our customers directly".into()],
            ..Situation::default()
        };
        assert_eq!(fired(&[Trigger::Breach], &breached).len(), 1);
        assert!(fired(&triggers, &Situation::default()).is_empty());
    }

    #[test]
    fn triggers_read_and_write_as_tagged_json() {
        let trigger: Trigger =
            serde_json::from_str(r#"{"kind":"contribution_below","percent":50}"#).expect("json");
        assert_eq!(trigger, Trigger::ContributionBelow { percent: 50 });
        assert_eq!(trigger.key(), "contribution_below_50");
        assert!(!Trigger::HealthBelow { score: 0 }.is_valid());
    }

    #[test]
    fn triggers_read_from_their_kind_and_number() {
        assert_eq!(
            Trigger::parse("goal_off_track"),
            Some(Trigger::GoalOffTrack)
        );
        assert_eq!(
            Trigger::parse("contribution_below:35"),
            Some(Trigger::ContributionBelow { percent: 35 })
        );
        assert_eq!(
            Trigger::parse("health_below=40"),
            Some(Trigger::HealthBelow { score: 40 })
        );
        assert_eq!(Trigger::parse(" breach "), Some(Trigger::Breach));
        // A missing or unreadable number is 0, which is refused.
        assert_eq!(
            Trigger::parse("health_below"),
            Some(Trigger::HealthBelow { score: 0 })
        );
        assert_eq!(
            Trigger::parse("contribution_below:lots"),
            Some(Trigger::ContributionBelow { percent: 0 })
        );
        assert_eq!(Trigger::parse("moon_phase"), None);
        let asked = Trigger::of_kind("health_below", |name| if name == "score" { 30 } else { 0 });
        assert_eq!(asked, Some(Trigger::HealthBelow { score: 30 }));
    }
}
