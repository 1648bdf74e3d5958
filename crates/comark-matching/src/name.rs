//! Company-name folding: the fallback key of an account that has no usable website.
//!
//! The folded name is lower-case words of letters and digits joined by single spaces:
//! 1. Unicode NFKC (full-width and compatibility forms become plain ones), then lower case
//!    (character by character; final `ς` becomes `σ`).
//! 2. Diacritics removed: canonical decomposition, combining marks dropped, recomposition
//!    (NFC, so Hangul stays composed). A few letters that do not decompose are spelled out:
//!    `ß`→`ss`, `æ`→`ae`, `œ`→`oe`, `ø`→`o`, `ł`→`l`, `đ`/`ð`→`d`, `þ`→`th`, `ı`→`i`, `ħ`→`h`.
//! 3. Words are runs of letters and digits. Apostrophes join (`McDonald's` → `mcdonalds`),
//!    `&` is the word `and`, everything else separates. Single letters separated by dots or
//!    slashes join into one word (`L.L.C.` → `llc`, `I.B.M.` → `ibm`, `A/S` → `as`), single
//!    letters separated by spaces do not (`X S.A.` → `x sa`).
//! 4. A leading `the` is dropped, then legal-form suffixes are dropped from the end, again
//!    and again (`Acme Co., Ltd.` → `acme`, `Acme GmbH & Co. KG` → `acme`), but a name is
//!    never reduced to nothing: `Inc.` alone stays `inc`, `The` alone stays `the`.
//!
//! Only legal forms written in Latin script are recognized. A name with no letter or digit
//! at all folds to the empty string.

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// Folds a company name into its matching form (see the module docs for the exact rules).
///
/// ```
/// use comark_matching::fold_company_name;
/// assert_eq!(fold_company_name("ACME, Inc."), "acme");
/// assert_eq!(fold_company_name("Société Générale S.A."), "societe generale");
/// assert_eq!(fold_company_name("Müller GmbH"), "muller");
/// assert_eq!(fold_company_name("Inc."), "inc");
/// ```
pub fn fold_company_name(name: &str) -> String {
    let mut words = Words::with_capacity(name.len());
    if name.is_ascii() {
        for b in name.bytes() {
            words.push_ascii(b);
        }
    } else {
        let folded = name
            .nfkc()
            .flat_map(char::to_lowercase)
            .nfd()
            .filter(|c| !is_combining_mark(*c))
            .nfc();
        for c in folded {
            match c {
                'ß' => words.push_str("ss"),
                'æ' => words.push_str("ae"),
                'œ' => words.push_str("oe"),
                'ø' => words.push('o'),
                'ł' => words.push('l'),
                'đ' | 'ð' => words.push('d'),
                'þ' => words.push_str("th"),
                'ı' => words.push('i'),
                'ħ' => words.push('h'),
                'ς' => words.push('σ'),
                '’' | '‘' | 'ʼ' | '′' => {}
                c => words.push(c),
            }
        }
    }
    let mut out = words.finish();
    strip_affixes(&mut out);
    out
}

/// Builds the space-separated word string, one character at a time.
struct Words {
    out: String,
    /// Byte offset of the current word, while inside one.
    word_start: Option<usize>,
    /// Characters in the current word.
    word_chars: usize,
    /// The previous word is a run of single letters (so a following single letter may join).
    prev_single: bool,
    /// The separator since the previous word holds a `.` or `/`.
    sep_joins: bool,
    /// The separator since the previous word holds something other than `.`, `/` or spaces.
    sep_breaks: bool,
}

impl Words {
    fn with_capacity(capacity: usize) -> Self {
        Words {
            out: String::with_capacity(capacity + 4),
            word_start: None,
            word_chars: 0,
            prev_single: false,
            sep_joins: false,
            sep_breaks: false,
        }
    }

    fn push_str(&mut self, s: &str) {
        for c in s.chars() {
            self.push(c);
        }
    }

    /// Takes one ASCII byte, in any case: the fast path of [`Words::push`].
    #[inline]
    fn push_ascii(&mut self, b: u8) {
        if b.is_ascii_alphanumeric() {
            if self.word_start.is_none() {
                self.start_word();
            }
            self.out.push(char::from(b.to_ascii_lowercase()));
            self.word_chars += 1;
        } else {
            self.push(char::from(b));
        }
    }

    fn start_word(&mut self) {
        if !self.out.is_empty() {
            self.out.push(' ');
        }
        self.word_start = Some(self.out.len());
        self.word_chars = 0;
    }

