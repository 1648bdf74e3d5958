//! The partner connection between two organizations and how it may change.

use serde::{Deserialize, Serialize};

use crate::ValidationErrors;

/// Where a connection stands. Only `Accepted` lets anything cross between the two.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionStatus {
    /// Requested by one side, waiting for the other.
    Pending,
    /// Both sides agreed: sharing may happen as each side allows.
    Accepted,
    /// The invited side said no.
    Declined,
    /// Either side ended it (or the requester withdrew); all sharing stopped.
    Ended,
}

/// A change someone asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConnectionTransition {
    /// The invited side agrees.
    Accept,
    /// The invited side refuses.
    Decline,
    /// Either side ends an accepted connection, or the requester withdraws a pending one.
    End,
}

/// Why a change is not possible.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConnectionError {
    /// Only the side that received the request may accept or decline it.
    #[error("only the invited organization can answer a connection request")]
    NotTheInvitedSide,
    /// The change does not apply to the connection's current status.
    #[error("a {status} connection cannot be {verb}")]
    InvalidTransition {
        /// The status now.
        status: &'static str,
        /// What was asked.
        verb: &'static str,
    },
}

impl ConnectionStatus {
    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            ConnectionStatus::Pending => "pending",
            ConnectionStatus::Accepted => "accepted",
            ConnectionStatus::Declined => "declined",
            ConnectionStatus::Ended => "ended",
        }
    }

    /// Whether this connection still counts (blocks a second request between the same pair).
    pub fn is_open(self) -> bool {
        matches!(self, ConnectionStatus::Pending | ConnectionStatus::Accepted)
    }

    /// The status after `transition`, asked by the requesting side (`by_requester`) or the other.
    pub fn apply(
        self,
        transition: ConnectionTransition,
        by_requester: bool,
    ) -> Result<ConnectionStatus, ConnectionError> {
        use ConnectionStatus::*;
        use ConnectionTransition::*;
        let invalid = |verb| ConnectionError::InvalidTransition {
            status: self.as_str(),
            verb,
        };
        match (self, transition) {
            (Pending, Accept | Decline) if by_requester => Err(ConnectionError::NotTheInvitedSide),
            (Pending, Accept) => Ok(Accepted),
            (Pending, Decline) => Ok(Declined),
            (Pending | Accepted, End) => Ok(Ended),
            (_, Accept) => Err(invalid("accepted")),
            (_, Decline) => Err(invalid("declined")),
            (_, End) => Err(invalid("ended")),
        }
    }
}

/// A status name that is not one of ours.
#[derive(Debug, thiserror::Error)]
#[error("unknown connection status `{0}`")]
pub struct UnknownStatus(pub String);

impl std::str::FromStr for ConnectionStatus {
    type Err = UnknownStatus;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "pending" => Ok(ConnectionStatus::Pending),
            "accepted" => Ok(ConnectionStatus::Accepted),
            "declined" => Ok(ConnectionStatus::Declined),
            "ended" => Ok(ConnectionStatus::Ended),
            other => Err(UnknownStatus(other.to_owned())),
        }
    }
}

impl TryFrom<String> for ConnectionStatus {
    type Error = UnknownStatus;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

/// How many organizations one invite link may connect, at most.
pub const MAX_LINK_USES: i64 = 100;
/// How many organizations an invite link connects unless its creator chooses more.
pub const DEFAULT_LINK_USES: i64 = 1;
/// The longest an invite link may work, in days.
pub const MAX_LINK_DAYS: i64 = 90;
/// How long an invite link works unless its creator chooses otherwise, in days.
pub const DEFAULT_LINK_DAYS: i64 = 7;
/// The longest note a link may carry, in characters.
pub const MAX_LINK_NOTE: usize = 200;

/// What the creator of an invite link chose, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkOptions {
    /// How many organizations may connect through it.
    pub max_uses: i64,
    /// How many days it works.
    pub expires_in_days: i64,
    /// Whether using it connects at once, rather than asking the creator to accept.
    pub auto_accept: bool,
    /// What the creator wants to remember it by ("for Globex's webinar team").
    pub note: Option<String>,
}

