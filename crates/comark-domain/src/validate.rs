//! Parsing raw input into domain values at the edge, with field-level errors.

use serde::Serialize;

/// One invalid field: which one and why, in words a person can act on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// The field's name as the form or JSON body spells it.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

/// Every invalid field of one submission, so the user can fix them all at once.
#[derive(Clone, Debug, Default, PartialEq, Eq, thiserror::Error)]
#[error("invalid input: {}", .0.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; "))]
pub struct ValidationErrors(pub Vec<FieldError>);

impl ValidationErrors {
    /// One error for one field.
    pub fn single(field: &str, message: impl Into<String>) -> Self {
        Self(vec![FieldError {
            field: field.to_owned(),
            message: message.into(),
        }])
    }

    /// Parses `raw` with `parse`, recording a failure under `field`.
    pub fn check<T, E: std::fmt::Display>(
        &mut self,
        field: &str,
        parsed: Result<T, E>,
    ) -> Option<T> {
        match parsed {
            Ok(value) => Some(value),
            Err(error) => {
                self.0.push(FieldError {
                    field: field.to_owned(),
                    message: error.to_string(),
                });
                None
            }
        }
    }

    /// Records a failure under `field`.
    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError {
            field: field.into(),
            message: message.into(),
        });
    }

    /// `Ok(())` when nothing was recorded.
    pub fn into_result(self) -> Result<(), ValidationErrors> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(self)
        }
    }
}

/// The first character of `text` that comark refuses to store, if any: the ASCII control
/// characters other than tab, line feed and carriage return (NUL among them, which
/// PostgreSQL cannot store at all), DEL, and the C1 controls. One rule for every text that
/// comes in: JSON bodies, forms, query strings, paths and CSV cells.
pub fn forbidden_character(text: &str) -> Option<char> {
    // `is_control` is Unicode's category Cc: exactly C0, DEL and C1.
    text.chars()
        .find(|&c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
}

/// What a field holding `c` (see [`forbidden_character`]) is told.
pub fn forbidden_character_message(c: char) -> String {
    format!(
        "contains the control character U+{:04X}, which cannot be stored; remove it",
        u32::from(c)
    )
}

/// Why a value was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum InvalidValue {
    /// Nothing was given where something is required.
    #[error("is required")]
    Missing,
    /// Longer than allowed.
    #[error("must be at most {0} characters")]
    TooLong(usize),
    /// Shorter than allowed.
    #[error("must be at least {0} characters")]
    TooShort(usize),
    /// Not of the expected form.
    #[error("{0}")]
    Malformed(&'static str),
}

/// An e-mail address, trimmed and lower-cased so that one person has one account.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    /// Parses an address: one `@`, a non-empty local part, a dotted domain, no spaces.
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let value = raw.trim().to_lowercase();
        if value.is_empty() {
            return Err(InvalidValue::Missing);
        }
        if value.chars().count() > 254 {
            return Err(InvalidValue::TooLong(254));
        }
        let malformed = InvalidValue::Malformed("must be an e-mail address like name@example.com");
        let (local, domain) = value.split_once('@').ok_or(malformed)?;
        let malformed =
            || InvalidValue::Malformed("must be an e-mail address like name@example.com");
        if local.is_empty()
            || domain.contains('@')
            || !domain.contains('.')
            || domain.starts_with('.')
            || domain.ends_with('.')
            || domain.contains("..")
            || value
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>' || c == ',')
        {
            return Err(malformed());
        }
        Ok(Self(value))
    }

    /// The normalized address.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The address with its local part hidden but for the first character (`a…@example.com`),
    /// enough for its owner to recognize it and too little for anyone else to learn it.
    pub fn masked(&self) -> String {
        let (local, domain) = self.0.split_once('@').unwrap_or((&self.0, ""));
        let first: String = local.chars().take(1).collect();
        format!("{first}…@{domain}")
    }
}

/// An organization's handle: the short name partners use to find it, as in `/o/acme`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct OrgHandle(String);

impl OrgHandle {
    /// Parses a handle: 2 to 40 lower-case letters, digits and inner hyphens.
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let value = raw.trim().to_lowercase();
        if value.is_empty() {
            return Err(InvalidValue::Missing);
        }
        if value.len() < 2 {
            return Err(InvalidValue::TooShort(2));
        }
        if value.len() > 40 {
            return Err(InvalidValue::TooLong(40));
        }
        if !value
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            || value.starts_with('-')
            || value.ends_with('-')
        {
            return Err(InvalidValue::Malformed(
                "may hold only letters a-z, digits and hyphens, and cannot start or end with a hyphen",
            ));
        }
        Ok(Self(value))
    }

    /// Suggests a handle from an organization's name ("Acme Corp." → "acme-corp").
    pub fn suggest(name: &str) -> String {
        let mut out = String::new();
        for c in name.to_lowercase().chars() {
            if c.is_ascii_alphanumeric() {
                out.push(c);
            } else if !out.ends_with('-') && !out.is_empty() {
                out.push('-');
            }
        }
        let trimmed: String = out.trim_matches('-').chars().take(40).collect();
        trimmed.trim_end_matches('-').to_owned()
    }

    /// The handle.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn bounded_text(raw: &str, max: usize) -> Result<String, InvalidValue> {
    let value = raw.trim();
    if value.is_empty() {
        return Err(InvalidValue::Missing);
    }
    if value.chars().count() > max {
        return Err(InvalidValue::TooLong(max));
    }
    if value.chars().any(|c| c.is_control()) {
        return Err(InvalidValue::Malformed("cannot contain control characters"));
    }
    Ok(value.to_owned())
}