    /// Takes one lower-case character.
    fn push(&mut self, c: char) {
        if c.is_alphanumeric() {
            if self.word_start.is_none() {
                self.start_word();
            }
            self.out.push(c);
            self.word_chars += 1;
            return;
        }
        match c {
            '\'' | '`' => {}
            '&' => {
                self.end_word();
                self.push_str("and");
                self.end_word();
                self.sep_breaks = true;
            }
            '.' | '/' => {
                self.end_word();
                self.sep_joins = true;
            }
            c if c.is_whitespace() => self.end_word(),
            _ => {
                self.end_word();
                self.sep_breaks = true;
            }
        }
    }

    fn end_word(&mut self) {
        let Some(start) = self.word_start.take() else {
            return;
        };
        let single = self.word_chars == 1;
        if single && self.prev_single && self.sep_joins && !self.sep_breaks && start > 0 {
            // Join "l.l.c" into "llc": drop the space before this letter.
            self.out.remove(start - 1);
        }
        self.prev_single = single;
        self.sep_joins = false;
        self.sep_breaks = false;
    }

    fn finish(mut self) -> String {
        self.end_word();
        self.out
    }
}

/// Drops leading `the`s and trailing legal forms, never emptying the name.
fn strip_affixes(out: &mut String) {
    while out.starts_with("the ") {
        out.drain(..4);
    }
    // `Summit Group, The` and `Silverline Company, The Inc` put `the` at the end, even before
    // the legal form: drop both, in any order, while a word stays.
    loop {
        if let Some(cut) = legal_suffix_cut(out) {
            out.truncate(cut);
        } else if out.len() > 4 && out.ends_with(" the") {
            out.truncate(out.len() - 4);
        } else {
            break;
        }
    }
}

/// The form in which two folded names are compared: without spaces, and with the
/// transliterations of `ä`, `ö`, `ü` and `å` (`ae`, `oe`, `ue`, `aa`) read as the plain
/// letter, since the same company is `Müller`, `Mueller` and `Muller` in different CRMs and
/// `Muller-Bau` or `MullerBau` in others.
///
/// ```
/// use comark_matching::{fold_company_name as fold, loose_name};
/// assert_eq!(loose_name(&fold("Müller-Bau GmbH")), loose_name(&fold("Mueller Bau")));
/// assert_eq!(loose_name(&fold("Vanguard Rådgivning AS")), loose_name(&fold("Vanguard Raadgivning")));
/// ```
pub fn loose_name(folded: &str) -> String {
    let mut out = String::with_capacity(folded.len());
    let mut chars = folded.chars().filter(|c| *c != ' ').peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        let digraph = matches!(
            (c, chars.peek()),
            ('a', Some('e' | 'a')) | ('o', Some('e')) | ('u', Some('e'))
        );
        if digraph {
            chars.next();
        }
    }
    out
}

/// Where to cut `s` (a space-joined word string) to drop a trailing legal form, when it
/// ends with one and at least one other word stays.
fn legal_suffix_cut(s: &str) -> Option<usize> {
    // The last three words, without an iterator: this runs once or twice per name.
    let (rest, w1) = match s.rfind(' ') {
        Some(i) => (Some(&s[..i]), &s[i + 1..]),
        None => (None, s),
    };
    let (rest, w2) = match rest.map(|r| (r, r.rfind(' '))) {
        Some((r, Some(i))) => (Some(&r[..i]), Some(&r[i + 1..])),
        Some((r, None)) => (None, Some(r)),
        None => (None, None),
    };
    let w3 = rest.map(|r| r.rfind(' ').map_or(r, |i| &r[i + 1..]));
    let words = match (w1, w2, w3) {
        ("oo", Some("z"), _) => 2,   // Sp. z o.o. ("sp" then goes on its own)
        ("zoo", Some("sp"), _) => 2, // Sp. z.o.o.
        ("co" | "cie", Some("and"), _) => 2, // & Co., & Cie
        ("cv", Some("de"), _) => 2,  // S.A. de C.V.
        ("rl", Some("de"), Some("s")) => 3, // S. de R.L.
        ("limited", Some("private"), _) => 2,
        ("haftungsbeschrankt", Some("ug"), _) => 2,
        ("bhd", Some("sdn"), _) => 2,
        // Legal forms spelled out.
        ("anonyme", Some("societe"), _) => 2,
        ("anonima", Some("sociedad" | "societa"), _) => 2,
        ("limitada", Some("sociedad" | "sociedade"), _) => 2,
        ("kaisha", Some("kabushiki" | "yugen" | "godo"), _) => 2,
        ("vennootschap", Some("besloten" | "naamloze"), _) => 2,
        ("company", Some("limited"), Some("public")) => 3,
        ("company", Some("liability"), Some("limited")) => 3,
        ("partnership", Some("liability"), Some("limited")) => 3,
        ("company", Some("activity"), Some("designated")) => 3,
        ("azioni", Some("per"), Some("societa")) => 3,
        ("limitata", Some("responsabilita"), Some("a")) => 3,
        (w, _, _) if is_legal_form(w) => 1,
        _ => return None,
    };
    let tail: usize = [Some(w1), w2, w3]
        .iter()
        .take(words)
        .map(|w| w.map_or(0, str::len) + 1)
        .sum();
    let kept = s.len().checked_sub(tail)?;
    // At least one word must stay: the cut must leave a word before the removed ones.
    (kept > 0 && s.len() > tail).then_some(kept)
}

