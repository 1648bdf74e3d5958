//! Roles within an organization and what each may do.

use serde::{Deserialize, Serialize};

/// A member's role in one organization.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Full control, including other owners; at least one per organization.
    Owner,
    /// Manages members, settings and partners, but not owners.
    Admin,
    /// Finds partners, manages connections and partnerships.
    PartnerManager,
    /// Plans and runs joint campaigns.
    Marketer,
    /// Receives leads and sees shared accounts.
    Sales,
    /// Reads dashboards; changes nothing.
    Executive,
}

/// Something a member may try to do inside their own organization.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    /// See the organization, its members and partners.
    View,
    /// Change the organization's name and settings.
    ManageSettings,
    /// Invite people and change or remove members.
    ManageMembers,
    /// Request, accept, decline and end partner connections.
    ManageConnections,
    /// Read and export the audit log.
    ViewAudit,
    /// Edit the partner profile and its directory listing.
    EditProfile,
    /// Import CRM accounts, define populations and save column mappings.
    ManageAccounts,
    /// Decide what each partner may see of each population, and correct matches.
    ManageSharing,
    /// Start partnerships, keep their gates and move them through the lifecycle.
    ManagePartnerships,
}

impl Role {
    /// Every role, most powerful first.
    pub const ALL: [Role; 6] = [
        Role::Owner,
        Role::Admin,
        Role::PartnerManager,
        Role::Marketer,
        Role::Sales,
        Role::Executive,
    ];

    /// Whether this role may perform `action` in its organization.
    pub fn can(self, action: Action) -> bool {
        use Action::*;
        use Role::*;
        match action {
            View => true,
            ManageSettings | ManageMembers | ViewAudit => matches!(self, Owner | Admin),
            // Account data and what leaves the organization are the partnership team's call.
            ManageConnections | ManageAccounts | ManageSharing | ManagePartnerships => {
                matches!(self, Owner | Admin | PartnerManager)
            }
            EditProfile => matches!(self, Owner | Admin | PartnerManager | Marketer),
        }
    }

    /// Whether a member with this role may grant or take away `target`.
    /// Only owners touch ownership, so an admin cannot promote themself.
    pub fn may_assign(self, target: Role) -> bool {
        match self {
            Role::Owner => true,
            Role::Admin => target != Role::Owner,
            _ => false,
        }
    }

    /// The stable name used in the database, the API and forms.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::PartnerManager => "partner_manager",
            Role::Marketer => "marketer",
            Role::Sales => "sales",
            Role::Executive => "executive",
        }
    }

    /// A label for people.
    pub fn label(self) -> &'static str {
        match self {
            Role::Owner => "Owner",
            Role::Admin => "Admin",
            Role::PartnerManager => "Partner manager",
            Role::Marketer => "Marketer",
            Role::Sales => "Sales",
            Role::Executive => "Executive",
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A role name that is not one of ours.
#[derive(Debug, thiserror::Error)]
#[error("unknown role `{0}`")]
pub struct UnknownRole(pub String);

impl std::str::FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == s)
            .ok_or_else(|| UnknownRole(s.to_owned()))
    }
}

impl TryFrom<String> for Role {
    type Error = UnknownRole;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_owners_and_admins_manage_members() {
        let managers: Vec<Role> = Role::ALL
            .into_iter()
            .filter(|r| r.can(Action::ManageMembers))
            .collect();
        assert_eq!(managers, vec![Role::Owner, Role::Admin]);
    }

    #[test]
    fn executives_can_only_view() {
        assert!(Role::Executive.can(Action::View));
        for action in [
            Action::ManageSettings,
            Action::ManageMembers,
            Action::ManageConnections,
            Action::ViewAudit,
            Action::EditProfile,
        ] {
            assert!(!Role::Executive.can(action), "{action:?}");
        }
    }

    #[test]
    fn an_admin_cannot_hand_out_ownership() {
        assert!(!Role::Admin.may_assign(Role::Owner));
        assert!(Role::Admin.may_assign(Role::Marketer));
        assert!(Role::Owner.may_assign(Role::Owner));
        assert!(!Role::PartnerManager.may_assign(Role::Sales));
    }

    #[test]
    fn role_names_round_trip() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>().ok(), Some(role));
        }
        assert!("superuser".parse::<Role>().is_err());
    }
}
