//! Countries as people type them into a CRM: `USA`, `United States`, `U.S.`, `DE`,
//! `Deutschland`. Two accounts in different countries are not the same company however alike
//! their names, so the name passes compare countries when both sides have one.

use std::str::FromStr;

/// Names in the country's own language, which `celes` (English names, aliases and ISO codes)
/// does not know, folded as [`crate::fold_company_name`] folds (lower case, no marks, no
/// spaces), with their ISO 3166-1 alpha-2 codes.
const ENDONYMS: &[(&str, &str)] = &[
    ("belgie", "BE"),
    ("belgique", "BE"),
    ("brasil", "BR"),
    ("danmark", "DK"),
    ("deutschland", "DE"),
    ("eire", "IE"),
    ("espana", "ES"),
    ("hellas", "GR"),
    ("italia", "IT"),
    ("magyarorszag", "HU"),
    ("mexico", "MX"),
    ("nederland", "NL"),
    ("nihon", "JP"),
    ("nippon", "JP"),
    ("norge", "NO"),
    ("osterreich", "AT"),
    ("polska", "PL"),
    ("schweiz", "CH"),
    ("suisse", "CH"),
    ("suomi", "FI"),
    ("sverige", "SE"),
    ("svizzera", "CH"),
    ("uk", "GB"),
];

/// The ISO 3166-1 alpha-2 code of a country as typed (an English name or alias, a two- or
/// three-letter code, or one of the usual names in the country's own language), or `None`
/// when it names no country comark knows.
///
/// ```
/// use comark_matching::country_code;
/// assert_eq!(country_code("U.S."), Some("US"));
/// assert_eq!(country_code(" Deutschland "), Some("DE"));
/// assert_eq!(country_code("Great Britain"), country_code("UK"));
/// assert_eq!(country_code("Atlantis"), None);
/// ```
pub fn country_code(typed: &str) -> Option<&'static str> {
    // `N/A` is not Namibia.
    if typed.contains('/') {
        return None;
    }
    let folded = crate::fold_company_name(typed).replace(' ', "");
    if folded.is_empty() {
        return None;
    }
    if let Ok(at) = ENDONYMS.binary_search_by(|(name, _)| (*name).cmp(folded.as_str())) {
        return Some(ENDONYMS[at].1);
    }
    celes::Country::from_str(&folded)
        .ok()
        .map(|country| country.alpha2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_endonyms_are_sorted_for_the_binary_search() {
        assert!(ENDONYMS.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn the_ways_a_crm_holds_a_country() {
        for (typed, code) in [
            ("United States", "US"),
            ("USA", "US"),
            ("us", "US"),
            ("United States of America", "US"),
            ("United Kingdom", "GB"),
            ("England", "GB"),
            ("GB", "GB"),
            ("germany", "DE"),
            ("DEU", "DE"),
            ("España", "ES"),
            ("Espana", "ES"),
            ("Österreich", "AT"),
            ("Netherlands", "NL"),
            ("Holland", "NL"),
            ("Japan", "JP"),
        ] {
            assert_eq!(country_code(typed), Some(code), "{typed}");
        }
        assert_eq!(country_code(""), None);
        assert_eq!(country_code("n/a"), None);
    }
}
