//! Shared goals, what each side commits and delivers, and the relationship's health.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Where a goal stands against its target and the time passed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GoalStatus {
    /// The target is reached.
    Met,
    /// Progress keeps pace with the period.
    OnTrack,
    /// Behind, but within reach.
    AtRisk,
    /// Far behind, or the period ended short of the target.
    OffTrack,
    /// The period has not begun.
    NotStarted,
}

impl GoalStatus {
    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            GoalStatus::Met => "met",
            GoalStatus::OnTrack => "on_track",
            GoalStatus::AtRisk => "at_risk",
            GoalStatus::OffTrack => "off_track",
            GoalStatus::NotStarted => "not_started",
        }
    }

    /// What people call it.
    pub fn label(self) -> &'static str {
        match self {
            GoalStatus::Met => "Met",
            GoalStatus::OnTrack => "On track",
            GoalStatus::AtRisk => "At risk",
            GoalStatus::OffTrack => "Off track",
            GoalStatus::NotStarted => "Not started",
        }
    }
}

/// A goal's status on `today`: progress is compared with the share of the period gone by.
/// Behind by up to a third of the expected progress is at risk; more is off track.
pub fn goal_status(
    target: f64,
    current: f64,
    start: NaiveDate,
    end: NaiveDate,
    today: NaiveDate,
) -> GoalStatus {
    if target > 0.0 && current >= target {
        return GoalStatus::Met;
    }
    if today < start {
        return GoalStatus::NotStarted;
    }
    if today > end {
        return GoalStatus::OffTrack;
    }
    let length = (end - start).num_days().max(1) as f64;
    let gone = ((today - start).num_days() as f64 / length).clamp(0.0, 1.0);
    let expected = target * gone;
    if expected <= 0.0 || current >= expected {
        GoalStatus::OnTrack
    } else if current >= expected * (2.0 / 3.0) {
        GoalStatus::AtRisk
    } else {
        GoalStatus::OffTrack
    }
}

/// What a side can commit to a partnership.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContributionKind {
    /// Money, in the partnership's currency's units.
    Budget,
    /// Pieces of content.
    ContentPieces,
    /// Events and webinars.
    Events,
    /// Leads passed to the partner.
    Leads,
    /// People reached through one's own channels.
    AudienceReach,
    /// Hours of work.
    Hours,
}

impl ContributionKind {
    /// Every kind.
    pub const ALL: [ContributionKind; 6] = [
        ContributionKind::Budget,
        ContributionKind::ContentPieces,
        ContributionKind::Events,
        ContributionKind::Leads,
        ContributionKind::AudienceReach,
        ContributionKind::Hours,
    ];

    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            ContributionKind::Budget => "budget",
            ContributionKind::ContentPieces => "content_pieces",
            ContributionKind::Events => "events",
            ContributionKind::Leads => "leads",
            ContributionKind::AudienceReach => "audience_reach",
            ContributionKind::Hours => "hours",
        }
    }

    /// Reads a stable name.
    pub fn parse(raw: &str) -> Option<ContributionKind> {
        ContributionKind::ALL
            .into_iter()
            .find(|k| k.as_str() == raw.trim())
    }

    /// What people call it.
    pub fn label(self) -> &'static str {
        match self {
            ContributionKind::Budget => "Budget",
            ContributionKind::ContentPieces => "Content pieces",
            ContributionKind::Events => "Events",
            ContributionKind::Leads => "Leads",
            ContributionKind::AudienceReach => "Audience reach",
            ContributionKind::Hours => "Hours",
        }
    }
}

/// One side's commitments and deliveries, summed over every kind it committed to.
#[derive(Clone, Debug, PartialEq)]
pub struct SideContribution {
    /// The side, as people call it.
    pub side: String,
    /// Per kind: (committed, delivered).
    pub kinds: Vec<(ContributionKind, f64, f64)>,
}

