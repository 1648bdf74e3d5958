//! Imported CRM accounts, the populations they fall into, and what a partner may see of them.
//!
//! Two connected organizations see the overlap of their accounts ("account mapping"). Each
//! side's data owner decides, per partner and per population, how much the partner sees. The
//! rules here are the product's privacy promise, so they live in one pure function, [`view`],
//! that can be checked exhaustively without a database.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::validate::InvalidValue;
use crate::{FieldError, ValidationErrors};

/// The built-in population an imported account falls into.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BasePopulation {
    /// Already buys from the organization.
    Customer,
    /// Has an open deal.
    Opportunity,
    /// Neither yet: a lead or a target.
    Prospect,
    /// Not an account to co-sell into, or nobody can tell: partners, resellers, competitors,
    /// analysts, the press, investors, "Other", and values comark cannot read.
    Unclassified,
}

impl BasePopulation {
    /// Every built-in population, in the order they are shown.
    pub const ALL: [BasePopulation; 4] = [
        BasePopulation::Customer,
        BasePopulation::Opportunity,
        BasePopulation::Prospect,
        BasePopulation::Unclassified,
    ];

    /// The stable name, also the population's slug.
    pub fn as_str(self) -> &'static str {
        match self {
            BasePopulation::Customer => "customer",
            BasePopulation::Opportunity => "opportunity",
            BasePopulation::Prospect => "prospect",
            BasePopulation::Unclassified => "unclassified",
        }
    }

    /// Reads a stable name, ignoring case and surrounding spaces.
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        Self::ALL
            .into_iter()
            .find(|p| p.as_str().eq_ignore_ascii_case(s))
    }

    /// The stable names, for messages: "customer, opportunity, prospect or unclassified".
    pub fn choices() -> String {
        let names: Vec<&str> = Self::ALL.iter().map(|p| p.as_str()).collect();
        match names.split_last() {
            Some((last, [])) => (*last).to_owned(),
            Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
            None => String::new(),
        }
    }

    /// A label for people.
    pub fn label(self) -> &'static str {
        match self {
            BasePopulation::Customer => "Customers",
            BasePopulation::Opportunity => "Open opportunities",
            BasePopulation::Prospect => "Prospects",
            BasePopulation::Unclassified => "Unclassified accounts",
        }
    }

    /// Reads a CRM's standard value: Salesforce's account `Type` picklist or HubSpot's
    /// `Lifecycle Stage`, in its internal form (`salesqualifiedlead`) or its label
    /// (`Sales Qualified Lead`). `None` for a blank value and for one that is no standard
    /// value; the caller decides what those mean.
    ///
    /// Case, spaces and punctuation are ignored, so `Customer - Direct`, `customer_direct`
    /// and `CUSTOMER DIRECT` read alike. Customers (any `Customer - ...` split, and HubSpot's
    /// evangelists, who are customers that advocate) are customers; open deals are
    /// opportunities; leads, subscribers and prospects are prospects. Partners of every kind,
    /// resellers, integrators, competitors, analysts, the press, investors and `Other` are
    /// unclassified: they are not accounts to co-sell into, and comark should not guess.
    pub fn from_crm_value(value: &str) -> Option<Self> {
        use BasePopulation::*;
        let lower = value.trim().to_lowercase();
        // Salesforce splits customers by channel ("Customer - Direct", "Customer - Channel"),
        // and organizations add their own splits the same way.
        if let Some(rest) = lower.strip_prefix("customer") {
            if rest.is_empty() || rest.starts_with(|c: char| !c.is_alphanumeric()) {
                return Some(Customer);
            }
        }
        let key: String = lower.chars().filter(|c| c.is_alphanumeric()).collect();
        Some(match key.as_str() {
            "evangelist" => Customer,
            "opportunity" | "openopportunity" | "opendeal" | "deal" => Opportunity,
            "prospect"
            | "subscriber"
            | "lead"
            | "marketingqualifiedlead"
            | "salesqualifiedlead"
            | "mql"
            | "sql" => Prospect,
            "unclassified"
            | "other"
            | "partner"
            | "channelpartnerreseller"
            | "channelpartner"
            | "installationpartner"
            | "technologypartner"
            | "reseller"
            | "integrator"
            | "competitor"
            | "analyst"
            | "press"
            | "investor" => Unclassified,
            _ => return None,
        })
    }
}

/// A population's short name: a built-in one (`customer`...) or a custom slug.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PopulationSlug(String);

impl PopulationSlug {
    /// Longest accepted slug.
    pub const MAX_CHARS: usize = 40;

    /// Parses a slug: 1 to 40 letters a-z, digits and inner hyphens, after lower-casing.
    pub fn parse(s: &str) -> Result<Self, FieldError> {
        let value = s.trim().to_lowercase();
        let refused = |why: InvalidValue| FieldError {
            field: "slug".to_owned(),
            message: why.to_string(),
        };
        if value.is_empty() {
            return Err(refused(InvalidValue::Missing));
        }
        if value.chars().count() > Self::MAX_CHARS {
            return Err(refused(InvalidValue::TooLong(Self::MAX_CHARS)));
        }
        if !value
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            || value.starts_with('-')
            || value.ends_with('-')
        {
            return Err(refused(InvalidValue::Malformed(
                "may hold only letters a-z, digits and hyphens, and cannot start or end with a hyphen",
            )));
        }
        Ok(Self(value))
    }

    /// The slug of a built-in population.
    pub fn builtin(p: BasePopulation) -> Self {
        Self(p.as_str().to_owned())
    }

    /// The slug.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The built-in population this slug names, if it names one.
    pub fn base(&self) -> Option<BasePopulation> {
        BasePopulation::ALL
            .into_iter()
            .find(|p| p.as_str() == self.0)
    }
}

impl std::fmt::Display for PopulationSlug {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Deserialization goes through [`PopulationSlug::parse`], so a stored or posted slug is
/// always valid. The error is `ValidationErrors` because `FieldError` is not displayable.
impl TryFrom<String> for PopulationSlug {
    type Error = ValidationErrors;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value).map_err(|error| ValidationErrors(vec![error]))
    }
}

