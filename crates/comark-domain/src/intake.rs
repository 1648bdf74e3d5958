//! Inbound partnership requests: what a prospective partner proposes through an
//! organization's public form, and how the organization vets it before any partnership starts.

use serde::{Deserialize, Serialize};

use crate::{Email, ValidationErrors};

/// What the requester proposes to do together.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProposalKind {
    /// Creating content together (a report, a webinar, a guide).
    CoCreation,
    /// Promoting each other's offers to each other's audiences.
    CoPromotion,
    /// A campaign or offer under both brands.
    CoBranding,
    /// Selling together to shared accounts.
    CoSelling,
    /// An event, hosted or attended together.
    Event,
    /// Anything else.
    Other,
}

impl ProposalKind {
    /// Every kind, in the order forms offer them.
    pub const ALL: [ProposalKind; 6] = [
        ProposalKind::CoCreation,
        ProposalKind::CoPromotion,
        ProposalKind::CoBranding,
        ProposalKind::CoSelling,
        ProposalKind::Event,
        ProposalKind::Other,
    ];

    /// The stored and API name.
    pub fn as_str(self) -> &'static str {
        match self {
            ProposalKind::CoCreation => "co_creation",
            ProposalKind::CoPromotion => "co_promotion",
            ProposalKind::CoBranding => "co_branding",
            ProposalKind::CoSelling => "co_selling",
            ProposalKind::Event => "event",
            ProposalKind::Other => "other",
        }
    }

    /// How people say it.
    pub fn label(self) -> &'static str {
        match self {
            ProposalKind::CoCreation => "Co-creation",
            ProposalKind::CoPromotion => "Co-promotion",
            ProposalKind::CoBranding => "Co-branding",
            ProposalKind::CoSelling => "Co-selling",
            ProposalKind::Event => "Event",
            ProposalKind::Other => "Other",
        }
    }

    /// Reads a stored or typed name (dashes and case do not matter).
    pub fn parse(text: &str) -> Option<ProposalKind> {
        let key = text.trim().to_lowercase().replace(['-', ' '], "_");
        Self::ALL.into_iter().find(|k| k.as_str() == key)
    }
}

/// Where a request stands in the queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestStatus {
    /// Arrived; nobody looked at it yet.
    New,
    /// Someone is vetting it.
    Vetting,
    /// Accepted: the requester was told, a partnership may start.
    Accepted,
    /// Declined, with a note to the requester.
    Declined,
    /// Judged to be spam, by comark's checks or by a person.
    Spam,
}

impl RequestStatus {
    /// Every status, in queue order.
    pub const ALL: [RequestStatus; 5] = [
        RequestStatus::New,
        RequestStatus::Vetting,
        RequestStatus::Accepted,
        RequestStatus::Declined,
        RequestStatus::Spam,
    ];

    /// The stored and API name.
    pub fn as_str(self) -> &'static str {
        match self {
            RequestStatus::New => "new",
            RequestStatus::Vetting => "vetting",
            RequestStatus::Accepted => "accepted",
            RequestStatus::Declined => "declined",
            RequestStatus::Spam => "spam",
        }
    }

    /// How people say it.
    pub fn label(self) -> &'static str {
        match self {
            RequestStatus::New => "New",
            RequestStatus::Vetting => "Vetting",
            RequestStatus::Accepted => "Accepted",
            RequestStatus::Declined => "Declined",
            RequestStatus::Spam => "Spam",
        }
    }

    /// Reads a stored name.
    pub fn parse(text: &str) -> Option<RequestStatus> {
        Self::ALL.into_iter().find(|s| s.as_str() == text.trim())
    }

    /// Whether the request still waits for a decision.
    pub fn is_open(self) -> bool {
        matches!(self, RequestStatus::New | RequestStatus::Vetting)
    }
}

/// A decision on a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Go ahead with the requester.
    Accept,
    /// Say no, with a note.
    Decline,
    /// Mark it as spam.
    Spam,
    /// Take a declined or spam request back into vetting.
    Reopen,
}

