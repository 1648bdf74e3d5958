//! The security-relevant and sharing events written to an organization's audit log.

/// One kind of audited event. The names are stable: exports and filters use them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuditAction {
    /// The organization was created.
    OrgCreated,
    /// Its name or settings changed.
    OrgUpdated,
    /// Someone was invited.
    MemberInvited,
    /// An invitation was withdrawn.
    InvitationRevoked,
    /// Someone joined through an invitation.
    MemberJoined,
    /// A member's role changed.
    MemberRoleChanged,
    /// A member was removed.
    MemberRemoved,
    /// A member left.
    MemberLeft,
    /// A partner connection was requested (by us or of us).
    ConnectionRequested,
    /// A connection was accepted.
    ConnectionAccepted,
    /// A connection was declined.
    ConnectionDeclined,
    /// A connection ended: all sharing stopped.
    ConnectionEnded,
    /// A connection invite link was created.
    ConnectionLinkCreated,
    /// A connection invite link was withdrawn by its organization.
    ConnectionLinkRevoked,
    /// An API token was created.
    TokenCreated,
    /// An API token was revoked.
    TokenRevoked,
    /// A member changed their password (their other sessions ended).
    PasswordChanged,
    /// A member's password was reset through an e-mailed link or by an administrator.
    PasswordReset,
    /// A member switched on two-factor sign-in.
    SecondFactorEnabled,
    /// A member switched off two-factor sign-in.
    SecondFactorDisabled,
    /// The partner profile changed (or its directory listing).
    ProfileUpdated,
    /// Accounts were imported from a CRM file.
    AccountsImported,
    /// A custom population was defined, changed or removed.
    PopulationChanged,
    /// What a partner may see of a population changed.
    SharingChanged,
    /// A match between two partners' accounts was corrected.
    MatchCorrected,
    /// Mapped accounts were exported.
    MappingExported,
    /// A partnership was started.
    PartnershipCreated,
    /// A partnership moved to its next stage.
    PartnershipAdvanced,
    /// The organization answered the co-marketing maturity assessment.
    MaturityAssessed,
    /// The evidence the organization's new partnerships start with changed (or was reset).
    GateTemplateChanged,
    /// The organization saved a version of its internal assessment.
    InternalAssessmentSaved,
    /// The inbound request form or its vetting checklist changed.
    IntakeUpdated,
}

impl AuditAction {
    /// The stable name stored and exported.
    pub fn as_str(self) -> &'static str {
        use AuditAction::*;
        match self {
            OrgCreated => "org.created",
            OrgUpdated => "org.updated",
            MemberInvited => "member.invited",
            InvitationRevoked => "invitation.revoked",
            MemberJoined => "member.joined",
            MemberRoleChanged => "member.role_changed",
            MemberRemoved => "member.removed",
            MemberLeft => "member.left",
            ConnectionRequested => "connection.requested",
            ConnectionAccepted => "connection.accepted",
            ConnectionDeclined => "connection.declined",
            ConnectionEnded => "connection.ended",
            ConnectionLinkCreated => "connection.link_created",
            ConnectionLinkRevoked => "connection.link_revoked",
            TokenCreated => "token.created",
            TokenRevoked => "token.revoked",
            PasswordChanged => "user.password_changed",
            PasswordReset => "user.password_reset",
            SecondFactorEnabled => "user.second_factor_enabled",
            SecondFactorDisabled => "user.second_factor_disabled",
            ProfileUpdated => "profile.updated",
            AccountsImported => "accounts.imported",
            PopulationChanged => "population.changed",
            SharingChanged => "sharing.changed",
            MatchCorrected => "match.corrected",
            MappingExported => "mapping.exported",
            PartnershipCreated => "partnership.created",
            PartnershipAdvanced => "partnership.advanced",
            MaturityAssessed => "maturity.assessed",
            GateTemplateChanged => "gates.template_changed",
            InternalAssessmentSaved => "assessment.saved",
            IntakeUpdated => "intake.updated",
        }
    }
}