impl From<PopulationSlug> for String {
    fn from(slug: PopulationSlug) -> Self {
        slug.0
    }
}

/// How one condition compares an account's field with a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConditionOp {
    /// The whole value is the same.
    Equals,
    /// The whole value differs (a missing field differs from anything but "").
    NotEquals,
    /// The value is one of a comma-separated list.
    OneOf,
    /// The value holds the text somewhere.
    Contains,
    /// The value is a number at least this large.
    AtLeast,
    /// The value is a number at most this large.
    AtMost,
}

/// One test on an imported field, e.g. region equals EMEA.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Condition {
    /// The imported field's name, as stored with the account.
    pub field: String,
    /// How to compare.
    pub op: ConditionOp,
    /// What to compare with; a comma-separated list for [`ConditionOp::OneOf`].
    pub value: String,
}

impl Condition {
    /// Whether an account's fields pass this test. A missing field reads as "".
    pub fn holds(&self, fields: &BTreeMap<String, String>) -> bool {
        let actual = fields
            .get(self.field.trim())
            .map(String::as_str)
            .unwrap_or("");
        let actual_text = fold(actual);
        match self.op {
            ConditionOp::Equals => actual_text == fold(&self.value),
            ConditionOp::NotEquals => actual_text != fold(&self.value),
            ConditionOp::OneOf => one_of_items(&self.value).any(|item| item == actual_text),
            ConditionOp::Contains => actual_text.contains(&fold(&self.value)),
            ConditionOp::AtLeast | ConditionOp::AtMost => {
                match (lenient_number(actual), lenient_number(&self.value)) {
                    (Some(a), Some(b)) if self.op == ConditionOp::AtLeast => a >= b,
                    (Some(a), Some(b)) => a <= b,
                    _ => false,
                }
            }
        }
    }

    fn describe(&self) -> String {
        let field = self.field.trim();
        let value = self.value.trim();
        match self.op {
            ConditionOp::Equals if value.is_empty() => format!("{field} is empty"),
            ConditionOp::NotEquals if value.is_empty() => format!("{field} is not empty"),
            ConditionOp::Equals => format!("{field} is {value}"),
            ConditionOp::NotEquals => format!("{field} is not {value}"),
            ConditionOp::OneOf => {
                let items: Vec<&str> = value
                    .split(',')
                    .map(str::trim)
                    .filter(|item| !item.is_empty())
                    .collect();
                format!("{field} is one of {}", items.join(", "))
            }
            ConditionOp::Contains => format!("{field} contains {value}"),
            ConditionOp::AtLeast => format!("{field} at least {value}"),
            ConditionOp::AtMost => format!("{field} at most {value}"),
        }
    }
}

/// Text is compared the way people read it: without case or surrounding spaces.
fn fold(text: &str) -> String {
    text.trim().to_lowercase()
}

/// The items of a `OneOf` list. Empty items are dropped, so that a trailing comma does not
/// make the condition hold for accounts that lack the field.
fn one_of_items(list: &str) -> impl Iterator<Item = String> + '_ {
    list.split(',').map(fold).filter(|item| !item.is_empty())
}

/// The symbols CRMs put in money fields: the common ones and Unicode's Currency Symbols block.
fn is_currency_symbol(c: char) -> bool {
    matches!(c, '$' | '¢' | '£' | '¤' | '¥' | '\u{20A0}'..='\u{20CF}')
}

/// Reads a number the way CRMs export them: "1,200", "1 200", "$5,000,000", "1200.5".
///
/// Commas and spaces are taken as thousands separators only between groups of three
/// digits, so a decimal comma ("1,5") is refused rather than read as fifteen.
fn lenient_number(raw: &str) -> Option<f64> {
    let text: String = raw.chars().filter(|c| !is_currency_symbol(*c)).collect();
    let text = text.trim();
    let (negative, unsigned) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let all_digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    let groups: Vec<&str> = whole
        .split(|c: char| c == ',' || c.is_whitespace())
        .collect();
    let grouped_well = match groups.split_first() {
        Some((first, [])) => all_digits(first),
        Some((first, rest)) => {
            (1..=3).contains(&first.len())
                && all_digits(first)
                && rest.iter().all(|g| g.len() == 3 && all_digits(g))
        }
        None => false,
    };
    if !grouped_well || !all_digits(fraction) || (whole.is_empty() && fraction.is_empty()) {
        return None;
    }
    let sign = if negative { "-" } else { "" };
    // Zeros on both ends keep either part from being empty (".5", "12.") and change nothing.
    let number: f64 = format!("{sign}0{}.{fraction}0", groups.concat())
        .parse()
        .ok()?;
    number.is_finite().then_some(number)
}

/// A custom population's rule: an optional base population and conditions that must all hold.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PopulationRule {
    /// The built-in population the account must be in, if any.
    pub base: Option<BasePopulation>,
    /// Conditions on imported fields, all of which must hold.
    pub all: Vec<Condition>,
}

impl PopulationRule {
    /// Whether an account of population `base` with these fields falls into this population.
    pub fn matches(&self, base: BasePopulation, fields: &BTreeMap<String, String>) -> bool {
        self.base.is_none_or(|wanted| wanted == base)
            && self.all.iter().all(|condition| condition.holds(fields))
    }