impl LinkOptions {
    /// Checks the creator's choices; absent numbers take the defaults (one use, seven days).
    pub fn parse(
        max_uses: Option<i64>,
        expires_in_days: Option<i64>,
        auto_accept: bool,
        note: Option<&str>,
    ) -> Result<LinkOptions, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let max_uses = max_uses.unwrap_or(DEFAULT_LINK_USES);
        if !(1..=MAX_LINK_USES).contains(&max_uses) {
            errors.add(
                "max_uses",
                format!("must be a whole number from 1 to {MAX_LINK_USES}"),
            );
        }
        let expires_in_days = expires_in_days.unwrap_or(DEFAULT_LINK_DAYS);
        if !(1..=MAX_LINK_DAYS).contains(&expires_in_days) {
            errors.add(
                "expires_in_days",
                format!("must be a whole number of days from 1 to {MAX_LINK_DAYS}"),
            );
        }
        let note = note.map(str::trim).filter(|n| !n.is_empty());
        if note.is_some_and(|n| n.chars().count() > MAX_LINK_NOTE) {
            errors.add(
                "note",
                format!("must be at most {MAX_LINK_NOTE} characters"),
            );
        }
        errors.into_result()?;
        Ok(LinkOptions {
            max_uses,
            expires_in_days,
            auto_accept,
            note: note.map(str::to_owned),
        })
    }
}

/// Where an invite link stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkStatus {
    /// It still works.
    Open,
    /// Every use it allowed was taken.
    UsedUp,
    /// Its time ran out.
    Expired,
    /// Its creator withdrew it.
    Revoked,
}

impl LinkStatus {
    /// The status of a link: a withdrawal shows first, then a last use, then the time.
    pub fn of(revoked: bool, expired: bool, uses: i64, max_uses: i64) -> LinkStatus {
        if revoked {
            LinkStatus::Revoked
        } else if uses >= max_uses {
            LinkStatus::UsedUp
        } else if expired {
            LinkStatus::Expired
        } else {
            LinkStatus::Open
        }
    }

    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            LinkStatus::Open => "open",
            LinkStatus::UsedUp => "used_up",
            LinkStatus::Expired => "expired",
            LinkStatus::Revoked => "revoked",
        }
    }

    /// In words.
    pub fn label(self) -> &'static str {
        match self {
            LinkStatus::Open => "Open",
            LinkStatus::UsedUp => "Used up",
            LinkStatus::Expired => "Expired",
            LinkStatus::Revoked => "Revoked",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ConnectionStatus::*;
    use super::ConnectionTransition::*;
    use super::*;

    #[test]
    fn the_invited_side_accepts_and_either_side_ends() {
        assert_eq!(Pending.apply(Accept, false), Ok(Accepted));
        assert_eq!(Accepted.apply(End, true), Ok(Ended));
        assert_eq!(Accepted.apply(End, false), Ok(Ended));
    }

    #[test]
    fn a_requester_cannot_accept_their_own_request() {
        assert_eq!(
            Pending.apply(Accept, true),
            Err(ConnectionError::NotTheInvitedSide)
        );
        assert_eq!(Pending.apply(End, true), Ok(Ended));
    }

    #[test]
    fn closed_connections_stay_closed() {
        for status in [Declined, Ended] {
            for transition in [Accept, Decline, End] {
                assert!(status.apply(transition, false).is_err());
                assert!(status.apply(transition, true).is_err());
            }
        }
        assert!(Accepted.apply(Accept, false).is_err());
    }

    #[test]
    fn a_link_works_once_for_a_week_unless_its_creator_chooses_otherwise() {
        let defaults = LinkOptions::parse(None, None, false, Some("  ")).expect("defaults");
        assert_eq!(
            defaults,
            LinkOptions {
                max_uses: 1,
                expires_in_days: 7,
                auto_accept: false,
                note: None
            }
        );
        let chosen = LinkOptions::parse(Some(100), Some(90), true, Some(" Webinar ")).expect("ok");
        assert_eq!((chosen.max_uses, chosen.expires_in_days), (100, 90));
        assert_eq!(chosen.note.as_deref(), Some("Webinar"));
    }

    #[test]
    fn link_limits_outside_their_bounds_are_refused_by_field() {
        let refused = LinkOptions::parse(Some(0), Some(91), false, Some(&"x".repeat(201)))
            .expect_err("refused");
        let fields: Vec<&str> = refused.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["max_uses", "expires_in_days", "note"]);
        assert!(LinkOptions::parse(Some(101), None, false, None).is_err());
        assert!(LinkOptions::parse(None, Some(0), false, None).is_err());
    }

    #[test]
    fn a_link_shows_revoked_before_used_up_before_expired() {
        assert_eq!(LinkStatus::of(true, true, 1, 1), LinkStatus::Revoked);
        assert_eq!(LinkStatus::of(false, true, 1, 1), LinkStatus::UsedUp);
        assert_eq!(LinkStatus::of(false, true, 0, 1), LinkStatus::Expired);
        assert_eq!(LinkStatus::of(false, false, 1, 2), LinkStatus::Open);
    }
}