impl SideContribution {
    /// The share of its commitments a side delivered, averaged over the kinds it committed
    /// to (each kind capped at 100%); `None` with no commitment.
    pub fn delivered_share(&self) -> Option<f64> {
        let shares: Vec<f64> = self
            .kinds
            .iter()
            .filter(|(_, committed, _)| *committed > 0.0)
            .map(|(_, committed, delivered)| (delivered / committed).min(1.0))
            .collect();
        (!shares.is_empty()).then(|| shares.iter().sum::<f64>() / shares.len() as f64)
    }
}

/// A relationship's health from 0 to 100, with the reasons.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Health {
    /// 0 (failing) to 100 (thriving).
    pub score: u8,
    /// Facts a person can check, one per component.
    pub reasons: Vec<String>,
}

/// A joint decision a member has not answered yet (an approval the others gave).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Waiting {
    /// The member everyone waits for.
    pub member: String,
    /// What it is asked to decide.
    pub what: String,
    /// For how many days.
    pub days: i64,
}

/// The health of a partnership from its goals, each side's delivery against its
/// commitments, responsiveness (the longest a member has left a joint decision waiting) and
/// how recently anything happened. Components without data are left out rather than guessed.
pub fn health(
    goals: &[GoalStatus],
    sides: &[SideContribution],
    waiting: Option<&Waiting>,
    days_since_activity: Option<i64>,
) -> Health {
    let mut parts: Vec<(f64, f64)> = Vec::new();
    let mut reasons = Vec::new();
    let running: Vec<GoalStatus> = goals
        .iter()
        .copied()
        .filter(|g| *g != GoalStatus::NotStarted)
        .collect();
    if !running.is_empty() {
        let points: f64 = running
            .iter()
            .map(|g| match g {
                GoalStatus::Met | GoalStatus::OnTrack => 1.0,
                GoalStatus::AtRisk => 0.5,
                _ => 0.0,
            })
            .sum();
        let good = running
            .iter()
            .filter(|g| matches!(g, GoalStatus::Met | GoalStatus::OnTrack))
            .count();
        parts.push((points / running.len() as f64, 0.4));
        reasons.push(format!(
            "{good} of {} running goals met or on track",
            running.len()
        ));
    }
    let delivered: Vec<(&str, f64)> = sides
        .iter()
        .filter_map(|s| s.delivered_share().map(|share| (s.side.as_str(), share)))
        .collect();
    if !delivered.is_empty() {
        let lowest =
            delivered
                .iter()
                .copied()
                .fold(("", f64::INFINITY), |a, b| if b.1 < a.1 { b } else { a });
        parts.push((lowest.1, 0.4));
        let each: Vec<String> = delivered
            .iter()
            .map(|(side, share)| format!("{side} {:.0}%", share * 100.0))
            .collect();
        reasons.push(format!(
            "delivered against commitments: {}",
            each.join(", ")
        ));
    }
    if let Some(wait) = waiting {
        let responsiveness = match wait.days {
            d if d <= 3 => 1.0,
            d if d <= 10 => 0.5,
            _ => 0.0,
        };
        parts.push((responsiveness, 0.2));
        reasons.push(match wait.days {
            0 => format!("waiting since today for {} to {}", wait.member, wait.what),
            1 => format!("waiting 1 day for {} to {}", wait.member, wait.what),
            n => format!("waiting {n} days for {} to {}", wait.member, wait.what),
        });
    }
    if let Some(days) = days_since_activity {
        let activity = match days {
            d if d <= 14 => 1.0,
            d if d <= 45 => 0.5,
            _ => 0.0,
        };
        parts.push((activity, 0.2));
        reasons.push(format!("last activity {days} days ago"));
    }
    let weight: f64 = parts.iter().map(|(_, w)| w).sum();
    let score = if weight > 0.0 {
        parts.iter().map(|(s, w)| s * w).sum::<f64>() / weight
    } else {
        0.0
    };
    if parts.is_empty() {
        reasons.push("no goals, commitments or activity recorded yet".into());
    }
    Health {
        score: (score * 100.0).round() as u8,
        reasons,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2027, 1, d).expect("a January day")
    }

    #[test]
    fn a_goal_is_judged_against_the_time_gone_by() {
        // 30-day period, 100 target; day 16 is half-way.
        let at = |current| goal_status(100.0, current, day(1), day(31), day(16));
        assert_eq!(at(50.0), GoalStatus::OnTrack);
        assert_eq!(at(40.0), GoalStatus::AtRisk);
        assert_eq!(at(20.0), GoalStatus::OffTrack);
        assert_eq!(at(100.0), GoalStatus::Met);
        assert_eq!(
            goal_status(100.0, 0.0, day(10), day(31), day(5)),
            GoalStatus::NotStarted
        );
        assert_eq!(
            goal_status(100.0, 99.0, day(1), day(10), day(20)),
            GoalStatus::OffTrack
        );
    }

    #[test]
    fn delivery_is_capped_per_kind_and_averaged() {
        let side = SideContribution {
            side: "Acme".into(),
            kinds: vec![
                (ContributionKind::Events, 2.0, 4.0),
                (ContributionKind::Budget, 10_000.0, 2_500.0),
            ],
        };
        assert_eq!(side.delivered_share(), Some(0.625));
        let none = SideContribution {
            side: "Globex".into(),
            kinds: vec![],
        };
        assert_eq!(none.delivered_share(), None);
    }

    #[test]
    fn health_is_dragged_down_by_the_side_that_delivers_least() {
        let balanced = [
            SideContribution {
                side: "Acme".into(),
                kinds: vec![(ContributionKind::Leads, 10.0, 10.0)],
            },
            SideContribution {
                side: "Globex".into(),
                kinds: vec![(ContributionKind::Leads, 10.0, 10.0)],
            },
        ];
        let lopsided = [
            SideContribution {
                side: "Acme".into(),
                kinds: vec![(ContributionKind::Leads, 10.0, 10.0)],
            },
            SideContribution {
                side: "Globex".into(),
                kinds: vec![(ContributionKind::Leads, 10.0, 2.0)],
            },
        ];
        let good = health(&[GoalStatus::OnTrack], &balanced, None, Some(3));
        let poor = health(&[GoalStatus::OnTrack], &lopsided, None, Some(3));
        assert_eq!(good.score, 100);
        assert!(poor.score < good.score);
        assert!(
            poor.reasons
                .contains(&"delivered against commitments: Acme 100%, Globex 20%".to_owned()),
            "{poor:?}"
        );
        assert_eq!(health(&[], &[], None, None).score, 0);
        assert_eq!(
            health(
                &[GoalStatus::OffTrack, GoalStatus::OnTrack],
                &[],
                None,
                Some(60)
            )
            .reasons,
            vec![
                "1 of 2 running goals met or on track".to_owned(),
                "last activity 60 days ago".to_owned()
            ]
        );
    }

    #[test]
    fn a_member_leaving_a_joint_decision_waiting_lowers_the_health() {
        let wait = |days| Waiting {
            member: "Globex".into(),
            what: "approve leaving partner selection".into(),
            days,
        };
        let answered = health(&[GoalStatus::OnTrack], &[], None, Some(1));
        let fresh = health(&[GoalStatus::OnTrack], &[], Some(&wait(2)), Some(1));
        let slow = health(&[GoalStatus::OnTrack], &[], Some(&wait(7)), Some(1));
        let stalled = health(&[GoalStatus::OnTrack], &[], Some(&wait(30)), Some(1));
        assert_eq!(answered.score, 100);
        assert_eq!(fresh.score, 100, "a couple of days is normal");
        assert!(stalled.score < slow.score && slow.score < fresh.score);
        assert!(stalled.reasons.contains(
            &"waiting 30 days for Globex to approve leaving partner selection".to_owned()
        ));
    }
}