    /// Checks the rule can mean something: it must narrow accounts down, name its fields,
    /// and compare numbers with numbers.
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let mut refuse = |field: String, message: &str| {
            errors.0.push(FieldError {
                field,
                message: message.to_owned(),
            })
        };
        if self.base.is_none() && self.all.is_empty() {
            refuse(
                "all".to_owned(),
                "needs a base population or at least one condition",
            );
        }
        for (i, condition) in self.all.iter().enumerate() {
            if condition.field.trim().is_empty() {
                refuse(format!("all[{i}].field"), "is required");
            }
            match condition.op {
                ConditionOp::AtLeast | ConditionOp::AtMost
                    if lenient_number(&condition.value).is_none() =>
                {
                    refuse(format!("all[{i}].value"), "must be a number");
                }
                ConditionOp::OneOf if one_of_items(&condition.value).next().is_none() => {
                    refuse(
                        format!("all[{i}].value"),
                        "needs at least one value, separated by commas",
                    );
                }
                _ => {}
            }
        }
        errors.into_result()
    }

    /// The rule as a sentence, e.g. "customers where region is EMEA and employees at least 1000".
    pub fn describe(&self) -> String {
        let subject = match self.base {
            Some(base) => base.label().to_lowercase(),
            None => "accounts".to_owned(),
        };
        if self.all.is_empty() {
            return if self.base.is_some() {
                subject
            } else {
                "all accounts".to_owned()
            };
        }
        let conditions: Vec<String> = self.all.iter().map(Condition::describe).collect();
        format!("{subject} where {}", conditions.join(" and "))
    }
}

/// What a partner may see of one population.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum SharingLevel {
    /// Nothing: the population does not even appear as a column.
    #[default]
    Hidden,
    /// How many accounts overlap, but not which.
    Counts,
    /// Which accounts overlap: their names and domains.
    Overlaps,
    /// Which accounts overlap, with the fields the owner picked.
    OverlapsWithFields,
}

impl SharingLevel {
    /// Every level, from least to most revealing.
    pub const ALL: [SharingLevel; 4] = [
        SharingLevel::Hidden,
        SharingLevel::Counts,
        SharingLevel::Overlaps,
        SharingLevel::OverlapsWithFields,
    ];

    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            SharingLevel::Hidden => "hidden",
            SharingLevel::Counts => "counts",
            SharingLevel::Overlaps => "overlaps",
            SharingLevel::OverlapsWithFields => "overlaps_with_fields",
        }
    }

    /// Reads a stable name, ignoring case and surrounding spaces.
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        Self::ALL
            .into_iter()
            .find(|level| level.as_str().eq_ignore_ascii_case(s))
    }

    /// A label for people.
    pub fn label(self) -> &'static str {
        match self {
            SharingLevel::Hidden => "Hidden",
            SharingLevel::Counts => "Counts only",
            SharingLevel::Overlaps => "Overlapping accounts",
            SharingLevel::OverlapsWithFields => "Overlapping accounts with fields",
        }
    }
}

/// A level with the fields it reveals (fields matter only at `OverlapsWithFields`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Share {
    /// How much the partner sees.
    pub level: SharingLevel,
    /// The imported fields the partner sees, at [`SharingLevel::OverlapsWithFields`].
    pub fields: Vec<String>,
}

impl Share {
    /// Nothing shared: what every population gets until its owner decides otherwise.
    pub fn hidden() -> Self {
        Share {
            level: SharingLevel::Hidden,
            fields: Vec::new(),
        }
    }
}

/// One owner's sharing towards one partner, per population; unset populations are hidden.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharingPolicy {
    /// The share of each population the owner has decided on.
    pub by_population: BTreeMap<PopulationSlug, Share>,
}

impl SharingPolicy {
    /// The share of a population: hidden with no fields if unset, so sharing is opt-in.
    pub fn share(&self, population: &PopulationSlug) -> Share {
        self.by_population
            .get(population)
            .cloned()
            .unwrap_or_else(Share::hidden)
    }
}

/// A population as shown in the matrix.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PopulationInfo {
    /// Its slug.
    pub slug: PopulationSlug,
    /// Its name for people.
    pub label: String,
}

impl PopulationInfo {
    /// A built-in population with its usual label.
    pub fn builtin(p: BasePopulation) -> Self {
        PopulationInfo {
            slug: PopulationSlug::builtin(p),
            label: p.label().to_owned(),
        }
    }
}

/// An account taking part in a mapping, as its owner stores it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MappedAccount {
    /// The owner's id for the account.
    pub id: Uuid,
    /// The company's name.
    pub name: String,
    /// The company's website domain, if known.
    pub domain: Option<String>,
    /// The populations the account falls into.
    pub populations: Vec<PopulationSlug>,
    /// Imported fields, by name.
    pub fields: BTreeMap<String, String>,
}

/// How sure a match is, by the pass that found it: the same registrable domain (high), the
/// same folded name where one side has no website (medium), or the same folded name with
/// websites that differ (low: subsidiaries and namesakes look alike, so it is for review).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchConfidence {
    /// Both accounts have the same registrable domain.
    High,
    /// The same folded name, and one of the two has no website.
    Medium,
    /// The same folded name, with websites that differ.
    Low,
}

impl MatchConfidence {
    /// The stored name (`high`, `medium`, `low`).
    pub fn as_str(self) -> &'static str {
        match self {
            MatchConfidence::High => "high",
            MatchConfidence::Medium => "medium",
            MatchConfidence::Low => "low",
        }
    }

    /// Reads a stored name.
    pub fn parse(value: &str) -> Option<MatchConfidence> {
        match value {
            "high" => Some(MatchConfidence::High),
            "medium" => Some(MatchConfidence::Medium),
            "low" => Some(MatchConfidence::Low),
            _ => None,
        }
    }

    /// Why two accounts met on `key`, in words a person can check.
    pub fn reason(self, key: &str) -> String {
        match self {
            MatchConfidence::High => format!("same website domain {key}"),
            MatchConfidence::Medium => {
                format!("same company name \"{key}\"; one side has no website")
            }
            MatchConfidence::Low => {
                format!("same company name \"{key}\" but different websites: check it")
            }
        }
    }
}

/// One of our accounts matched with one of theirs, by indices into the two account lists.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MatchedPair {
    /// The match key both accounts share (a domain or a folded name).
    pub key: String,
    /// How sure the match is.
    pub confidence: MatchConfidence,
    /// Whether a person made or confirmed the match rather than the matcher.
    pub manual: bool,
    /// Index into [`MappingInput::ours`].
    pub ours: usize,
    /// Index into [`MappingInput::theirs`].
    pub theirs: usize,
}

