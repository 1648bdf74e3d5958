//! Scopes of personal API tokens.

use serde::{Deserialize, Serialize};

/// What a personal API token may do, on top of its owner's role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Safe methods only.
    Read,
    /// Reads and ordinary changes.
    Write,
    /// Everything the owner's role allows, including members, tokens and audit.
    Admin,
}

impl Scope {
    /// Every scope, narrowest first.
    pub const ALL: [Scope; 3] = [Scope::Read, Scope::Write, Scope::Admin];

    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Write => "write",
            Scope::Admin => "admin",
        }
    }

    /// Whether a token holding `self` covers a request needing `needed`.
    pub fn covers(self, needed: Scope) -> bool {
        self >= needed
    }
}

/// A scope name that is not one of ours.
#[derive(Debug, thiserror::Error)]
#[error("unknown scope `{0}`; use read, write or admin")]
pub struct UnknownScope(pub String);

impl std::str::FromStr for Scope {
    type Err = UnknownScope;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Scope::ALL
            .into_iter()
            .find(|scope| scope.as_str() == s.trim())
            .ok_or_else(|| UnknownScope(s.to_owned()))
    }
}

impl TryFrom<String> for Scope {
    type Error = UnknownScope;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wider_scopes_cover_narrower_ones() {
        assert!(Scope::Admin.covers(Scope::Write));
        assert!(Scope::Write.covers(Scope::Read));
        assert!(!Scope::Read.covers(Scope::Write));
        assert!(!Scope::Write.covers(Scope::Admin));
    }
}