impl Decision {
    /// Reads a typed name.
    pub fn parse(text: &str) -> Option<Decision> {
        match text.trim().to_lowercase().as_str() {
            "accept" => Some(Decision::Accept),
            "decline" => Some(Decision::Decline),
            "spam" => Some(Decision::Spam),
            "reopen" => Some(Decision::Reopen),
            _ => None,
        }
    }

    /// The status a request in `from` moves to, or why it cannot.
    pub fn apply(self, from: RequestStatus) -> Result<RequestStatus, &'static str> {
        use RequestStatus::*;
        match (self, from) {
            (Decision::Accept, New | Vetting) => Ok(Accepted),
            (Decision::Decline, New | Vetting) => Ok(Declined),
            (Decision::Spam, New | Vetting | Declined) => Ok(Spam),
            (Decision::Reopen, Declined | Spam) => Ok(Vetting),
            (Decision::Reopen, _) => Err("only a declined or spam request can be reopened"),
            (_, Accepted) => Err("this request was accepted already"),
            (_, Declined) => Err("this request was declined; reopen it first"),
            (_, Spam) => Err("this request is marked as spam; reopen it first"),
        }
    }
}

/// A vetting check's outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Not looked at yet.
    Pending,
    /// Fine.
    Pass,
    /// Worth a conversation before going on.
    Concern,
    /// A reason to decline.
    Fail,
}

impl Verdict {
    /// Every verdict.
    pub const ALL: [Verdict; 4] = [
        Verdict::Pending,
        Verdict::Pass,
        Verdict::Concern,
        Verdict::Fail,
    ];

    /// The stored and API name.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pending => "pending",
            Verdict::Pass => "pass",
            Verdict::Concern => "concern",
            Verdict::Fail => "fail",
        }
    }

    /// Reads a stored or typed name.
    pub fn parse(text: &str) -> Option<Verdict> {
        Self::ALL
            .into_iter()
            .find(|v| v.as_str() == text.trim().to_lowercase())
    }
}

/// The vetting checklist an organization starts with.
pub const DEFAULT_CHECKLIST: [&str; 5] = [
    "Shared values",
    "Audience fit",
    "Capacity to deliver",
    "Reputation",
    "Legal and compliance",
];

/// The longest checklist an organization may define.
pub const MAX_CHECKLIST_ITEMS: usize = 20;

/// Checks a checklist as typed (one item per entry): trimmed, no blanks, no repeats.
pub fn parse_checklist(items: &[String]) -> Result<Vec<String>, ValidationErrors> {
    let mut kept: Vec<String> = Vec::new();
    let mut errors = ValidationErrors::default();
    for item in items.iter().map(|i| i.trim()).filter(|i| !i.is_empty()) {
        if item.chars().count() > 120 {
            errors.add("checklist", "each item must be at most 120 characters");
        } else if !kept.iter().any(|k| k.eq_ignore_ascii_case(item)) {
            kept.push(item.to_owned());
        }
    }
    if kept.len() > MAX_CHECKLIST_ITEMS {
        errors.add(
            "checklist",
            format!("keep the checklist to {MAX_CHECKLIST_ITEMS} items"),
        );
    }
    errors.into_result()?;
    Ok(kept)
}

/// A request as typed into the public form or sent to the API.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct RequestForm {
    /// The person asking.
    pub name: String,
    /// Their e-mail address, for the answer.
    pub email: String,
    /// Their company.
    pub company: String,
    /// The company's website.
    #[serde(default)]
    pub website: String,
    /// What they propose (a [`ProposalKind`] name).
    pub kind: String,
    /// The audience they bring.
    #[serde(default)]
    pub audience: String,
    /// What they would contribute.
    #[serde(default)]
    pub contribution: String,
    /// Anything else.
    #[serde(default)]
    pub message: String,
}