/// Everything the viewer's side of a mapping is computed from.
#[derive(Clone, Copy, Debug)]
pub struct MappingInput<'a> {
    /// Our populations, in the order to show them.
    pub our_populations: &'a [PopulationInfo],
    /// Their populations, in the order to show them.
    pub their_populations: &'a [PopulationInfo],
    /// Our accounts that take part in the mapping.
    pub ours: &'a [MappedAccount],
    /// Their accounts that take part in the mapping.
    pub theirs: &'a [MappedAccount],
    /// The matches between the two lists; pairs pointing outside them are ignored.
    pub pairs: &'a [MatchedPair],
    /// What the partner lets us see of their populations.
    pub their_policy: &'a SharingPolicy,
}

/// What the partner allows us to see of one of their matched accounts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PartnerAccount {
    /// The company's name in their CRM.
    pub name: String,
    /// The company's domain in their CRM, if known.
    pub domain: Option<String>,
    /// Their populations the account falls into, among those shared at least as counts.
    pub populations: Vec<PopulationSlug>,
    /// The fields they chose to reveal for the account's populations.
    pub fields: BTreeMap<String, String>,
}

/// One overlapping account as the viewer may see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SharedAccount {
    /// The match key.
    pub key: String,
    /// How sure the match is.
    pub confidence: MatchConfidence,
    /// Which key met and why that makes a match, in words (see [`MatchConfidence::reason`]).
    pub reason: String,
    /// Whether a person made or confirmed the match.
    pub manual: bool,
    /// Our own account, in full.
    pub ours: MappedAccount,
    /// What the partner lets us see of theirs.
    pub theirs: PartnerAccount,
}

/// The viewer's side of a mapping: the overlap matrix and the accounts the partner allows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MappingView {
    /// All of our populations, in input order.
    pub rows: Vec<PopulationInfo>,
    /// Their populations shared at least as counts, in input order.
    pub columns: Vec<PopulationInfo>,
    /// How many of their populations are hidden from us.
    pub hidden_columns: usize,
    /// `cells[row][col]`: how many distinct match keys fall in both populations.
    pub cells: Vec<Vec<u64>>,
    /// How many distinct match keys are counted in at least one cell.
    pub shared_keys: u64,
    /// How many more distinct keys only low-confidence matches found (the same name, other
    /// websites) in the populations counted: listed for review, never counted in a cell.
    pub review_keys: u64,
    /// How many overlapping accounts (matched pairs) the partner lets us see in all.
    pub listed: u64,
    /// The fields of theirs the partner reveals for some population, by name.
    pub revealed_fields: Vec<String>,
    /// The overlapping accounts the partner lets us see, by our account's name: all of
    /// them from [`view`], one page of them from the store.
    pub accounts: Vec<SharedAccount>,
}

impl MappingView {
    /// The count where one of our populations meets one of theirs, if both are shown.
    pub fn cell(&self, row: &PopulationSlug, col: &PopulationSlug) -> Option<u64> {
        let r = self.rows.iter().position(|p| &p.slug == row)?;
        let c = self.columns.iter().position(|p| &p.slug == col)?;
        self.cells.get(r)?.get(c).copied()
    }
}

/// Computes what the viewer may see: nothing the partner's policy does not allow.
///
/// The whole view at once, for mappings small enough to hold: the matrix read from the
/// mapping's [`MappingSummary`] and every listed account. The store reads the same summary
/// and pages the accounts in SQL, through the same [`Lister`].
pub fn view(input: &MappingInput<'_>) -> MappingView {
    let pairs: Vec<&MatchedPair> = input
        .pairs
        .iter()
        .filter(|pair| pair.ours < input.ours.len() && pair.theirs < input.theirs.len())
        .collect();
    // The viewer's side plays "low" in the summary; which side does is a convention.
    let summary = MappingSummary::of(pairs.iter().map(|pair| SummaryPair {
        key: &pair.key,
        confidence: pair.confidence,
        manual: pair.manual,
        low: &input.ours[pair.ours].populations,
        high: &input.theirs[pair.theirs].populations,
    }));
    let mut view = summary.matrix(
        Side::Low,
        input.our_populations,
        input.their_populations,
        input.their_policy,
    );
    let lister = Lister::new(input.their_populations, input.their_policy);
    let mut accounts: Vec<SharedAccount> = pairs
        .iter()
        .filter_map(|pair| {
            lister.shared(
                &pair.key,
                pair.confidence,
                pair.manual,
                &input.ours[pair.ours],
                &input.theirs[pair.theirs],
            )
        })
        .collect();
    // Stable, so pairs that tie keep their input order and the view is deterministic.
    accounts.sort_by_cached_key(|a| {
        (
            a.ours.name.to_lowercase(),
            a.key.clone(),
            a.theirs.name.clone(),
        )
    });
    view.accounts = accounts;
    view
}

/// Which side of a connection: the organization with the lower id, or the higher.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// The lower-id organization.
    Low,
    /// The higher-id organization.
    High,
}

/// One match with the populations of its two accounts: what a summary counts.
#[derive(Clone, Copy, Debug)]
pub struct SummaryPair<'a> {
    /// The match key.
    pub key: &'a str,
    /// How sure the match is.
    pub confidence: MatchConfidence,
    /// Whether a person made it.
    pub manual: bool,
    /// The low side's account's populations.
    pub low: &'a [PopulationSlug],
    /// The high side's account's populations.
    pub high: &'a [PopulationSlug],
}

/// How many distinct keys meet where a low population meets a high one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SummaryCell {
    /// The low side's population.
    pub low: PopulationSlug,
    /// The high side's population.
    pub high: PopulationSlug,
    /// Distinct keys of sure matches between the two.
    pub keys: u64,
}