/// An organization's display name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct OrgName(String);

impl OrgName {
    /// Parses a name of 1 to 120 characters.
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        bounded_text(raw, 120).map(Self)
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A person's display name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct PersonName(String);

impl PersonName {
    /// Parses a name of 1 to 120 characters.
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        bounded_text(raw, 120).map(Self)
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A new password that meets the policy (NIST 800-63B: length over composition rules).
pub struct Password(String);

impl Password {
    /// Shortest accepted password.
    pub const MIN_CHARS: usize = 10;
    /// Longest accepted password; bounds the hashing work an attacker can ask for.
    pub const MAX_CHARS: usize = 256;

    /// Accepts a new password of 10 to 256 characters.
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let n_chars = raw.chars().count();
        if n_chars == 0 {
            return Err(InvalidValue::Missing);
        }
        if n_chars < Self::MIN_CHARS {
            return Err(InvalidValue::TooShort(Self::MIN_CHARS));
        }
        if n_chars > Self::MAX_CHARS {
            return Err(InvalidValue::TooLong(Self::MAX_CHARS));
        }
        Ok(Self(raw.to_owned()))
    }

    /// The password itself, to be hashed.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn a_control_character_anywhere_is_found_and_named(
            before in "\\PC{0,20}",
            after in "\\PC{0,20}",
            control in prop_oneof![0u32..0x09, 0x0bu32..0x0d, 0x0eu32..0x20, 0x7fu32..0xa0]
        ) {
            let control = char::from_u32(control).expect("a control character");
            let text = format!("{before}{control}{after}");
            prop_assert_eq!(forbidden_character(&text), Some(control));
            let message = forbidden_character_message(control);
            let code = format!("U+{:04X}", u32::from(control));
            prop_assert!(message.contains(&code));
        }

        #[test]
        fn printable_text_with_tabs_and_line_breaks_is_fine(text in "[\\PC\t\n\r]{0,60}") {
            prop_assert_eq!(forbidden_character(&text), None);
        }
    }

    #[test]
    fn emails_are_normalized_for_one_account_per_person() {
        assert_eq!(
            Email::parse("  Ada@Example.COM ").map(|e| e.as_str().to_owned()),
            Ok("ada@example.com".to_owned())
        );
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a b@example.com",
            "a@b@c.com",
            "ada@example..com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn handles_are_suggested_from_names() {
        assert_eq!(OrgHandle::suggest("Acme Corp."), "acme-corp");
        assert_eq!(OrgHandle::suggest("  Über  Agency  "), "ber-agency");
        assert!(OrgHandle::parse(&OrgHandle::suggest("Northwind Traders")).is_ok());
    }

    #[test]
    fn a_masked_address_keeps_its_first_letter_and_domain() {
        let email = Email::parse("Olivia.Owner@Acme.example").expect("valid");
        assert_eq!(email.masked(), "o…@acme.example");
    }

    #[test]
    fn short_passwords_are_refused_with_the_minimum() {
        assert_eq!(
            Password::parse("short").err(),
            Some(InvalidValue::TooShort(10))
        );
        assert!(Password::parse("a long enough passphrase").is_ok());
    }

    proptest! {
        #[test]
        fn parsed_handles_are_always_url_safe(raw in "\\PC{0,60}") {
            if let Ok(handle) = OrgHandle::parse(&raw) {
                prop_assert!(handle.as_str().chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'));
                prop_assert!((2..=40).contains(&handle.as_str().len()));
            }
        }

        #[test]
        fn parsing_a_parsed_email_changes_nothing(raw in "[a-zA-Z0-9._%+-]{1,20}@[a-zA-Z0-9-]{1,20}\\.[a-z]{2,6}") {
            let once = Email::parse(&raw).expect("generated addresses are valid");
            let twice = Email::parse(once.as_str()).expect("normalized addresses stay valid");
            prop_assert_eq!(once, twice);
        }

        #[test]
        fn email_parsing_never_panics(raw in "\\PC{0,300}") {
            let _ = Email::parse(&raw);
        }

        #[test]
        fn suggested_handles_parse_when_not_empty(name in "\\PC{0,80}") {
            let suggestion = OrgHandle::suggest(&name);
            if suggestion.len() >= 2 {
                prop_assert!(OrgHandle::parse(&suggestion).is_ok(), "{:?}", suggestion);
            }
        }
    }
}
