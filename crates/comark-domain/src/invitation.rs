//! Invitations to join an organization: who may accept one, and what a link may grant.
//!
//! An invitation either names an address (it is e-mailed there, or, on an instance that
//! cannot send e-mail, its link is shown to the inviter) or names nobody: a link for anyone
//! who holds it. The rules here decide who may accept which.

use serde::Serialize;

use crate::{Email, Role};

/// How an invitation finds its invitee.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InvitationKind {
    /// For one address: only the account with that address may accept it.
    Email,
    /// For anyone with the link: single use, and never for an owner or an admin.
    Link,
}

impl InvitationKind {
    /// The kind of an invitation addressed to `email`, if anyone.
    pub fn of(email: Option<&str>) -> InvitationKind {
        match email {
            Some(_) => InvitationKind::Email,
            None => InvitationKind::Link,
        }
    }

    /// The stable name used in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            InvitationKind::Email => "email",
            InvitationKind::Link => "link",
        }
    }
}

/// The words every page uses for a link invitation.
pub const LINK_LABEL: &str = "anyone with this link";

/// Whether a link invitation, which anyone holding it may accept, may grant `role`. Owners
/// and admins control the members and settings, so they are invited by address only.
pub fn link_may_grant(role: Role) -> bool {
    !matches!(role, Role::Owner | Role::Admin)
}

/// The invitation being accepted, as far as the rules care.
#[derive(Clone, Copy, Debug)]
pub struct Invited<'a> {
    /// The address it is for; `None` for a link invitation.
    pub email: Option<&'a str>,
    /// The role it grants.
    pub role: Role,
    /// Whether its link went out by e-mail (rather than being shown to the inviter).
    pub mailed: bool,
}

/// The signed-in account that wants to accept it.
#[derive(Clone, Copy, Debug)]
pub struct Acceptor<'a> {
    /// The account's address.
    pub email: &'a str,
    /// Whether the account has proven that it receives mail at that address.
    pub verified: bool,
}

/// An invitation the account may accept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Acceptance {
    /// True when accepting proves the account's address: the link came by e-mail to it.
    pub confirms_address: bool,
}

/// Why an account may not accept an invitation. Nothing changes when one is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The invitation names another address.
    #[error(
        "This invitation is for {invited}; you are signed in as {signed_in_as}. \
         Sign in with the invited address to accept it."
    )]
    OtherAddress {
        /// The invited address, masked.
        invited: String,
        /// The signed-in account's address.
        signed_in_as: String,
    },
    /// The address matches, but this instance sends e-mail and the account never proved
    /// that it receives mail there (and this invitation did not arrive by e-mail).
    #[error(
        "Your address {0} is not confirmed yet. Confirm it by resetting your password through \
         the e-mailed link (Forgot your password?), then open this invitation again."
    )]
    Unconfirmed(String),
    /// A link invitation for a role that only an addressed invitation may grant (made
    /// before that rule existed).
    #[error(
        "An invitation link cannot make anyone {}; ask for an invitation to your address.",
        .0.label().to_lowercase()
    )]
    LinkCannotGrant(Role),
}

/// An address as `Email` normalizes it, or trimmed and lower-cased when it does not parse.
fn normalized(address: &str) -> String {
    Email::parse(address)
        .map(|email| email.as_str().to_owned())
        .unwrap_or_else(|_| address.trim().to_lowercase())
}

/// Decides whether `acceptor` may accept `invited` on an instance that sends e-mail
/// (`instance_sends_mail`) or not. Without e-mail, a matching address is all that can be
/// checked: the inviter handed the link over themselves.
pub fn may_accept(
    invited: Invited<'_>,
    acceptor: Acceptor<'_>,
    instance_sends_mail: bool,
) -> Result<Acceptance, Refusal> {
    let Some(invited_email) = invited.email else {
        if !link_may_grant(invited.role) {
            return Err(Refusal::LinkCannotGrant(invited.role));
        }
        return Ok(Acceptance {
            confirms_address: false,
        });
    };
    let invited_email = normalized(invited_email);
    let own = normalized(acceptor.email);
    if invited_email != own {
        let masked = Email::parse(&invited_email)
            .map(|email| email.masked())
            .unwrap_or_else(|_| "another address".to_owned());
        return Err(Refusal::OtherAddress {
            invited: masked,
            signed_in_as: own,
        });
    }
    if invited.mailed {
        // Only the inbox got this link, so opening it proves the address.
        return Ok(Acceptance {
            confirms_address: true,
        });
    }
    if instance_sends_mail && !acceptor.verified {
        return Err(Refusal::Unconfirmed(own));
    }
    Ok(Acceptance {
        confirms_address: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn for_address(email: &str, mailed: bool) -> Invited<'_> {
        Invited {
            email: Some(email),
            role: Role::Admin,
            mailed,
        }
    }

    fn account(email: &str, verified: bool) -> Acceptor<'_> {
        Acceptor { email, verified }
    }

    #[test]
    fn only_the_invited_address_may_accept_and_is_told_whom_it_is_for() {
        let refused = may_accept(
            for_address("ada@acme.example", true),
            account("owner@globex.example", true),
            true,
        );
        assert_eq!(
            refused,
            Err(Refusal::OtherAddress {
                invited: "a…@acme.example".into(),
                signed_in_as: "owner@globex.example".into(),
            })
        );
        let message = refused.expect_err("refused").to_string();
        assert!(message.starts_with("This invitation is for a…@acme.example; you are signed in as owner@globex.example."), "{message}");
    }

    #[test]
    fn addresses_compare_as_normalized() {
        let accepted = may_accept(
            for_address("Ada@ACME.example", true),
            account(" ada@acme.example", false),
            true,
        );
        assert_eq!(
            accepted,
            Ok(Acceptance {
                confirms_address: true
            })
        );
    }

    #[test]
    fn a_mailed_link_confirms_the_address_and_an_unmailed_one_needs_a_confirmed_account() {
        let unmailed = for_address("ada@acme.example", false);
        assert_eq!(
            may_accept(unmailed, account("ada@acme.example", false), true),
            Err(Refusal::Unconfirmed("ada@acme.example".into()))
        );
        assert_eq!(
            may_accept(unmailed, account("ada@acme.example", true), true),
            Ok(Acceptance {
                confirms_address: false
            })
        );
        // Without e-mail, the matching address is all there is to check.
        assert_eq!(
            may_accept(unmailed, account("ada@acme.example", false), false),
            Ok(Acceptance {
                confirms_address: false
            })
        );
    }

    #[test]
    fn a_link_is_for_anyone_but_never_makes_owners_or_admins() {
        for role in Role::ALL {
            let link = Invited {
                email: None,
                role,
                mailed: false,
            };
            let outcome = may_accept(link, account("anyone@example.com", false), true);
            assert_eq!(outcome.is_ok(), link_may_grant(role), "{role:?}");
        }
        assert!(!link_may_grant(Role::Owner));
        assert!(!link_may_grant(Role::Admin));
        assert!(link_may_grant(Role::PartnerManager));
    }
}