/// A request that passed the form's checks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Proposal {
    /// The person asking.
    pub name: String,
    /// Their e-mail address.
    pub email: String,
    /// Their company.
    pub company: String,
    /// The company's website, if given.
    pub website: String,
    /// What they propose.
    pub kind: ProposalKind,
    /// The audience they bring.
    pub audience: String,
    /// What they would contribute.
    pub contribution: String,
    /// Anything else.
    pub message: String,
}

fn bounded(errors: &mut ValidationErrors, field: &str, text: &str, min: usize, max: usize) {
    let n = text.chars().count();
    if n < min {
        errors.add(field, "is required");
    } else if n > max {
        errors.add(field, format!("must be at most {max} characters"));
    }
}

impl RequestForm {
    /// Checks every field and names each bad one.
    pub fn parse(&self) -> Result<Proposal, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let name = self.name.trim();
        bounded(&mut errors, "name", name, 1, 120);
        let email = match Email::parse(&self.email) {
            Ok(email) => email.as_str().to_owned(),
            Err(error) => {
                errors.add("email", error.to_string());
                String::new()
            }
        };
        let company = self.company.trim();
        bounded(&mut errors, "company", company, 1, 160);
        let website = self.website.trim();
        bounded(&mut errors, "website", website, 0, 200);
        if !website.is_empty() && (website.contains(char::is_whitespace) || !website.contains('.'))
        {
            errors.add(
                "website",
                "give the company's web address, like example.com",
            );
        }
        let kind = ProposalKind::parse(&self.kind);
        if kind.is_none() {
            errors.add("kind", "choose what you propose");
        }
        let audience = self.audience.trim();
        bounded(&mut errors, "audience", audience, 0, 2000);
        let contribution = self.contribution.trim();
        bounded(&mut errors, "contribution", contribution, 0, 2000);
        let message = self.message.trim();
        bounded(&mut errors, "message", message, 1, 5000);
        errors.into_result()?;
        Ok(Proposal {
            name: name.to_owned(),
            email,
            company: company.to_owned(),
            website: website.to_owned(),
            kind: kind.unwrap_or(ProposalKind::Other),
            audience: audience.to_owned(),
            contribution: contribution.to_owned(),
            message: message.to_owned(),
        })
    }
}

/// Links a genuine request rarely needs; more than this in its free text reads as spam.
pub const MAX_LINKS: usize = 3;

/// Why a proposal's content looks like spam, if it does: link-stuffing, or text that is
/// mostly not words.
pub fn spam_signal(proposal: &Proposal) -> Option<String> {
    let text = [
        proposal.audience.as_str(),
        proposal.contribution.as_str(),
        proposal.message.as_str(),
    ]
    .join(" ");
    let lower = text.to_lowercase();
    let links = lower.matches("http://").count()
        + lower.matches("https://").count()
        + lower.matches("[url").count();
    if links > MAX_LINKS {
        return Some(format!("{links} links in the text"));
    }
    let letters = text.chars().filter(|c| c.is_alphabetic()).count();
    let visible = text.chars().filter(|c| !c.is_whitespace()).count();
    if visible >= 40 && letters * 2 < visible {
        return Some("the text is mostly not words".into());
    }
    None
}

/// How far the vetting got: checks passed, raised concerns, failed, and still pending.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct VettingProgress {
    /// Checks that passed.
    pub passed: usize,
    /// Checks with a concern.
    pub concerns: usize,
    /// Checks that failed.
    pub failed: usize,
    /// Checks nobody answered yet.
    pub pending: usize,
}

