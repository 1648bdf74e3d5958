//! Identifier newtypes: a function that wants an organization cannot take a user's id.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta] $name:ident),* $(,)?) => {$(
        #[$doc]
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A new, time-ordered identifier (UUIDv7), so recent rows sort last.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl From<Uuid> for $name {
            fn from(id: Uuid) -> Self {
                Self(id)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    )*};
}

id_type!(
    /// An organization: the tenant.
    OrgId,
    /// A person with a sign-in.
    UserId,
    /// An invitation to join an organization.
    InvitationId,
    /// A partner connection between two organizations.
    ConnectionId,
    /// An invite link through which other organizations may ask to connect.
    ConnectionLinkId,
    /// A personal API token.
    ApiTokenId,
    /// An entry of an organization's audit log.
    AuditEventId,
    /// A job in the durable queue.
    JobId,
    /// An account (a company) in an organization's CRM data.
    AccountId,
    /// One upload and import of a CRM file.
    ImportId,
    /// A correction of a mapping (a wrong match or a manual one).
    CorrectionId,
    /// A partnership between two or more organizations.
    PartnershipId,
    /// One piece of evidence of a stage gate.
    GateItemId,
    /// A risk in a partnership's register.
    RiskId,
    /// A shared goal of a partnership.
    GoalId,
    /// An inbound partnership request in an organization's queue.
    RequestId,
);
