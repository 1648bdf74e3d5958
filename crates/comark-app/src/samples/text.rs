//! Spelling changes people and systems make to names: diacritics stripped or transliterated,
//! and what Windows-1252 cannot hold.

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// Letters that do not decompose into a base letter and a mark, with their plain spelling.
const PLAIN: [(char, &str); 16] = [
    ('ß', "ss"),
    ('ø', "o"),
    ('Ø', "O"),
    ('æ', "ae"),
    ('Æ', "AE"),
    ('œ', "oe"),
    ('Œ', "OE"),
    ('ł', "l"),
    ('Ł', "L"),
    ('đ', "d"),
    ('Đ', "D"),
    ('ı', "i"),
    ('þ', "th"),
    ('ð', "d"),
    ('\u{a0}', " "),
    ('’', "'"),
];

/// The German and Scandinavian way of writing a letter without its marks.
const TRANSLITERATED: [(char, &str); 11] = [
    ('ä', "ae"),
    ('ö', "oe"),
    ('ü', "ue"),
    ('Ä', "Ae"),
    ('Ö', "Oe"),
    ('Ü', "Ue"),
    ('å', "aa"),
    ('Å', "Aa"),
    ('ø', "oe"),
    ('Ø', "Oe"),
    ('ß', "ss"),
];

/// The characters Windows-1252 has in 0x80..=0x9F, where Latin-1 has control codes.
const CP1252_EXTRA: [char; 27] = [
    '€', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', 'Ž', '‘', '’', '“', '”', '•', '–',
    '—', '˜', '™', 'š', '›', 'œ', 'ž', 'Ÿ',
];

/// `text` with its diacritics dropped: `Müller` → `Muller`, `Łódź` → `Lodz`.
pub(super) fn strip_diacritics(text: &str) -> String {
    if text.is_ascii() {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii() {
            out.push(c);
        } else if let Some((_, plain)) = PLAIN.iter().find(|(letter, _)| *letter == c) {
            out.push_str(plain);
        } else {
            out.extend(std::iter::once(c).nfd().filter(|c| !is_combining_mark(*c)));
        }
    }
    out
}

/// `text` transliterated as German and Scandinavian speakers do (`Müller` → `Mueller`,
/// `Åkesson` → `Aakesson`), other diacritics dropped.
pub(super) fn transliterate(text: &str) -> String {
    if text.is_ascii() {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len() + 4);
    for c in text.chars() {
        match TRANSLITERATED.iter().find(|(letter, _)| *letter == c) {
            Some((_, spelled)) => out.push_str(spelled),
            None => out.push_str(&strip_diacritics(c.encode_utf8(&mut [0; 4]))),
        }
    }
    out
}

/// Whether Windows-1252 can hold `c`.
pub(super) fn in_windows_1252(c: char) -> bool {
    (c as u32) < 0x80 || (0xA0..=0xFF).contains(&(c as u32)) || CP1252_EXTRA.contains(&c)
}

/// `text` with every character Windows-1252 cannot hold spelled without its marks
/// (`Wiśniewski` → `Wisniewski`), or as `?` when nothing is left: what a CRM writes when it
/// exports to a Western European code page.
pub(super) fn fit_windows_1252(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if in_windows_1252(c) {
            out.push(c);
            continue;
        }
        let plain = strip_diacritics(c.encode_utf8(&mut [0; 4]));
        if !plain.is_empty() && plain.chars().all(in_windows_1252) {
            out.push_str(&plain);
        } else {
            out.push('?');
        }
    }
    out
}

/// `word` with its first letter in upper case.
pub(super) fn capitalized(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