/// Sums a checklist's verdicts; items without a verdict are pending.
pub fn vetting_progress<'a>(
    checklist: &[String],
    verdicts: impl Fn(&str) -> Option<Verdict> + 'a,
) -> VettingProgress {
    let mut progress = VettingProgress::default();
    for item in checklist {
        match verdicts(item).unwrap_or(Verdict::Pending) {
            Verdict::Pending => progress.pending += 1,
            Verdict::Pass => progress.passed += 1,
            Verdict::Concern => progress.concerns += 1,
            Verdict::Fail => progress.failed += 1,
        }
    }
    progress
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> RequestForm {
        RequestForm {
            name: "Ada Lovelace".into(),
            email: "ada@brightlane.example".into(),
            company: "Brightlane".into(),
            website: "brightlane.example".into(),
            kind: "co-promotion".into(),
            audience: "12,000 marketing ops subscribers".into(),
            contribution: "A newsletter feature and a webinar slot".into(),
            message: "We would like to promote your integration to our readers.".into(),
        }
    }

    #[test]
    fn a_complete_form_parses() {
        let proposal = form().parse().expect("valid form");
        assert_eq!(proposal.kind, ProposalKind::CoPromotion);
        assert_eq!(proposal.email, "ada@brightlane.example");
        assert_eq!(spam_signal(&proposal), None);
    }

    #[test]
    fn each_bad_field_is_named() {
        let bad = RequestForm {
            name: " ".into(),
            email: "not an address".into(),
            company: String::new(),
            website: "not a site".into(),
            kind: "partying".into(),
            message: String::new(),
            ..form()
        };
        let errors = bad.parse().expect_err("invalid form");
        let fields: Vec<&str> = errors.0.iter().map(|f| f.field.as_str()).collect();
        for field in ["name", "email", "company", "website", "kind", "message"] {
            assert!(fields.contains(&field), "{field} not named in {fields:?}");
        }
    }

    #[test]
    fn link_stuffing_and_gibberish_read_as_spam() {
        let mut proposal = form().parse().expect("valid form");
        proposal.message =
            "cheap https://a.example https://b.example https://c.example https://d.example".into();
        assert!(spam_signal(&proposal).expect("spam").contains("4 links"));
        proposal.audience.clear();
        proposal.contribution.clear();
        proposal.message = "$$$ 1234 5678 #### %%%% 9999 0000 ++++ ==== 1111 2222".into();
        assert!(spam_signal(&proposal).is_some());
        proposal.message = "Two links are fine: https://a.example and https://b.example".into();
        assert_eq!(spam_signal(&proposal), None);
    }

    #[test]
    fn decisions_follow_the_queue() {
        use RequestStatus::*;
        assert_eq!(Decision::Accept.apply(Vetting), Ok(Accepted));
        assert_eq!(Decision::Decline.apply(New), Ok(Declined));
        assert_eq!(Decision::Reopen.apply(Spam), Ok(Vetting));
        assert!(Decision::Accept.apply(Accepted).is_err());
        assert!(Decision::Accept.apply(Declined).is_err());
        assert!(Decision::Reopen.apply(Accepted).is_err());
        assert!(Decision::Reopen.apply(New).is_err());
    }

    #[test]
    fn checklists_are_trimmed_and_deduplicated() {
        let items = vec![
            " Shared values ".to_owned(),
            "shared values".to_owned(),
            String::new(),
            "Legal".to_owned(),
        ];
        assert_eq!(
            parse_checklist(&items).expect("valid"),
            vec!["Shared values".to_owned(), "Legal".to_owned()]
        );
        let too_many: Vec<String> = (0..=MAX_CHECKLIST_ITEMS)
            .map(|i| format!("Item {i}"))
            .collect();
        assert!(parse_checklist(&too_many).is_err());
    }

    #[test]
    fn progress_counts_each_verdict() {
        let checklist: Vec<String> = DEFAULT_CHECKLIST.iter().map(|s| (*s).to_owned()).collect();
        let progress = vetting_progress(&checklist, |item| match item {
            "Shared values" => Some(Verdict::Pass),
            "Audience fit" => Some(Verdict::Concern),
            "Reputation" => Some(Verdict::Fail),
            _ => None,
        });
        assert_eq!(
            progress,
            VettingProgress {
                passed: 1,
                concerns: 1,
                failed: 1,
                pending: 2
            }
        );
    }
}