/// Single-word legal forms, as they look after folding.
fn is_legal_form(word: &str) -> bool {
    matches!(
        word,
        // United States, United Kingdom, Commonwealth
        "inc" | "incorporated" | "llc" | "llp" | "lllp" | "lp" | "ltd" | "limited" | "plc"
            | "corp" | "corporation" | "co" | "company" | "pty" | "pte" | "pvt"
            // German-speaking countries
            | "gmbh" | "mbh" | "ag" | "kg" | "kgaa" | "ohg" | "ug" | "ek"
            // France, Belgium, Luxembourg, Switzerland, Spain, Portugal, Latin America
            | "sa" | "sas" | "sasu" | "sarl" | "eurl" | "sca" | "snc" | "sl" | "slu" | "sau"
            | "lda" | "ltda" | "srl" | "sprl" | "bvba"
            // Netherlands
            | "bv" | "nv" | "vof"
            // Italy
            | "spa"
            // Europe-wide
            | "se"
            // Nordic and Baltic countries
            | "oy" | "oyj" | "ab" | "as" | "asa" | "aps" | "ou" | "hf" | "ehf"
            // Central and Eastern Europe
            | "sp" | "sro" | "zrt" | "kft" | "nyrt" | "doo"
            // Japan, Malaysia
            | "kk" | "bhd" | "kabushikigaisha"
            // Spelled out in one word, and what goes with a form
            | "aktiengesellschaft" | "aktiebolag" | "aktieselskab" | "anpartsselskab"
            | "aksjeselskap" | "osakeyhtio" | "limitada" | "publ" | "ltee" | "dac" | "gesmbh"
    )
}

#[cfg(test)]
mod tests {
    use super::fold_company_name as fold;

    #[test]
    fn examples_from_the_issue() {
        assert_eq!(fold("ACME, Inc."), "acme");
        assert_eq!(fold("Acme Inc"), "acme");
        assert_eq!(fold("acme"), "acme");
        assert_eq!(fold("Société Générale S.A."), "societe generale");
        assert_eq!(fold("Müller GmbH"), "muller");
        assert_eq!(fold("Inc."), "inc");
    }