/// A count of keys or pairs whose accounts on one side fall into exactly these populations.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PopulationGroup {
    /// The populations, sorted.
    pub populations: Vec<PopulationSlug>,
    /// How many.
    pub count: u64,
}

/// A summary's counts with one side's populations as the matrix columns.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnSide {
    /// Keys of sure matches, by the union of this side's populations over their pairs.
    pub sure_keys: Vec<PopulationGroup>,
    /// Keys only low-confidence matches found, by the same union over those pairs.
    pub review_keys: Vec<PopulationGroup>,
    /// Every pair, by this side's account's populations.
    pub pairs: Vec<PopulationGroup>,
}

/// The counts of a mapping, computed once per recompute, from which either side's matrix is
/// read under any sharing policy without loading the matches: a million pairs become a few
/// dozen numbers.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MappingSummary {
    /// Every cell of low populations by high populations that holds a key.
    pub cells: Vec<SummaryCell>,
    /// The low side's populations as columns (what the high side sees).
    pub low: ColumnSide,
    /// The high side's populations as columns (what the low side sees).
    pub high: ColumnSide,
}

impl MappingSummary {
    /// Counts a mapping's matches. A low-confidence match (the same name, other websites)
    /// may be a namesake: it is listed for review and counted apart, never in a cell.
    pub fn of<'a>(pairs: impl IntoIterator<Item = SummaryPair<'a>>) -> MappingSummary {
        struct Key<'a> {
            sure: bool,
            cells: BTreeSet<(&'a PopulationSlug, &'a PopulationSlug)>,
            low: BTreeSet<&'a PopulationSlug>,
            high: BTreeSet<&'a PopulationSlug>,
        }
        let mut keys: std::collections::HashMap<&str, Key<'a>> = std::collections::HashMap::new();
        let mut low_pairs: BTreeMap<Vec<&PopulationSlug>, u64> = BTreeMap::new();
        let mut high_pairs: BTreeMap<Vec<&PopulationSlug>, u64> = BTreeMap::new();
        let set = |slugs: &'a [PopulationSlug]| -> Vec<&'a PopulationSlug> {
            let mut set: Vec<&PopulationSlug> = slugs.iter().collect();
            set.sort();
            set.dedup();
            set
        };
        for pair in pairs {
            *low_pairs.entry(set(pair.low)).or_default() += 1;
            *high_pairs.entry(set(pair.high)).or_default() += 1;
            let sure = pair.manual || pair.confidence != MatchConfidence::Low;
            let key = keys.entry(pair.key).or_insert_with(|| Key {
                sure,
                cells: BTreeSet::new(),
                low: BTreeSet::new(),
                high: BTreeSet::new(),
            });
            if sure && !key.sure {
                // The first sure pair of a key that was only for review: the review
                // pairs' populations no longer say anything about it.
                *key = Key {
                    sure,
                    cells: BTreeSet::new(),
                    low: BTreeSet::new(),
                    high: BTreeSet::new(),
                };
            }
            if sure != key.sure {
                continue;
            }
            key.low.extend(pair.low);
            key.high.extend(pair.high);
            if sure {
                for low in pair.low {
                    for high in pair.high {
                        key.cells.insert((low, high));
                    }
                }
            }
        }
        let mut cells: BTreeMap<(&PopulationSlug, &PopulationSlug), u64> = BTreeMap::new();
        let mut groups: [BTreeMap<Vec<&PopulationSlug>, u64>; 4] = Default::default();
        for key in keys.into_values() {
            for cell in key.cells {
                *cells.entry(cell).or_default() += 1;
            }
            let at = if key.sure { 0 } else { 2 };
            *groups[at].entry(key.low.into_iter().collect()).or_default() += 1;
            *groups[at + 1]
                .entry(key.high.into_iter().collect())
                .or_default() += 1;
        }
        let list = |groups: BTreeMap<Vec<&PopulationSlug>, u64>| -> Vec<PopulationGroup> {
            groups
                .into_iter()
                .map(|(populations, count)| PopulationGroup {
                    populations: populations.into_iter().cloned().collect(),
                    count,
                })
                .collect()
        };
        let [sure_low, sure_high, review_low, review_high] = groups;
        MappingSummary {
            cells: cells
                .into_iter()
                .map(|((low, high), keys)| SummaryCell {
                    low: low.clone(),
                    high: high.clone(),
                    keys,
                })
                .collect(),
            low: ColumnSide {
                sure_keys: list(sure_low),
                review_keys: list(review_low),
                pairs: list(low_pairs),
            },
            high: ColumnSide {
                sure_keys: list(sure_high),
                review_keys: list(review_high),
                pairs: list(high_pairs),
            },
        }
    }

    /// The matrix as `viewer` sees it, with no accounts listed yet: our populations as rows,
    /// theirs that they share at least as counts as columns.
    pub fn matrix(
        &self,
        viewer: Side,
        our_populations: &[PopulationInfo],
        their_populations: &[PopulationInfo],
        their_policy: &SharingPolicy,
    ) -> MappingView {
        let level_of = |slug: &PopulationSlug| {
            if their_populations.iter().any(|p| &p.slug == slug) {
                their_policy.share(slug).level
            } else {
                SharingLevel::Hidden
            }
        };
        let rows = our_populations.to_vec();
        let columns: Vec<PopulationInfo> = their_populations
            .iter()
            .filter(|p| level_of(&p.slug) >= SharingLevel::Counts)
            .cloned()
            .collect();
        let hidden_columns = their_populations.len() - columns.len();
        let mut cells = vec![vec![0u64; columns.len()]; rows.len()];
        for cell in &self.cells {
            let (ours, theirs) = match viewer {
                Side::Low => (&cell.low, &cell.high),
                Side::High => (&cell.high, &cell.low),
            };
            let r = rows.iter().position(|p| &p.slug == ours);
            let c = columns.iter().position(|p| &p.slug == theirs);
            if let (Some(r), Some(c)) = (r, c) {
                cells[r][c] += cell.keys;
            }
        }
        let theirs = match viewer {
            Side::Low => &self.high,
            Side::High => &self.low,
        };
        let count = |groups: &[PopulationGroup], at_least: SharingLevel| -> u64 {
            groups
                .iter()
                .filter(|g| g.populations.iter().any(|s| level_of(s) >= at_least))
                .map(|g| g.count)
                .sum()
        };
        MappingView {
            rows,
            columns,
            hidden_columns,
            cells,
            shared_keys: count(&theirs.sure_keys, SharingLevel::Counts),
            review_keys: count(&theirs.review_keys, SharingLevel::Counts),
            listed: count(&theirs.pairs, SharingLevel::Overlaps),
            revealed_fields: their_populations
                .iter()
                .map(|p| their_policy.share(&p.slug))
                .filter(|share| share.level == SharingLevel::OverlapsWithFields)
                .flat_map(|share| share.fields)
                .collect::<BTreeSet<String>>()
                .into_iter()
                .collect(),
            accounts: Vec::new(),
        }
    }
}

