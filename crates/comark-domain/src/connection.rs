//! The partner connection between two organizations and how it may change.

use serde::{Deserialize, Serialize};

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
}