    #[test]
    fn legal_forms_are_dropped() {
        let cases = [
            ("Acme Incorporated", "acme"),
            ("Acme LLC", "acme"),
            ("Acme, L.L.C.", "acme"),
            ("Acme Ltd", "acme"),
            ("Acme Ltd.", "acme"),
            ("Acme Limited", "acme"),
            ("Acme GmbH", "acme"),
            ("Acme AG", "acme"),
            ("Acme S.A.", "acme"),
            ("Acme SA", "acme"),
            ("Acme S. A.", "acme"),
            ("Acme S.A.S.", "acme"),
            ("Acme SAS", "acme"),
            ("Acme SARL", "acme"),
            ("Acme B.V.", "acme"),
            ("Acme BV", "acme"),
            ("Acme N.V.", "acme"),
            ("Acme NV", "acme"),
            ("Acme K.K.", "acme"),
            ("Acme KK", "acme"),
            ("Acme Co", "acme"),
            ("Acme Co.", "acme"),
            ("Acme Corp.", "acme"),
            ("Acme Corporation", "acme"),
            ("Acme PLC", "acme"),
            ("Acme plc", "acme"),
            ("Acme Pty Ltd", "acme"),
            ("Acme Pty. Ltd.", "acme"),
            ("Acme Oy", "acme"),
            ("Acme AB", "acme"),
            ("Acme AS", "acme"),
            ("Acme A/S", "acme"),
            ("Acme ApS", "acme"),
            ("Acme S.p.A.", "acme"),
            ("Acme SpA", "acme"),
            ("Acme S.r.l.", "acme"),
            ("Acme Srl", "acme"),
            ("Acme Sp. z o.o.", "acme"),
            ("Acme sp. z o. o.", "acme"),
            ("Acme OÜ", "acme"),
            ("Acme Co., Ltd.", "acme"),
            ("Acme GmbH & Co. KG", "acme"),
            ("Acme S.A. de C.V.", "acme"),
            ("Acme S. de R.L. de C.V.", "acme"),
            ("Acme Sdn. Bhd.", "acme"),
            ("Acme Private Limited", "acme"),
            ("Acme UG (haftungsbeschränkt)", "acme"),
            ("Smith & Co.", "smith"),
            ("Acme, Inc", "acme"),
            ("Acme ,Inc.", "acme"),
            ("Acme Holdings Inc.", "acme holdings"),
            ("The Acme Company", "acme"),
            ("X S.A.", "x"),
            ("Crépin et Fils Société Anonyme", "crepin et fils"),
            ("Vefis Kabushiki Kaisha", "vefis"),
            ("Legonos Konsult Aktiebolag", "legonos konsult"),
            ("Nilsson Konsult (publ)", "nilsson konsult"),
            ("Nilsson Konsult AB (publ)", "nilsson konsult"),
            (
                "Reros Consulting Public Limited Company",
                "reros consulting",
            ),
            (
                "O'Reilly Properties Designated Activity Company",
                "oreilly properties",
            ),
            ("Vodix Ltée", "vodix"),
            ("Nova Construções Sociedade Limitada", "nova construcoes"),
            ("Acme Limited Liability Company", "acme"),
            ("Rossi Società per Azioni", "rossi"),
            ("Summit Group, The", "summit group"),
            ("Silverline Company, The Inc", "silverline"),
            ("The Silverline Company Inc.", "silverline"),
        ];
        for (input, want) in cases {
            assert_eq!(fold(input), want, "input {input:?}");
        }
    }

    #[test]
    fn never_empty_when_there_is_a_word() {
        assert_eq!(fold("Inc."), "inc");
        assert_eq!(fold("LLC"), "llc");
        assert_eq!(fold("Co. Ltd."), "co");
        assert_eq!(fold("The"), "the");
        assert_eq!(fold("The Inc"), "inc");
        assert_eq!(fold("S.A."), "sa");
        assert_eq!(fold(""), "");
        assert_eq!(fold("  ,.;  "), "");
    }

    #[test]
    fn punctuation_case_and_spacing() {
        assert_eq!(fold("  ACME   corp "), "acme");
        assert_eq!(fold("Hewlett-Packard"), "hewlett packard");
        assert_eq!(fold("Procter & Gamble"), "procter and gamble");
        assert_eq!(fold("Procter and Gamble Co."), "procter and gamble");
        assert_eq!(fold("AT&T Inc."), "at and t");
        assert_eq!(fold("McDonald's Corporation"), "mcdonalds");
        assert_eq!(fold("McDonald’s"), "mcdonalds");
        assert_eq!(fold("I.B.M."), "ibm");
        assert_eq!(fold("Yahoo! Inc."), "yahoo");
        assert_eq!(fold("Booking.com"), "booking com");
        assert_eq!(fold("3M Company"), "3m");
        assert_eq!(fold("7-Eleven, Inc."), "7 eleven");
        assert_eq!(fold("Zoo Ltd"), "zoo");
    }

    #[test]
    fn unicode() {
        assert_eq!(fold("ＡＣＭＥ Ｉｎｃ．"), "acme");
        assert_eq!(fold("Straße AG"), "strasse");
        assert_eq!(fold("Ørsted A/S"), "orsted");
        assert_eq!(fold("Nestlé S.A."), "nestle");
        assert_eq!(fold("L'Oréal"), "loreal");
        assert_eq!(fold("Łódź Sp. z o.o."), "lodz");
        assert_eq!(fold("ΑΘΗΝΑΪΚΟΣ"), fold("αθηναϊκοσ"));
        assert_eq!(fold("삼성전자"), "삼성전자");
        assert_eq!(fold("トヨタ自動車"), "トヨタ自動車");
        assert_eq!(fold("Cafe\u{301} Noir"), "cafe noir");
        assert_eq!(fold("ﬁnance Ltd"), "finance");
    }
}