/// Turns matched pairs into what the viewer may see of them under the partner's policy.
#[derive(Clone, Debug)]
pub struct Lister {
    shares: BTreeMap<PopulationSlug, Share>,
}

impl Lister {
    /// A lister for the partner's populations and policy.
    pub fn new(their_populations: &[PopulationInfo], their_policy: &SharingPolicy) -> Lister {
        Lister {
            shares: their_populations
                .iter()
                .map(|p| (p.slug.clone(), their_policy.share(&p.slug)))
                .collect(),
        }
    }

    /// One matched pair as the viewer may see it, or `None` when the partner shows none of
    /// its account's populations at `Overlaps` or above.
    pub fn shared(
        &self,
        key: &str,
        confidence: MatchConfidence,
        manual: bool,
        ours: &MappedAccount,
        theirs: &MappedAccount,
    ) -> Option<SharedAccount> {
        let theirs = partner_account(theirs, &self.shares)?;
        let reason = match manual {
            true => format!("matched by hand on {key}"),
            false => confidence.reason(key.strip_prefix("name:").unwrap_or(key)),
        };
        Some(SharedAccount {
            key: key.to_owned(),
            confidence,
            reason,
            manual,
            ours: ours.clone(),
            theirs,
        })
    }
}

/// What may be shown of one of their accounts, or `None` when none of its populations is
/// shared at `Overlaps` or above.
fn partner_account(
    account: &MappedAccount,
    shares: &BTreeMap<PopulationSlug, Share>,
) -> Option<PartnerAccount> {
    let mut populations: Vec<PopulationSlug> = Vec::new();
    let mut revealed: BTreeSet<&str> = BTreeSet::new();
    let mut shown = false;
    for slug in &account.populations {
        let Some(share) = shares.get(slug) else {
            continue;
        };
        if share.level >= SharingLevel::Counts && !populations.contains(slug) {
            populations.push(slug.clone());
        }
        shown |= share.level >= SharingLevel::Overlaps;
        if share.level == SharingLevel::OverlapsWithFields {
            revealed.extend(share.fields.iter().map(String::as_str));
        }
    }
    if !shown {
        return None;
    }
    let fields = account
        .fields
        .iter()
        .filter(|(name, _)| revealed.contains(name.as_str()))
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect();
    Some(PartnerAccount {
        name: account.name.clone(),
        domain: account.domain.clone(),
        populations,
        fields,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slug(s: &str) -> PopulationSlug {
        PopulationSlug::parse(s).expect("test slugs are valid")
    }

    fn fields(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn condition(field: &str, op: ConditionOp, value: &str) -> Condition {
        Condition {
            field: field.to_owned(),
            op,
            value: value.to_owned(),
        }
    }

    #[test]
    fn every_standard_crm_value_has_a_reading() {
        use BasePopulation::*;
        // Salesforce's standard account Type picklist.
        let salesforce = [
            ("Analyst", Unclassified),
            ("Competitor", Unclassified),
            ("Customer", Customer),
            ("Customer - Direct", Customer),
            ("Customer - Channel", Customer),
            ("Channel Partner / Reseller", Unclassified),
            ("Installation Partner", Unclassified),
            ("Technology Partner", Unclassified),
            ("Integrator", Unclassified),
            ("Investor", Unclassified),
            ("Partner", Unclassified),
            ("Press", Unclassified),
            ("Prospect", Prospect),
            ("Reseller", Unclassified),
            ("Other", Unclassified),
        ];
        // HubSpot's lifecycle stages, internal names and labels.
        let hubspot = [
            ("subscriber", Prospect),
            ("Subscriber", Prospect),
            ("lead", Prospect),
            ("Lead", Prospect),
            ("marketingqualifiedlead", Prospect),
            ("Marketing Qualified Lead", Prospect),
            ("salesqualifiedlead", Prospect),
            ("Sales Qualified Lead", Prospect),
            ("opportunity", Opportunity),
            ("Opportunity", Opportunity),
            ("customer", Customer),
            ("Customer", Customer),
            ("evangelist", Customer),
            ("Evangelist", Customer),
            ("other", Unclassified),
            ("Other", Unclassified),
        ];
        for (value, expected) in salesforce.into_iter().chain(hubspot) {
            assert_eq!(
                BasePopulation::from_crm_value(value),
                Some(expected),
                "{value:?}"
            );
        }
    }

    #[test]
    fn crm_values_read_alike_whatever_their_case_spaces_and_punctuation() {
        use BasePopulation::*;
        let table = [
            ("  customer  ", Some(Customer)),
            ("CUSTOMER-DIRECT", Some(Customer)),
            ("customer_channel", Some(Customer)),
            ("Customer (Enterprise)", Some(Customer)),
            ("Open Opportunity", Some(Opportunity)),
            ("open_deal", Some(Opportunity)),
            ("Deal", Some(Opportunity)),
            ("Sales-Qualified-Lead", Some(Prospect)),
            ("marketing qualified lead", Some(Prospect)),
            ("MQL", Some(Prospect)),
            ("sql", Some(Prospect)),
            ("channel partner/reseller", Some(Unclassified)),
            ("Technology-Partner", Some(Unclassified)),
            ("  other ", Some(Unclassified)),
            ("unclassified", Some(Unclassified)),
            // No standard value: the caller decides.
            ("Customers", None),
            ("Former customer", None),
            ("Gold", None),
            ("-", None),
            ("", None),
            ("   ", None),
        ];
        for (value, expected) in table {
            assert_eq!(BasePopulation::from_crm_value(value), expected, "{value:?}");
        }
    }

    #[test]
    fn the_choices_name_every_built_in_population() {
        assert_eq!(
            BasePopulation::choices(),
            "customer, opportunity, prospect or unclassified"
        );
    }

    #[test]
    fn stable_names_round_trip() {
        for p in BasePopulation::ALL {
            assert_eq!(BasePopulation::parse(p.as_str()), Some(p));
            assert_eq!(PopulationSlug::builtin(p).base(), Some(p));
        }
        assert_eq!(
            BasePopulation::parse(" Customer "),
            Some(BasePopulation::Customer)
        );
        assert_eq!(BasePopulation::parse("customers"), None);
        for level in SharingLevel::ALL {
            assert_eq!(SharingLevel::parse(level.as_str()), Some(level));
        }
        assert!(SharingLevel::ALL.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(SharingLevel::parse("everything"), None);
    }

    #[test]
    fn slugs_are_lower_case_and_url_safe() {
        assert_eq!(slug("Enterprise-EMEA").as_str(), "enterprise-emea");
        assert_eq!(slug("enterprise-emea").base(), None);
        let too_long = "a".repeat(41);
        for bad in [
            "",
            "-emea",
            "emea-",
            "big deals",
            "événement",
            too_long.as_str(),
        ] {
            let error = PopulationSlug::parse(bad).expect_err(bad);
            assert_eq!(error.field, "slug");
        }
        assert!(PopulationSlug::parse(&"a".repeat(40)).is_ok());
    }

    #[test]
    fn slugs_are_checked_when_deserialized() {
        let parsed: PopulationSlug =
            serde_json::from_str("\"strategic\"").expect("a valid slug deserializes");
        assert_eq!(parsed, slug("strategic"));
        assert_eq!(
            serde_json::to_string(&parsed).expect("slugs serialize"),
            "\"strategic\""
        );
        assert!(serde_json::from_str::<PopulationSlug>("\"not a slug\"").is_err());
    }

    #[test]
    fn numbers_are_read_leniently_but_not_wrongly() {
        let cases = [
            ("1200", Some(1200.0)),
            ("1,200", Some(1200.0)),
            ("1 200", Some(1200.0)),
            ("1\u{a0}200", Some(1200.0)),
            ("$5,000,000", Some(5_000_000.0)),
            ("€ 1.234", Some(1.234)),
            ("1200.5", Some(1200.5)),
            (".5", Some(0.5)),
            ("-3", Some(-3.0)),
            ("1,5", None),
            ("12,34,567", None),
            ("lots", None),
            ("inf", None),
            ("NaN", None),
            ("1e6", None),
            ("", None),
            ("$", None),
            (".", None),
        ];
        for (raw, expected) in cases {
            assert_eq!(lenient_number(raw), expected, "{raw:?}");
        }
    }

    #[test]
    fn conditions_compare_like_people_read() {
        let account = fields(&[
            ("region", " EMEA "),
            ("employees", "1,200"),
            ("revenue", "$5,000,000"),
            ("industry", "Health care"),
            ("size", "big"),
        ]);
        use ConditionOp::*;
        let holds = [
            condition("region", Equals, "emea"),
            condition("region", NotEquals, "apac"),
            condition("missing", NotEquals, "x"),
            condition("missing", Equals, ""),
            condition("region", OneOf, "APAC, emea"),
            condition("industry", Contains, "HEALTH"),
            condition("employees", AtLeast, "1000"),
            condition("employees", AtMost, "1 200"),
            condition("revenue", AtLeast, "1,000,000"),
        ];
        for c in &holds {
            assert!(c.holds(&account), "{c:?} should hold");
        }
        let fails = [
            condition("region", Equals, "em"),
            condition("region", NotEquals, "Emea"),
            condition("missing", Equals, "x"),
            condition("region", OneOf, "apac, amer"),
            condition("missing", OneOf, "apac,"),
            condition("employees", AtLeast, "1201"),
            condition("size", AtLeast, "1"),
            condition("size", AtMost, "1"),
            condition("missing", AtLeast, "0"),
            condition("missing", AtMost, "0"),
            condition("employees", AtLeast, "many"),
        ];
        for c in &fails {
            assert!(!c.holds(&account), "{c:?} should not hold");
        }
    }

    #[test]
    fn rules_need_their_base_and_every_condition() {
        let rule = PopulationRule {
            base: Some(BasePopulation::Customer),
            all: vec![
                condition("region", ConditionOp::Equals, "EMEA"),
                condition("employees", ConditionOp::AtLeast, "1000"),
            ],
        };
        let big_emea = fields(&[("region", "emea"), ("employees", "1,500")]);
        let small_emea = fields(&[("region", "emea"), ("employees", "50")]);
        assert!(rule.matches(BasePopulation::Customer, &big_emea));
        assert!(!rule.matches(BasePopulation::Prospect, &big_emea));
        assert!(!rule.matches(BasePopulation::Customer, &small_emea));
        assert!(!rule.matches(BasePopulation::Customer, &BTreeMap::new()));
        let any_base = PopulationRule {
            base: None,
            ..rule.clone()
        };
        assert!(any_base.matches(BasePopulation::Prospect, &big_emea));
        assert_eq!(
            rule.describe(),
            "customers where region is EMEA and employees at least 1000"
        );
        assert_eq!(
            PopulationRule {
                base: Some(BasePopulation::Opportunity),
                all: vec![]
            }
            .describe(),
            "open opportunities"
        );
        assert_eq!(
            any_base.describe(),
            "accounts where region is EMEA and employees at least 1000"
        );
    }

    #[test]
    fn rules_that_cannot_mean_anything_are_refused() {
        let errors = PopulationRule::default()
            .validate()
            .expect_err("an empty rule matches everything");
        assert_eq!(errors.0[0].field, "all");

        let errors = PopulationRule {
            base: None,
            all: vec![
                condition(" ", ConditionOp::Equals, "x"),
                condition("employees", ConditionOp::AtLeast, "lots"),
                condition("region", ConditionOp::OneOf, " , "),
            ],
        }
        .validate()
        .expect_err("three bad conditions");
        let named: Vec<&str> = errors.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(named, ["all[0].field", "all[1].value", "all[2].value"]);

        assert!(PopulationRule {
            base: None,
            all: vec![condition("revenue", ConditionOp::AtMost, "$1,000,000")],
        }
        .validate()
        .is_ok());
    }

    #[test]
    fn unset_populations_are_hidden() {
        let policy = SharingPolicy::default();
        assert_eq!(policy.share(&slug("customer")), Share::hidden());
    }

    fn account(name: &str, populations: &[&str], fields_: &[(&str, &str)]) -> MappedAccount {
        MappedAccount {
            id: Uuid::new_v4(),
            name: name.to_owned(),
            domain: Some(format!("{}.example", name.to_lowercase().replace(' ', "-"))),
            populations: populations.iter().map(|p| slug(p)).collect(),
            fields: fields(fields_),
        }
    }

    fn pair(key: &str, ours: usize, theirs: usize) -> MatchedPair {
        MatchedPair {
            key: key.to_owned(),
            confidence: MatchConfidence::High,
            manual: false,
            ours,
            theirs,
        }
    }

    #[test]
    fn a_partner_sees_only_what_the_policy_allows() {
        use BasePopulation::*;
        let our_populations = [
            PopulationInfo::builtin(Customer),
            PopulationInfo::builtin(Prospect),
        ];
        let their_populations = BasePopulation::ALL.map(PopulationInfo::builtin);
        let ours = [
            account("Acme", &["customer"], &[("owner", "us")]),
            account("beta", &["prospect"], &[]),
            account("Gamma", &["customer", "prospect"], &[]),
        ];
        let theirs = [
            account(
                "Acme Inc",
                &["customer"],
                &[("owner", "ann"), ("arr", "100")],
            ),
            account(
                "Beta",
                &["prospect"],
                &[("owner", "bob"), ("region", "emea")],
            ),
            account(
                "Gamma",
                &["opportunity", "prospect"],
                &[("owner", "cy"), ("stage", "won")],
            ),
            // Only in a hidden population and one missing from the list, shared or not.
            account(
                "Gamma Dup",
                &["opportunity", "churned"],
                &[("stage", "lost")],
            ),
            account(
                "Acme Labs",
                &["customer", "prospect"],
                &[("owner", "dee"), ("arr", "7")],
            ),
        ];
        let pairs = [
            pair("acme.com", 0, 0),
            pair("acme.com", 0, 4),
            pair("beta.io", 1, 1),
            pair("gamma", 2, 2),
            pair("gamma", 2, 3),
            // Out of range: ignored rather than trusted.
            pair("ghost", 7, 0),
        ];
        let share = |level, fields_: &[&str]| Share {
            level,
            fields: fields_.iter().map(|f| (*f).to_owned()).collect(),
        };
        let policy = SharingPolicy {
            by_population: BTreeMap::from([
                (slug("customer"), share(SharingLevel::Counts, &["arr"])),
                (slug("opportunity"), share(SharingLevel::Hidden, &["stage"])),
                (
                    slug("prospect"),
                    share(SharingLevel::OverlapsWithFields, &["owner"]),
                ),
                (
                    slug("churned"),
                    share(SharingLevel::OverlapsWithFields, &["stage"]),
                ),
            ]),
        };
        let view = view(&MappingInput {
            our_populations: &our_populations,
            their_populations: &their_populations,
            ours: &ours,
            theirs: &theirs,
            pairs: &pairs,
            their_policy: &policy,
        });

        let columns: Vec<&str> = view.columns.iter().map(|p| p.slug.as_str()).collect();
        assert_eq!(columns, ["customer", "prospect"]);
        // Opportunity is hidden, and unclassified is unset, so hidden too.
        assert_eq!(view.hidden_columns, 2);
        // acme.com is counted once in customer × customer although two pairs reach it.
        assert_eq!(view.cells, [[1, 2], [0, 2]]);
        assert_eq!(view.shared_keys, 3);
        assert_eq!(view.cell(&slug("customer"), &slug("prospect")), Some(2));
        assert_eq!(view.cell(&slug("customer"), &slug("opportunity")), None);

        let shown: Vec<(&str, &str)> = view
            .accounts
            .iter()
            .map(|a| (a.ours.name.as_str(), a.theirs.name.as_str()))
            .collect();
        assert_eq!(
            shown,
            [("Acme", "Acme Labs"), ("beta", "Beta"), ("Gamma", "Gamma")]
        );
        for shared in &view.accounts {
            assert!(shared.theirs.populations.contains(&slug("prospect")));
            assert!(!shared.theirs.populations.contains(&slug("opportunity")));
            let revealed: Vec<&str> = shared.theirs.fields.keys().map(String::as_str).collect();
            assert_eq!(revealed, ["owner"]);
        }
        assert_eq!(
            view.accounts[0].theirs.populations,
            [slug("customer"), slug("prospect")]
        );
        assert_eq!(view.accounts[0].ours, ours[0]);
        assert_eq!(view.accounts[2].theirs.fields, fields(&[("owner", "cy")]));
    }
}
